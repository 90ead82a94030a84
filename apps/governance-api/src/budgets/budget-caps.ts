import type { BudgetPolicyV1 } from '@juggernaut/contracts';

/** Spend so far today (and for the task, ever), settled plus still-reserved, in the policy's currency. */
export interface BudgetUsage {
  global: number;
  level: number;
  worker: number;
  task: number;
}

/**
 * The first cap a new reservation would break, or null when it fits under all of them. A cap is
 * broken when usage plus the amount would be above it; an absent cap never refuses.
 */
export function capExceeded(
  caps: BudgetPolicyV1,
  req: { level: number; amountMinor: number; currency: string; taskBudgetMinor?: number },
  used: BudgetUsage,
): string | null {
  if (req.currency !== caps.currency)
    return `currency ${req.currency} does not match the budget currency ${caps.currency}`;
  const over = (cap: number | undefined, usage: number) => cap !== undefined && usage + req.amountMinor > cap;
  const taskCap = [caps.perTaskCapMinor, req.taskBudgetMinor].filter((c): c is number => c !== undefined);
  const perTask = taskCap.length ? Math.min(...taskCap) : undefined;
  if (over(perTask, used.task)) return `task budget cap ${perTask} reached (spent or held ${used.task})`;
  if (over(caps.perWorkerDailyCapMinor, used.worker))
    return `per-worker daily cap ${caps.perWorkerDailyCapMinor} reached (spent or held ${used.worker})`;
  const levelCap = caps.perLevelDailyCapMinor?.[String(req.level)];
  if (over(levelCap, used.level))
    return `level ${req.level} daily cap ${levelCap} reached (spent or held ${used.level})`;
  if (over(caps.globalDailyCapMinor, used.global))
    return `global daily cap ${caps.globalDailyCapMinor} reached (spent or held ${used.global})`;
  return null;
}
