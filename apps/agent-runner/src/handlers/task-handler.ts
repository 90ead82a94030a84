import type { BlockedOn, ClaimedTaskV1 } from '@juggernaut/contracts';

export interface TaskContext {
  task: ClaimedTaskV1;
  workerId: string;
  /** This worker's autonomy level. */
  level: number;
  /** Aborted when the task is cancelled, its lease is lost, the kill switch is engaged, or the runner must stop. */
  signal: AbortSignal;
  /**
   * Saves the task's progress with the dispatcher (fenced by the claim token), so a runner that
   * claims it next starts from here. Throws when the lease is no longer held.
   */
  checkpoint(data: Record<string, unknown>): Promise<void>;
}

/** Runs one task type. The registry of handlers is what a runner advertises when it claims. */
export interface TaskHandler {
  readonly type: string;
  /** The autonomy level a runner needs to take this type; a runner below it never claims it. */
  readonly minLevel?: number;
  run(payload: Record<string, unknown>, ctx: TaskContext): Promise<Record<string, unknown> | void>;
}

export const TASK_HANDLERS = Symbol('TASK_HANDLERS');

/** A failure no retry can fix (bad input, a refused action): the task goes straight to `dead`. */
export class TerminalTaskError extends Error {
  readonly terminal = true;
}

/**
 * Thrown by a handler that must wait (for an approval, a model, more budget): the worker parks the
 * task `blocked` with the reason, without burning an attempt; its checkpoint is kept.
 */
export class BlockTaskError extends Error {
  constructor(
    readonly blockedOn: BlockedOn,
    reason: string,
    readonly approvalId?: string,
  ) {
    super(reason);
  }
}

/** Thrown by a handler that wants to run again later (with the reason): the attempt is not counted. */
export class SnoozeTaskError extends Error {
  constructor(
    readonly delayMs: number,
    reason: string,
  ) {
    super(reason);
  }
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
