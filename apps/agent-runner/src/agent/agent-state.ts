import type { ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import { type LoopState, newLoopState } from './loop-detector';

/**
 * Everything an agent run needs to continue on another runner, saved in the task checkpoint after
 * every step. `inflight` is the intent written before a model call or a side-effecting tool runs;
 * finding it on resume means that action may or may not have happened, and is reconciled.
 */
export interface AgentState {
  v: 1;
  messages: ChatCompletionMessageParam[];
  /** Model calls made (or started) so far; the number of the last step. */
  step: number;
  /** Model calls an earlier run of the same task made before this one began (its steps are numbered after them). */
  base?: number;
  /** Active wall-clock time across resumes (time blocked or queued does not count). */
  activeMs: number;
  spentMinor: number;
  tokens: { prompt: number; completion: number };
  /** Invalid tool calls or answers in a row, sent back to the model. */
  invalidStreak: number;
  loop: LoopState;
  inflight?:
    | { kind: 'model'; step: number; reservationId: string; reservedMinor: number }
    | { kind: 'tool'; step: number; callId: string; tool: string; idempotencyKey: string };
  /** Tool call id → approval id, so a resumed run asks about the same approval, never a new one. */
  approvals: Record<string, string>;
}

/**
 * A new run: the system message, earlier turns of a conversation if any, the task. `base` is the
 * number of model calls an earlier run of the same task made, so this run's steps follow them.
 */
export function newAgentState(
  system: string,
  user: string,
  history: ChatCompletionMessageParam[] = [],
  base = 0,
): AgentState {
  return {
    v: 1,
    messages: [{ role: 'system', content: system }, ...history, { role: 'user', content: user }],
    step: base,
    ...(base ? { base } : {}),
    activeMs: 0,
    spentMinor: 0,
    tokens: { prompt: 0, completion: 0 },
    invalidStreak: 0,
    loop: newLoopState(),
    approvals: {},
  };
}

/** The agent state inside a task checkpoint (under `key`, `agent` unless a task makes several runs), if the checkpoint holds one. */
export function agentStateOf(
  checkpoint: Record<string, unknown> | null | undefined,
  key = 'agent',
): AgentState | undefined {
  const s = checkpoint?.[key] as AgentState | undefined;
  return s && s.v === 1 && Array.isArray(s.messages) ? s : undefined;
}

/** Tool calls of the last assistant message that have no result yet (the run stopped between them). */
export function pendingToolCalls(
  messages: ChatCompletionMessageParam[],
): Array<{ id: string; name: string; arguments: string; index: number }> {
  let i = messages.length - 1;
  while (i >= 0 && messages[i]!.role === 'tool') i--;
  const last = messages[i];
  if (!last || last.role !== 'assistant' || !last.tool_calls?.length) return [];
  const answered = new Set(messages.slice(i + 1).map((m) => (m.role === 'tool' ? m.tool_call_id : '')));
  return last.tool_calls
    .map((c, index) =>
      c.type === 'function' ? { id: c.id, name: c.function.name, arguments: c.function.arguments, index } : undefined,
    )
    .filter((c): c is NonNullable<typeof c> => c !== undefined && !answered.has(c.id));
}
