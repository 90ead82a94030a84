import type { ClaimedTaskV1 } from '@juggernaut/contracts';

/** A JSON schema of a tool's arguments (an object schema), as the model sees it. */
export type JsonSchema = Record<string, unknown> & { type: 'object' };

export interface ToolContext {
  task: ClaimedTaskV1;
  workerId: string;
  level: number;
  step: number;
  /**
   * Derived from the task id, step and call: the same call re-run after a crash carries the same
   * key, so a side effect lands once.
   */
  idempotencyKey: string;
  /** What the task may still spend (its budget minus its spend so far); null when it has no budget of its own. */
  budgetLeftMinor: number | null;
  /** Aborted on cancellation, lease loss or the kill switch; every tool passes it to its I/O. */
  signal: AbortSignal;
}

/** A tool the model may call: a JSON schema for its arguments, a minimum autonomy level, and the work. */
export interface AgentTool {
  readonly name: string;
  readonly description: string;
  readonly minLevel: number;
  readonly parameters: JsonSchema;
  /** Changes something outside the run: its intent is checkpointed before it runs and it takes the idempotency key. */
  readonly sideEffects: boolean;
  run(args: Record<string, unknown>, ctx: ToolContext): Promise<unknown>;
  /** Money the call commits, in minor units: above the policy's `spendAboveMinor` it needs an approval. */
  amountOf?(args: Record<string, unknown>): number;
}

/** A tool failure the model should see and may recover from (bad input, a refused URL, a 404). */
export class ToolError extends Error {}

/** The caller may not have what the tool would return (its role cannot read it): sent back as `denied: …` and counted as denied. */
export class ToolDeniedError extends ToolError {}
