/**
 * How much of a requester's timeout a claim may use: the rest — half the timeout, at most a second —
 * covers the commit and the answer's way back, so no lease goes to a runner that stopped listening.
 */
export function claimBudgetMs(timeoutMs: number): number {
  return timeoutMs - Math.min(1_000, timeoutMs / 2);
}

/**
 * What is left at `now` of the budget of a claim whose request arrived at `receivedAt` (both
 * performance.now() readings); undefined when the requester gave no timeout (no budget). At 0 or
 * below the claim is answered empty without claiming: it is too late.
 */
export function claimBudgetLeftMs(timeoutMs: number | undefined, receivedAt: number, now: number): number | undefined {
  return timeoutMs === undefined ? undefined : claimBudgetMs(timeoutMs) - (now - receivedAt);
}
