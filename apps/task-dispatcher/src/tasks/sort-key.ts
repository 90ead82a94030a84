/**
 * A task's place in the claim order (`sort_key`, smallest first), as a SQL expression: its run-at
 * pushed back `agingSeconds` (DISPATCH_AGING_SECONDS) for each priority step, 0 being the highest.
 * Waiting ages a task: one of lower priority goes ahead of a higher-priority one that became due
 * more than (the difference in priority) × `agingSeconds` after it, so no priority starves.
 */
export const sortKey = (runAt: string, priority: string, agingSeconds: string) =>
  `${runAt} + make_interval(secs => ${priority} * ${agingSeconds})`;
