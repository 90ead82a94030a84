import { integrate } from './integrate';
import { betaDistribution, type Posterior } from './posterior';
import { normalCdf, normalPdf } from './special';

/** P(X > Y) for independent posteriors: closed form for two normals, else ∫ f_X(t) F_Y(t) dt. */
export function probabilityGreater(x: Posterior, y: Posterior): number {
  if (x.kind === 'normal' && y.kind === 'normal') {
    return normalCdf((x.mean - y.mean) / Math.hypot(x.sd, y.sd));
  }
  const [lo, hi] = x.window();
  return clamp01(integrate((t) => x.pdf(t) * y.cdf(t), lo, hi, breakpointsOf([y])));
}

/**
 * Chance to be best of each of several variants: P(θ_k > θ_j for every j ≠ k)
 * = ∫ f_k(t) Π_{j≠k} F_j(t) dt, integrated numerically (exact for ties-free continuous posteriors).
 */
export function chanceToBeBest(posteriors: readonly Posterior[]): number[] {
  if (posteriors.length === 1) return [1];
  if (posteriors.length === 2) {
    const second = probabilityGreater(posteriors[1]!, posteriors[0]!);
    return [1 - second, second];
  }
  const raw = posteriors.map((p, k) => {
    const [lo, hi] = p.window();
    return integrate(
      (t) => {
        let v = p.pdf(t);
        for (let j = 0; j < posteriors.length && v > 0; j++) if (j !== k) v *= posteriors[j]!.cdf(t);
        return v;
      },
      lo,
      hi,
      breakpointsOf(posteriors.filter((_, j) => j !== k)),
    );
  });
  const total = raw.reduce((a, b) => a + b, 0);
  return raw.map((r) => clamp01(r / total));
}

/**
 * Expected loss (risk) of shipping `variant` instead of `control`: E[max(θ_control − θ_variant, 0)],
 * in the metric's units. Normal posteriors: with D = θ_v − θ_c ~ N(m, s²), E[max(−D, 0)] =
 * s·φ(m/s) − m·Φ(−m/s). Beta posteriors (Stucchio, "Bayesian A/B testing at VWO", 2015):
 * E[θ_c·1{θ_c>θ_v}] − E[θ_v·1{θ_c>θ_v}] = E[θ_c]·P(θ_c' > θ_v) − E[θ_v]·P(θ_c > θ_v'), where a
 * primed Beta(α, β) is Beta(α + 1, β), the size-biased distribution.
 */
export function expectedLoss(variant: Posterior, control: Posterior): number {
  if (variant.kind === 'normal' && control.kind === 'normal') {
    const m = variant.mean - control.mean;
    const s = Math.hypot(variant.sd, control.sd);
    return Math.max(0, s * normalPdf(m / s) - m * normalCdf(-m / s));
  }
  if (variant.kind === 'beta' && control.kind === 'beta') {
    const v = variant as Posterior & { alpha: number; beta: number };
    const c = control as Posterior & { alpha: number; beta: number };
    const cShift = betaDistribution(c.alpha + 1, c.beta);
    const vShift = betaDistribution(v.alpha + 1, v.beta);
    return Math.max(0, c.mean * probabilityGreater(cShift, v) - v.mean * probabilityGreater(c, vShift));
  }
  throw new TypeError('expected loss needs two posteriors of the same kind');
}

/**
 * Chance that `variant` is worse than `control` by more than the relative `drop`:
 * P(θ_v < (1 − drop)·θ_c). The guardrail test. Normal: θ_v − (1 − drop)θ_c is normal; otherwise
 * ∫ f_c(t) F_v((1 − drop)t) dt.
 */
export function probabilityWorseBy(variant: Posterior, control: Posterior, drop: number): number {
  const k = 1 - drop;
  if (variant.kind === 'normal' && control.kind === 'normal') {
    return normalCdf(-(variant.mean - k * control.mean) / Math.hypot(variant.sd, k * control.sd));
  }
  const [lo, hi] = control.window();
  return clamp01(
    integrate(
      (t) => control.pdf(t) * variant.cdf(k * t),
      lo,
      hi,
      breakpointsOf([variant]).map((b) => b / k),
    ),
  );
}

/** Where another posterior's CDF bends: its mean ± 0, 1, 2, 3, 4, 6, 8 standard deviations. */
function breakpointsOf(others: readonly Posterior[]): number[] {
  const out: number[] = [];
  for (const o of others) for (const m of [0, 1, 2, 3, 4, 6, 8]) out.push(o.mean - m * o.sd, o.mean + m * o.sd);
  return out;
}

function clamp01(x: number): number {
  return Math.min(1, Math.max(0, x));
}
