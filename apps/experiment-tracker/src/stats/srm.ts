import { chiSquareSf } from './special';

/** p-value below which traffic is declared mismatched (the threshold GrowthBook and Optimizely use). */
export const SRM_THRESHOLD = 0.001;

/** Expected units per arm before the check may flag (below it, no verdict either way). */
export const SRM_MIN_UNITS = 50;

export interface SrmResult {
  chiSquare: number;
  degreesOfFreedom: number;
  pValue: number;
  expected: number[];
  /** Every arm's expected count reached the minimum, so the check could flag. */
  checked: boolean;
  flagged: boolean;
}

/**
 * Sample ratio mismatch: Pearson's chi-square goodness-of-fit of the units observed in each
 * variant against the split the traffic weights promise (Fabijan et al., "Diagnosing Sample Ratio
 * Mismatch in Online Controlled Experiments", KDD 2019). A flagged experiment has broken
 * assignment or logging, and its results cannot be trusted for a decision.
 *
 * It flags only once every arm is expected to hold `minUnits` (the count the weights promise, not
 * the one observed: an arm that receives nothing because assignment broke must still be caught).
 * Where the weights changed over time (a bandit), `sampleRatioMismatchByPeriod` takes each period's
 * units and weights: an arm expects Σ_p N_p w_{p,i} / Σ_j w_{p,j}.
 */
export function sampleRatioMismatch(
  observed: readonly number[],
  weights: readonly number[],
  threshold = SRM_THRESHOLD,
  minUnits = 0,
): SrmResult {
  if (observed.length !== weights.length || observed.length < 2)
    throw new RangeError('need one weight per observed count, at least two');
  const total = observed.reduce((s, o) => s + o, 0);
  const weightSum = weights.reduce((s, w) => s + w, 0);
  return srmAgainst(
    observed,
    weights.map((w) => (total * w) / weightSum),
    threshold,
    minUnits,
  );
}

/** The same test with the weights of each period (units exposed in the period, then one weight per arm). */
export function sampleRatioMismatchByPeriod(
  observed: readonly number[],
  periods: ReadonlyArray<{ units: number; weights: readonly number[] }>,
  threshold = SRM_THRESHOLD,
  minUnits = 0,
): SrmResult {
  const expected = observed.map(() => 0);
  for (const p of periods) {
    const sum = p.weights.reduce((s, w) => s + w, 0);
    p.weights.forEach((w, i) => {
      expected[i]! += (p.units * w) / sum;
    });
  }
  return srmAgainst(observed, expected, threshold, minUnits);
}

function srmAgainst(observed: readonly number[], expected: number[], threshold: number, minUnits: number): SrmResult {
  const total = observed.reduce((s, o) => s + o, 0);
  const chiSquare = total === 0 ? 0 : observed.reduce((s, o, i) => s + (o - expected[i]!) ** 2 / expected[i]!, 0);
  const degreesOfFreedom = observed.length - 1;
  const pValue = total === 0 ? 1 : chiSquareSf(chiSquare, degreesOfFreedom);
  const checked = total > 0 && expected.every((e) => e >= minUnits);
  return { chiSquare, degreesOfFreedom, pValue, expected, checked, flagged: checked && pValue < threshold };
}
