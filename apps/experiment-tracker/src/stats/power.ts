import { csHalfwidth } from './confidence-sequence';
import { normalCdf, normalQuantile } from './special';

/**
 * The chance a running experiment detects its minimum detectable effect by its planned end
 * (GrowthBook's mid-experiment power, gbstats/power/midexperimentpower.py). The effect's estimated
 * variance now, V, shrinks in proportion to the data: with k times the current units still to come,
 * V' = V/(1 + k). For a two-sided test at level α/m (m tests in the family when corrected) with
 * half-width h at the end,
 *   power = 1 − Φ((h − δ)/√V') + Φ(−(h + δ)/√V'),
 * where h = z₁₋α/(2m)·√V' for the fixed-horizon test and the confidence sequence's half-width at
 * N(1 + k) units for the sequential one. With a proper Normal(μ₀, τ²) prior on the effect (its
 * posterior must clear the same bar):
 *   power = 1 − Φ((V'√(1/τ² + 1/V') z − V'μ₀/τ² − δ)/√V') + Φ(−(V'√(1/τ² + 1/V') z + V'μ₀/τ² + δ)/√V').
 */
export interface PowerInput {
  /** Variance of the effect estimate now (the relative lift's, when δ is relative). */
  variance: number;
  /** Units in the comparison now (both arms). */
  units: number;
  /** Additional data to come, as a multiple of the current units (≥ 0). */
  scaling: number;
  /** The minimum detectable effect δ, on the same scale as the estimate. */
  effect: number;
  alpha: number;
  /** Tests in the corrected family (1 when none). */
  tests?: number;
  /** Sequential: the confidence sequence's tuning parameter n*. */
  sequentialTuning?: number;
  prior?: { mean: number; variance: number } | null;
}

export function midExperimentPower(p: PowerInput): number {
  const tests = p.tests ?? 1;
  const delta = Math.abs(p.effect);
  const v = p.variance / (1 + p.scaling);
  if (!(v > 0)) return delta > 0 ? 1 : 0;
  const sd = Math.sqrt(v);
  const z = normalQuantile(1 - p.alpha / (2 * tests));
  if (p.prior) {
    const precision = 1 / p.prior.variance + 1 / v;
    const a = v * Math.sqrt(precision) * z;
    const b = (v * p.prior.mean) / p.prior.variance;
    return 1 - normalCdf((a - b - delta) / sd) + normalCdf(-(a + b + delta) / sd);
  }
  const h =
    p.sequentialTuning !== undefined
      ? csHalfwidth(p.variance / (1 + p.scaling), p.units * (1 + p.scaling), p.alpha / tests, p.sequentialTuning)
      : z * sd;
  return 1 - normalCdf((h - delta) / sd) + normalCdf(-(h + delta) / sd);
}
