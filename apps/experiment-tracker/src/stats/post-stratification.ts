import type { Univariate } from './cuped';

/**
 * Post-stratification (Cochran, Sampling Techniques, 3rd ed. §5A.9; for experiments Miratrix,
 * Sekhon & Yu, "Adjusting treatment effect estimates by post-stratification in randomized
 * experiments", JRSS-B 2013). Units carry a stratum known before exposure (country, platform,
 * a bandit's weighting period); an arm's mean is the average of its per-stratum means, weighted by
 * each stratum's share of all exposed units (pooled across arms, so every arm is weighted alike):
 *   m = Σ_s w_s ȳ_s,   Var(m) = Σ_s w_s² s²_s / n_s,   w_s = N_s / N.
 * The variance treats the weights as known (the term for estimating them is O(1/n²)).
 */
export interface StratifiedMean {
  mean: number;
  /** Variance of the estimated mean. */
  varianceOfMean: number;
}

/** `cells[s]` is the arm's group in stratum s; `weights` the strata's shares (summing to 1). Every cell needs two units. */
export function postStratifiedMean(cells: readonly Univariate[], weights: readonly number[]): StratifiedMean {
  let mean = 0;
  let varianceOfMean = 0;
  cells.forEach((c, s) => {
    if (c.n < 2) throw new RangeError('post-stratification needs at least two units per arm in every stratum');
    const w = weights[s]!;
    mean += w * c.mean;
    varianceOfMean += (w * w * (c.m2 / (c.n - 1))) / c.n;
  });
  return { mean, varianceOfMean };
}

/**
 * Groups strata so every arm has at least `minPerCell` units in each group: strata short of it in
 * any arm are pooled into one remainder group, and a remainder still short joins the largest group.
 * Returns the group of each stratum (indices into the returned group count), or null when fewer
 * than two groups remain (nothing to stratify on).
 */
export function groupStrata(
  countsByStratum: readonly (readonly number[])[],
  minPerCell: number,
): { groupOf: number[]; groups: number } | null {
  const full: number[] = [];
  const short: number[] = [];
  countsByStratum.forEach((arms, s) => (Math.min(...arms) >= minPerCell ? full : short).push(s));
  const groupOf = new Array<number>(countsByStratum.length).fill(0);
  full.forEach((s, g) => {
    groupOf[s] = g;
  });
  let groups = full.length;
  if (short.length > 0) {
    const remainder = countsByStratum[0]!.map((_, arm) => short.reduce((sum, s) => sum + countsByStratum[s]![arm]!, 0));
    let target = groups;
    if (Math.min(...remainder) < minPerCell) {
      if (full.length === 0) return null;
      // The largest full stratum absorbs the remainder.
      const totals = full.map((s) => countsByStratum[s]!.reduce((a, b) => a + b, 0));
      target = totals.indexOf(Math.max(...totals));
    } else {
      groups += 1;
    }
    for (const s of short) groupOf[s] = target;
  }
  return groups >= 2 ? { groupOf, groups } : null;
}
