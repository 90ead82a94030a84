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
