import { normalQuantile } from './special';

/**
 * Units needed per variant to detect a relative lift `mde` on a baseline conversion rate with a
 * two-sided test at `alpha` and the given power (Fleiss, Levin, Paik, Statistical Methods for Rates
 * and Proportions, §4.2, without continuity correction):
 *   n = ( z₁₋α/₂ √(2 p̄ q̄) + z₁₋β √(p₁q₁ + p₂q₂) )² / (p₂ − p₁)²,  p₂ = p₁(1 + mde), p̄ = (p₁ + p₂)/2.
 * With CUPED reducing every variance by the share r (r = ρ² for one covariate of correlation ρ),
 * both variance terms shrink by (1 − r), and so does n (Deng et al. 2013, §3.3).
 */
export function sampleSizeForProportions(
  baseline: number,
  mde: number,
  alpha = 0.05,
  power = 0.8,
  varianceReduction = 0,
): number {
  const p1 = baseline;
  const p2 = baseline * (1 + mde);
  if (!(p1 > 0 && p1 < 1 && p2 > 0 && p2 < 1 && p1 !== p2))
    throw new RangeError('baseline and baseline × (1 + mde) must be rates in (0, 1) and differ');
  const za = normalQuantile(1 - alpha / 2);
  const zb = normalQuantile(power);
  const pbar = (p1 + p2) / 2;
  const n =
    (za * Math.sqrt(2 * pbar * (1 - pbar)) + zb * Math.sqrt(p1 * (1 - p1) + p2 * (1 - p2))) ** 2 / (p2 - p1) ** 2;
  return Math.ceil(n * (1 - checkedReduction(varianceReduction)));
}

/**
 * Units needed per variant to detect an absolute difference `delta` in a mean with per-unit
 * standard deviation `sd`: n = 2 (z₁₋α/₂ + z₁₋β)² σ² (1 − r) / δ² (normal approximation; r the
 * share of variance CUPED removes, 0 without it).
 */
export function sampleSizeForMeans(
  sd: number,
  delta: number,
  alpha = 0.05,
  power = 0.8,
  varianceReduction = 0,
): number {
  if (!(sd > 0) || delta === 0) throw new RangeError('sd must be positive and delta non-zero');
  const z = normalQuantile(1 - alpha / 2) + normalQuantile(power);
  return Math.ceil((2 * z * z * sd * sd * (1 - checkedReduction(varianceReduction))) / (delta * delta));
}

function checkedReduction(r: number): number {
  if (!(r >= 0 && r < 1)) throw new RangeError('varianceReduction must be in [0, 1)');
  return r;
}
