/** One sub-task of a plan, as the model proposes it. */
export interface PlannedTask {
  key: string;
  type: string;
  title: string;
  goal: string;
  requiredLevel: number;
  capabilities?: string[];
  budgetMinor: number;
  dependsOn?: string[];
}

/**
 * Checks a plan before anything is created: unique keys, dependencies only on tasks listed
 * earlier (so the graph is acyclic by construction), and budgets that add up to no more than the
 * planner has left. Returns what is wrong, or null.
 */
export function checkPlan(tasks: PlannedTask[], budgetLeftMinor: number | null): string | null {
  const seen = new Set<string>();
  for (const t of tasks) {
    if (seen.has(t.key)) return `key "${t.key}" is used twice`;
    for (const d of t.dependsOn ?? []) {
      if (d === t.key) return `task "${t.key}" depends on itself`;
      if (!seen.has(d))
        return `task "${t.key}" depends on "${d}", which is not listed before it (list tasks in dependency order)`;
    }
    seen.add(t.key);
  }
  const total = tasks.reduce((sum, t) => sum + t.budgetMinor, 0);
  if (budgetLeftMinor !== null && total > budgetLeftMinor)
    return `the sub-task budgets add up to ${total}, more than the ${budgetLeftMinor} this plan has left`;
  return null;
}
