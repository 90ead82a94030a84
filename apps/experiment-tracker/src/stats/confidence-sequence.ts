/**
 * Asymptotic confidence sequences (Waudby-Smith, Arbour, Sinha, Kennedy & Ramdas, "Time-uniform
 * central limit theory and asymptotic confidence sequences", Annals of Statistics 2024;
 * arXiv:2103.06476v7, eq. (9) with the ρ of §B.2 and the p-value of eq. (155)), in the form
 * GrowthBook uses. For an estimate θ̂ over N units (both arms) with variance V, so a per-unit
 * variance s² = N·V, the interval
 *   θ̂ ± √s² · √( 2(Nρ² + 1) / (N²ρ²) · ln( √(Nρ² + 1) / α ) )
 * covers the true value at every N simultaneously with probability ≥ 1 − α (asymptotically), so it
 * may be read after every new unit. ρ tunes where it is narrowest: chosen so the boundary is
 * tightest at N = n* (the tuning parameter, GrowthBook's default 5,000):
 *   ρ = √( (−2 ln α + ln(−2 ln α + 1)) / n* ).
 */
export const DEFAULT_SEQUENTIAL_TUNING = 5000;

export function csRho(alpha: number, tuning: number): number {
  const l = -2 * Math.log(alpha);
  return Math.sqrt((l + Math.log(l + 1)) / tuning);
}

/** Half-width of the confidence sequence at N units for an estimate with variance `varianceOfEstimate`. */
export function csHalfwidth(
  varianceOfEstimate: number,
  units: number,
  alpha: number,
  tuning: number,
  rho = csRho(alpha, tuning),
): number {
  const s2 = varianceOfEstimate * units;
  const nr2 = units * rho * rho;
  return Math.sqrt(s2) * Math.sqrt((2 * (nr2 + 1) * Math.log(Math.sqrt(nr2 + 1) / alpha)) / (units * rho) ** 2);
}

/**
 * Anytime-valid p-value of the sequence: the smallest α whose sequence (with ρ fixed) excludes 0,
 * 1/E with E = exp(ρ²S²/(2(Nρ² + 1))) / √(Nρ² + 1) and S² = N²θ̂²/s² (eq. 155).
 */
export function csPValue(estimate: number, varianceOfEstimate: number, units: number, rho: number): number {
  if (!(varianceOfEstimate > 0)) return 1;
  const st2 = (estimate * estimate * units) / varianceOfEstimate;
  const nr2p1 = units * rho * rho + 1;
  const logE = (rho * rho * st2) / (2 * nr2p1) - 0.5 * Math.log(nr2p1);
  return Math.min(1, Math.exp(-logE));
}
