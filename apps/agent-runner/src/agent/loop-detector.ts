/**
 * Finds an agent going round in circles. Two signals, both robust to other calls in between:
 * the same action (tool and canonical arguments) returning the same observation `maxRepeats`
 * times, and `maxStaleSteps` steps in a row that produced nothing not seen before.
 * Its state is plain data, kept in the task checkpoint so detection survives a resume.
 */
export interface LoopState {
  /** `action|observation` → times seen. */
  seen: Record<string, number>;
  staleSteps: number;
}

export interface LoopVerdict {
  loop: boolean;
  detail?: string;
}

export function newLoopState(): LoopState {
  return { seen: {}, staleSteps: 0 };
}

/** Records one step's actions and observations (hashes) and says whether the run is looping. */
export function recordStep(
  state: LoopState,
  actions: Array<{ action: string; observation: string }>,
  limits: { maxRepeats: number; maxStaleSteps: number },
): LoopVerdict {
  let fresh = false;
  let repeated: string | undefined;
  for (const a of actions) {
    const key = `${a.action}|${a.observation}`;
    const n = (state.seen[key] ?? 0) + 1;
    state.seen[key] = n;
    if (n === 1) fresh = true;
    if (n >= limits.maxRepeats) repeated = a.action;
  }
  state.staleSteps = fresh ? 0 : state.staleSteps + 1;
  if (repeated)
    return {
      loop: true,
      detail: `the same call (${repeated.split('#')[0]}) returned the same result ${limits.maxRepeats} times`,
    };
  if (state.staleSteps >= limits.maxStaleSteps)
    return { loop: true, detail: `${state.staleSteps} steps in a row produced nothing new` };
  return { loop: false };
}
