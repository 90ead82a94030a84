import type { MeanSummary } from './frequentist';
import { type Moments, sampleCovariance } from './moments';

/**
 * A ratio metric (revenue per order, refunds per order): R = Σ numerator / Σ denominator over an
 * arm's units, i.e. the ratio of the per-unit means μ_N/μ_D. Units are what was randomised, so the
 * numerator and denominator of one unit are correlated and the variance comes from the delta method
 * (Deng, Knoblich & Lu, "Applying the Delta Method in Metric Analytics", KDD 2018, eq. 3):
 *   Var(R) ≈ (1/n) (s²_N/μ_D² − 2 μ_N s_ND/μ_D³ + μ_N² s²_D/μ_D⁴).
 * Returned as a MeanSummary whose per-unit variance is n·Var(R), so the tests for means apply.
 * `m` holds [numerator, denominator]. Null when the denominator's mean is 0 (no orders yet).
 */
export function ratioSummary(m: Moments): MeanSummary | null {
  const [mn, md] = [m.mean[0]!, m.mean[1]!];
  if (m.n < 2 || md === 0) return null;
  const snn = sampleCovariance(m, 0, 0);
  const sdd = sampleCovariance(m, 1, 1);
  const snd = sampleCovariance(m, 0, 1);
  const varianceOfRatio = (snn / md ** 2 - (2 * mn * snd) / md ** 3 + (mn ** 2 * sdd) / md ** 4) / m.n;
  return { units: m.n, mean: mn / md, variance: Math.max(0, varianceOfRatio) * m.n };
}
