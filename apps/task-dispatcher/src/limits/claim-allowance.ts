/**
 * How many tasks of a type may start now: the fewer of its free concurrency slots (its cap less its
 * running tasks) and its whole tokens; null: that limit is not set.
 */
export function allowanceOf(slots: number | null, tokens: number | null): number {
  return Math.min(slots ?? Number.POSITIVE_INFINITY, tokens ?? Number.POSITIVE_INFINITY);
}

/**
 * The most tasks of each requested type (same order) one claim may take: the claim's `max`, lowered
 * to the type's allowance where the type has limits. When every one is 0 the claim takes nothing.
 */
export function perTypeMax(types: string[], max: number, allowance: ReadonlyMap<string, number>): number[] {
  return types.map((t) => Math.min(max, allowance.get(t) ?? max));
}
