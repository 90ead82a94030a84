import type { AgentStopReason, ApprovalV1 } from '@juggernaut/contracts';
import { costMinor, type ModelPrice } from '@juggernaut/llm';
import type { JsonSchema } from '../tools/tool';

/**
 * The rules of an agent run, as pure functions: when it stops and why, what a step costs and what
 * is left to spend, which tool calls run, and what the model is told when it gets something wrong.
 * AgentLoop applies them to a run's state; agent-rules.spec.ts states them one by one.
 */

export interface Stop {
  reason: AgentStopReason;
  detail: string;
}

// --- budget arithmetic (integer minor units) ---------------------------------------------------

/** What a task may still spend: its budget less what it spent, never below zero; null when it has no budget. */
export function budgetLeftMinor(budgetMinor: number | null, spentMinor: number): number | null {
  return budgetMinor === null ? null : Math.max(0, budgetMinor - spentMinor);
}

/**
 * What a model call is charged: its reported usage at the model's price, or, when the provider
 * reported no usage, the whole reservation made for it (the upper bound, never less than it cost).
 */
export function stepCostMinor(
  price: ModelPrice,
  usage: { promptTokens: number; completionTokens: number } | undefined,
  reservedMinor: number,
): number {
  return usage ? costMinor(price, usage.promptTokens, usage.completionTokens) : reservedMinor;
}

/** The stop when the budget refuses the next call's reservation: nothing was requested. */
export function budgetStop(reason: string | undefined, estimateMinor: number, currency: string): Stop {
  return {
    reason: 'budget',
    detail: `${reason ?? 'the budget refused the reservation'} (the next call needed up to ${estimateMinor} ${currency} minor units; no request was made)`,
  };
}

// --- stop reasons -------------------------------------------------------------------------------

/** A task may ask for fewer model calls than the runner allows, never for more. */
export function maxStepsFor(asked: number | undefined, configured: number): number {
  return Math.min(asked ?? configured, configured);
}

/** The stop due before the next model call, if one is: the time limit first, then the step limit. */
export function stopBeforeStep(run: {
  /** Model calls this run made (steps of an earlier run of the same task not counted). */
  made: number;
  maxSteps: number;
  timedOut: boolean;
  timeoutMs: number;
}): Stop | undefined {
  if (run.timedOut) return timeoutStop(run.timeoutMs);
  if (run.made >= run.maxSteps)
    return { reason: 'max_steps', detail: `${run.made} model calls made, the limit is ${run.maxSteps}` };
  return undefined;
}

export function timeoutStop(timeoutMs: number): Stop {
  return { reason: 'timeout', detail: `active time over ${timeoutMs} ms` };
}

/**
 * Invalid tool calls or final answers are sent back to the model to correct, `retries` times in a
 * row at most; one more makes the run a loop. `answerError`: the streak ended on an invalid answer.
 */
export function invalidStreakStop(streak: number, retries: number, answerError?: string): Stop | undefined {
  if (streak <= retries) return undefined;
  return {
    reason: 'loop_detected',
    detail:
      answerError === undefined
        ? `${streak} invalid tool calls in a row`
        : `the final answer was invalid ${streak} times in a row: ${answerError}`,
  };
}

// --- tool calls ---------------------------------------------------------------------------------

export type ToolGate<T> =
  | { run: true; tool: T; args: Record<string, unknown> }
  | {
      run: false;
      outcome: 'refused' | 'error' | 'denied';
      /** What the model is sent as the call's result. */
      content: string;
      /** An invalid call (no such tool, bad arguments) counts towards the invalid streak. */
      invalid: boolean;
      args?: Record<string, unknown>;
    };

/**
 * Whether a tool call the model asked for may run, in this order: a tool the run does not offer
 * is refused (when the run says why) or an error naming the tools there are; arguments must be a
 * JSON object valid against the tool's schema; the worker's level must reach the tool's level
 * (the tool's own minimum raised by the policy). Approval comes after (approvalVerdict).
 */
export function gateToolCall<T extends { name: string; parameters: JsonSchema }>(
  call: { name: string; arguments: string },
  c: {
    tool: T | undefined;
    available: string[];
    /** Why a tool that is not offered is refused, if the run says. */
    refusal?: string;
    validate: (schema: JsonSchema, value: unknown) => string | null;
    level: number;
    neededLevel: number;
  },
): ToolGate<T> {
  if (!c.tool && c.refusal) return { run: false, outcome: 'refused', content: `refused: ${c.refusal}`, invalid: false };
  if (!c.tool) {
    const content = `error: there is no tool named "${call.name}". Available: ${c.available.join(', ')}`;
    return { run: false, outcome: 'error', content, invalid: true };
  }
  const tool = c.tool;
  const again = `Call ${tool.name} again with arguments matching this JSON schema: ${JSON.stringify(tool.parameters)}`;
  const parsed = parseArgs(call.arguments);
  if (!parsed.ok) {
    const content = `error: the arguments are not a JSON object (${parsed.error}). ${again}`;
    return { run: false, outcome: 'error', content, invalid: true };
  }
  const args = parsed.value;
  const problems = c.validate(tool.parameters, args);
  if (problems)
    return {
      run: false,
      outcome: 'error',
      content: `error: invalid arguments: ${problems}. ${again}`,
      invalid: true,
      args,
    };
  if (c.level < c.neededLevel) {
    const content = `denied: ${tool.name} needs autonomy level ${c.neededLevel}; this worker is level ${c.level}. Do the task without it.`;
    return { run: false, outcome: 'denied', content, invalid: false, args };
  }
  return { run: true, tool, args };
}

/** What an approval means for the call it covers: none needed or approved runs; pending waits; anything else denies the run. */
export function approvalVerdict(
  approval: Pick<ApprovalV1, 'id' | 'status' | 'decisionReason'> | undefined,
  tool: string,
): { kind: 'run' } | { kind: 'wait'; approvalId: string } | { kind: 'denied'; detail: string } {
  if (!approval || approval.status === 'approved') return { kind: 'run' };
  if (approval.status === 'pending') return { kind: 'wait', approvalId: approval.id };
  const why = approval.decisionReason ? `: ${approval.decisionReason}` : '';
  return { kind: 'denied', detail: `approval ${approval.id} for ${tool} was ${approval.status}${why}` };
}

/** Tool arguments as the model wrote them: a JSON object (empty text is `{}`), or why not. */
export function parseArgs(raw: string): { ok: true; value: Record<string, unknown> } | { ok: false; error: string } {
  try {
    const v: unknown = JSON.parse(raw || '{}');
    if (!v || typeof v !== 'object' || Array.isArray(v)) return { ok: false, error: 'not an object' };
    return { ok: true, value: v as Record<string, unknown> };
  } catch (e) {
    return { ok: false, error: (e as Error).message.slice(0, 200) };
  }
}

export const MAX_TOOL_RESULT_CHARS = 16_000;

/** A tool result as the model sees it: cut at MAX_TOOL_RESULT_CHARS, saying so. */
export function truncateToolResult(s: string): string {
  return s.length > MAX_TOOL_RESULT_CHARS ? `${s.slice(0, MAX_TOOL_RESULT_CHARS)}… [truncated]` : s;
}

// --- final answers ------------------------------------------------------------------------------

/** A final answer expected as JSON: the JSON value, with a Markdown code fence around it tolerated. */
export function answerJson(content: string): { ok: true; value: unknown } | { ok: false; error: string } {
  const text = content
    .trim()
    .replace(/^```(?:json)?\s*/i, '')
    .replace(/\s*```$/, '');
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false, error: 'it is not JSON' };
  }
}

/** What the model is told after an invalid final answer: the problem, and the schema when the answer must be JSON. */
export function answerRetryPrompt(error: string, outputSchema?: JsonSchema): string {
  return outputSchema
    ? `Your answer is not valid: ${error}. Reply with JSON only, matching this schema: ${JSON.stringify(outputSchema)}`
    : `Your answer is not valid: ${error}. Answer again.`;
}
