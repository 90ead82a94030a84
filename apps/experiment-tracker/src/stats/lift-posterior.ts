import { normalCdf, normalPdf, normalQuantile } from './special';

export interface NormalPrior {
  mean: number;
  variance: number;
}

export interface LiftPosterior {
  mean: number;
  sd: number;
  /** P(lift > 0). */
  chanceToBeatControl: number;
  interval: { lower: number; upper: number };
  /** E[max(−lift, 0)]: expected relative loss of shipping the variant. */
  risk: number;
  /** E[max(lift, 0)]: expected relative loss of keeping the control. */
  riskOfControl: number;
}

/**
 * The posterior of a relative lift, GrowthBook-style (gbstats EffectBayesianABTest): the estimate
 * δ̂ (variant/control − 1) with delta-method variance σ² is a normal likelihood; a proper prior
 * Normal(μ₀, τ²) on the lift combines by precision,
 *   1/σ²_post = 1/σ² + 1/τ²,  μ_post = σ²_post (δ̂/σ² + μ₀/τ²),
 * and without a prior (the improper flat default) the posterior is Normal(δ̂, σ²) (Gelman et al.,
 * Bayesian Data Analysis, 3rd ed. §2.5). Chance to beat control Φ(μ/σ); risk as for two normals:
 * E[max(−D, 0)] = σφ(μ/σ) − μΦ(−μ/σ).
 */
export function liftPosterior(
  estimate: number,
  variance: number,
  prior: NormalPrior | null,
  alpha = 0.05,
): LiftPosterior {
  let mean = estimate;
  let v = variance;
  if (prior) {
    const precision = 1 / variance + 1 / prior.variance;
    v = 1 / precision;
    mean = v * (estimate / variance + prior.mean / prior.variance);
  }
  const sd = Math.sqrt(v);
  const z = normalQuantile(1 - alpha / 2);
  const r = mean / sd;
  return {
    mean,
    sd,
    chanceToBeatControl: normalCdf(r),
    interval: { lower: mean - z * sd, upper: mean + z * sd },
    risk: Math.max(0, sd * normalPdf(r) - mean * normalCdf(-r)),
    riskOfControl: Math.max(0, sd * normalPdf(r) + mean * normalCdf(r)),
  };
}
