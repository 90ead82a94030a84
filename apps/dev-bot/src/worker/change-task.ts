import type { ClaimedTaskV1 } from '@juggernaut/contracts';

/** What the worker hands the pipeline for one claimed `dev.change` task. */
export interface ChangeTaskContext {
  task: ClaimedTaskV1;
  workerId: string;
  level: number;
  /** Aborted when the lease is lost, the task is cancelled or the process must stop. */
  signal: AbortSignal;
}

/** How a claimed task ends: finished (the change reached a final state), or parked until an approval is decided or the budget allows more. */
export type ChangeTaskOutcome =
  | { kind: 'finished'; result: Record<string, unknown> }
  | { kind: 'blocked'; blockedOn: 'approval'; approvalId: string; reason: string }
  | { kind: 'blocked'; blockedOn: 'budget'; reason: string };

/** A failure another attempt cannot fix (the change is failed with it). */
export class TerminalChangeError extends Error {
  readonly terminal = true;
}
