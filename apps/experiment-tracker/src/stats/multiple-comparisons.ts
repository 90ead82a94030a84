/**
 * Holm's step-down adjustment (Holm, Scand. J. Statist. 6, 1979): controls the family-wise error
 * rate like Bonferroni but rejects at least as much. Sorted ascending, p₍ᵢ₎ is multiplied by
 * (m − i), made non-decreasing, capped at 1; returned in the input order.
 */
export function holmAdjust(pValues: readonly number[]): number[] {
  const m = pValues.length;
  const order = pValues.map((p, i) => ({ p, i })).sort((a, b) => a.p - b.p);
  const adjusted = new Array<number>(m);
  let running = 0;
  order.forEach(({ p, i }, rank) => {
    running = Math.max(running, Math.min(1, (m - rank) * p));
    adjusted[i] = running;
  });
  return adjusted;
}

/** Bonferroni: each p-value times the number of comparisons, capped at 1. */
export function bonferroniAdjust(pValues: readonly number[]): number[] {
  return pValues.map((p) => Math.min(1, p * pValues.length));
}

/**
 * Benjamini–Hochberg (JRSS-B 57, 1995): controls the false discovery rate. Sorted ascending,
 * p₍ᵢ₎ becomes min over j ≥ i of m·p₍ⱼ₎/j, capped at 1; returned in the input order
 * (scipy.stats.false_discovery_control(method='bh')).
 */
export function benjaminiHochbergAdjust(pValues: readonly number[]): number[] {
  const m = pValues.length;
  const order = pValues.map((p, i) => ({ p, i })).sort((a, b) => a.p - b.p);
  const adjusted = new Array<number>(m);
  let running = 1;
  for (let rank = m - 1; rank >= 0; rank--) {
    const { p, i } = order[rank]!;
    running = Math.min(running, (m * p) / (rank + 1));
    adjusted[i] = Math.min(1, running);
  }
  return adjusted;
}

export const CORRECTIONS = ['holm', 'benjamini-hochberg', 'none'] as const;
export type Correction = (typeof CORRECTIONS)[number];

/** The family's p-values adjusted by the experiment's chosen method. */
export function adjustPValues(pValues: readonly number[], method: Correction): number[] {
  if (method === 'holm') return holmAdjust(pValues);
  if (method === 'benjamini-hochberg') return benjaminiHochbergAdjust(pValues);
  return [...pValues];
}
