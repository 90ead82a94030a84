import { chiSquareSf } from './special';

/** p-value below which traffic is declared mismatched (the threshold GrowthBook and Optimizely use). */
export const SRM_THRESHOLD = 0.001;

export interface SrmResult {
  chiSquare: number;
  degreesOfFreedom: number;
  pValue: number;
  expected: number[];
  flagged: boolean;
}

/**
 * Sample ratio mismatch: Pearson's chi-square goodness-of-fit of the units observed in each
 * variant against the split the traffic weights promise (Fabijan et al., "Diagnosing Sample Ratio
 * Mismatch in Online Controlled Experiments", KDD 2019). A flagged experiment has broken
 * assignment or logging, and its results cannot be trusted for a decision.
 */
export function sampleRatioMismatch(observed: readonly number[], weights: readonly number[], threshold = SRM_THRESHOLD): SrmResult {
  if (observed.length !== weights.length || observed.length < 2) throw new RangeError('need one weight per observed count, at least two');
  const total = observed.reduce((s, o) => s + o, 0);
  const weightSum = weights.reduce((s, w) => s + w, 0);
  const expected = weights.map((w) => (total * w) / weightSum);
  const chiSquare = total === 0 ? 0 : observed.reduce((s, o, i) => s + (o - expected[i]!) ** 2 / expected[i]!, 0);
  const degreesOfFreedom = observed.length - 1;
  const pValue = total === 0 ? 1 : chiSquareSf(chiSquare, degreesOfFreedom);
  return { chiSquare, degreesOfFreedom, pValue, expected, flagged: pValue < threshold };
}
