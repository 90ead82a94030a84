import type { ClaimedTaskV1 } from '@juggernaut/contracts';

export interface TaskContext {
  task: ClaimedTaskV1;
  workerId: string;
  /** Aborted when the task is cancelled, its lease is lost, or the runner must stop. */
  signal: AbortSignal;
}

/** Runs one task type. The registry of handlers is what a runner advertises when it claims. */
export interface TaskHandler {
  readonly type: string;
  run(payload: Record<string, unknown>, ctx: TaskContext): Promise<Record<string, unknown> | void>;
}

export const TASK_HANDLERS = Symbol('TASK_HANDLERS');

/** A failure no retry can fix (bad input, a refused action): the task goes straight to `dead`. */
export class TerminalTaskError extends Error {
  readonly terminal = true;
}

export function isTerminal(e: unknown): boolean {
  return (e as { terminal?: unknown })?.terminal === true;
}

/** Resolves after `ms`, or rejects as soon as the signal aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason ?? new Error('aborted'));
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason ?? new Error('aborted'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
