import type { Univariate } from './cuped';
import { fDistributionSf } from './special';

/** p-value below which a pre-exposure covariate is declared unbalanced (the SRM threshold). */
export const BALANCE_THRESHOLD = 0.001;

export interface BalanceResult {
  fStatistic: number;
  degreesOfFreedom: [number, number];
  pValue: number;
  flagged: boolean;
}

/**
 * Covariate balance: a value fixed before exposure (pre-period revenue, the exposure's covariate)
 * cannot depend on the arm, so its means should differ across arms only by chance. One-way ANOVA
 * (Fisher; scipy.stats.f_oneway):
 *   F = [Σ n_v (x̄_v − x̄)² / (k − 1)] / [Σ M2_v / (N − k)],  p = P(F_{k−1, N−k} > F).
 * A flag means assignment is not random with respect to the covariate, or the "pre-exposure" value
 * was measured after exposure (then CUPED would be biased).
 */
export function covariateBalance(arms: readonly Univariate[], threshold = BALANCE_THRESHOLD): BalanceResult | null {
  const k = arms.length;
  const n = arms.reduce((s, a) => s + a.n, 0);
  if (k < 2 || n <= k || arms.some((a) => a.n === 0)) return null;
  const grand = arms.reduce((s, a) => s + a.n * a.mean, 0) / n;
  const between = arms.reduce((s, a) => s + a.n * (a.mean - grand) ** 2, 0) / (k - 1);
  const within = arms.reduce((s, a) => s + a.m2, 0) / (n - k);
  if (!(within > 0)) return null;
  const f = between / within;
  const pValue = fDistributionSf(f, k - 1, n - k);
  return { fStatistic: f, degreesOfFreedom: [k - 1, n - k], pValue, flagged: pValue < threshold };
}
