import { betaPdf, incompleteBeta, logBeta, normalCdf, normalPdf } from './special';
import type { Rng } from './rng';

/** A posterior distribution of one variant's metric (conversion rate, or revenue per unit). */
export interface Posterior {
  readonly kind: 'beta' | 'normal';
  readonly mean: number;
  readonly sd: number;
  pdf(x: number): number;
  cdf(x: number): number;
  sample(rng: Rng): number;
  /** Where practically all the mass lies (mean ± 12 sd, clipped to the support). */
  window(): [number, number];
}

export interface BetaPosterior extends Posterior {
  readonly kind: 'beta';
  readonly alpha: number;
  readonly beta: number;
}

export interface NormalPosterior extends Posterior {
  readonly kind: 'normal';
}

/** Uniform Beta(1, 1) prior: every conversion rate equally likely before any data. */
export const BETA_PRIOR = { alpha: 1, beta: 1 } as const;

/**
 * Beta-Binomial conjugate update: with a Beta(α₀, β₀) prior and x conversions among n units, the
 * posterior of the rate is Beta(α₀ + x, β₀ + n − x) (Gelman et al., Bayesian Data Analysis, §2.4).
 */
export function betaPosterior(
  conversions: number,
  units: number,
  prior: { alpha: number; beta: number } = BETA_PRIOR,
): BetaPosterior {
  if (conversions < 0 || units < conversions) throw new RangeError('need 0 ≤ conversions ≤ units');
  return betaDistribution(prior.alpha + conversions, prior.beta + units - conversions);
}

export function betaDistribution(alpha: number, beta: number): BetaPosterior {
  const mean = alpha / (alpha + beta);
  const sd = Math.sqrt((alpha * beta) / ((alpha + beta) ** 2 * (alpha + beta + 1)));
  const lnB = logBeta(alpha, beta);
  return {
    kind: 'beta',
    alpha,
    beta,
    mean,
    sd,
    pdf: (x) => betaPdf(x, alpha, beta, lnB),
    cdf: (x) => incompleteBeta(x, alpha, beta, lnB),
    sample: (rng) => rng.beta(alpha, beta),
    window: () => [Math.max(0, mean - 12 * sd), Math.min(1, mean + 12 * sd)],
  };
}

/**
 * Normal model for revenue per unit: with a flat prior and n units of sample mean m and sample
 * variance s², the posterior of the mean is approximately Normal(m, s²/n) (the large-sample
 * result used by GrowthBook and Statsig for mean metrics; Gelman et al. §3.2 with known variance).
 */
export function normalPosterior(units: number, mean: number, variance: number): NormalPosterior {
  if (units < 2) throw new RangeError('a normal posterior needs at least 2 units');
  // A variant where every unit has the same value still has uncertainty about its mean; floor the sd.
  const sd = Math.max(Math.sqrt(Math.max(variance, 0) / units), 1e-9 * Math.max(1, Math.abs(mean)));
  return normalDistribution(mean, sd);
}

export function normalDistribution(mean: number, sd: number): NormalPosterior {
  return {
    kind: 'normal',
    mean,
    sd,
    pdf: (x) => normalPdf(x, mean, sd),
    cdf: (x) => normalCdf(x, mean, sd),
    sample: (rng) => mean + sd * rng.normal(),
    window: () => [mean - 12 * sd, mean + 12 * sd],
  };
}
