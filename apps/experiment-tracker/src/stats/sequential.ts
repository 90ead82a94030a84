/**
 * Mixture sequential probability ratio test with a normal mixing distribution, giving an
 * always-valid p-value: the chance of ever seeing p ≤ α under H₀ stays ≤ α however often results
 * are looked at (Johari, Pekelis, Walsh, "Always Valid Inference: Continuous Monitoring of A/B
 * Tests", Operations Research 2022, eq. (11); Robbins 1970).
 *
 * For an estimate θ̂ of the difference with variance V and a N(0, τ²) mixture over the effect:
 *   Λ = √(V / (V + τ²)) · exp( τ² θ̂² / (2 V (V + τ²)) ),   p = min(1, 1/Λ),
 * and the always-valid p-value at a look is the minimum of p over every look so far.
 */
export function msprtPValue(difference: number, variance: number, tauSquared: number): number {
  if (!(variance > 0) || !(tauSquared > 0)) return 1;
  const logLambda =
    0.5 * Math.log(variance / (variance + tauSquared)) +
    (tauSquared * difference * difference) / (2 * variance * (variance + tauSquared));
  return Math.min(1, Math.exp(-logLambda));
}

/**
 * The mixing variance: τ = 0.1 per-unit standard deviations (a standardized effect of 0.1, the
 * scale of effects A/B tests look for). Any τ keeps the p-value valid; τ only tunes power.
 */
export function defaultTauSquared(pooledUnitVariance: number): number {
  return 0.01 * pooledUnitVariance;
}

/** Combines this look's p-value with the previous always-valid one (non-increasing by construction). */
export function alwaysValid(previous: number | null | undefined, current: number): number {
  return previous === null || previous === undefined ? current : Math.min(previous, current);
}
