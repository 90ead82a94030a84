/**
 * How much of a conversation the model is sent. The estimate errs high (a token for every four
 * bytes, and a few for each message's framing); when the conversation no longer fits the budget,
 * the oldest turns are handed to a summary and only the newest ones are sent as they are. Pure.
 */

/** Tokens a text takes, estimated from its UTF-8 size. */
export function estimateTokens(text: string): number {
  return Math.ceil(Buffer.byteLength(text, 'utf8') / 4) + 4;
}

export interface WindowTurn {
  seq: number;
  author: 'user' | 'assistant';
  content: string;
}

export interface CompactionPlan {
  /** The newest message the summary stands for (the messages up to it leave what the model is sent); null when everything fits. */
  throughSeq: number | null;
  /** Turns the summary is written from (the earlier summary, if any, is given to it too). */
  summarise: WindowTurn[];
  /** Turns sent as they are. */
  keep: WindowTurn[];
  /** Estimated tokens of the conversation as it stands. */
  tokens: number;
}

/**
 * Whether to compact, and where. `fixedTokens` is everything sent whatever happens (system message,
 * tools, the earlier summary, the question). Over `budget`, the newest turns that fit in half of it
 * are kept and the older ones summarised; a kept part never starts with an answer whose question
 * was summarised.
 */
export function planCompaction(fixedTokens: number, turns: readonly WindowTurn[], budget: number): CompactionPlan {
  const sizes = turns.map((t) => estimateTokens(t.content));
  const tokens = fixedTokens + sizes.reduce((a, b) => a + b, 0);
  if (tokens <= budget || turns.length === 0) return { throughSeq: null, summarise: [], keep: [...turns], tokens };
  let kept = 0;
  let used = fixedTokens;
  for (let i = turns.length - 1; i >= 0; i--) {
    if (used + sizes[i]! > budget / 2) break;
    used += sizes[i]!;
    kept++;
  }
  let first = turns.length - kept;
  while (first < turns.length && turns[first]!.author === 'assistant') first++;
  if (first === 0) return { throughSeq: null, summarise: [], keep: [...turns], tokens };
  return { throughSeq: turns[first - 1]!.seq, summarise: turns.slice(0, first), keep: turns.slice(first), tokens };
}
