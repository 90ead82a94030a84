import type { ChatCompletionMessageParam } from 'openai/resources/chat/completions';

/**
 * Holds an answer to what the tools returned. Every number in it (amounts, counts, ratios — dates
 * and times are exempt) must appear in a tool result of the conversation or in a question; every
 * `[ref]` it cites must be an id a tool returned (or the name of a tool that answered); an answer
 * with numbers must cite at least once. Pure, so it is unit-tested apart from the loop.
 */

/** A number as written: digits with optional thousands separators (comma or narrow space) and decimals, not part of a word or id. */
const NUMBER = /(?<![\p{L}\p{N}_.])(\d{1,3}(?:[,\u202f\u2009]\d{3})+|\d+)(\.\d+)?(?![\p{L}_]|\.?\d)(\s?%)?/gu;
/** `[ref]` citations: no spaces, not a markdown link. */
const CITATION = /\[([^\[\]\s]{1,200})\](?!\()/g;
/** Dates, times and timestamps: not amounts, and not checked. */
const DATE_TIME =
  /\b\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?\b|\b\d{1,2}:\d{2}(?::\d{2})?\b/g;
/** Numbered list markers at the start of a line. */
const LIST_MARKER = /^(\s*)\d+[.)](?=\s)/gm;
/** String values in a tool result that can be cited (ids, keys, names without spaces). */
const QUOTED = /"([^"\\\s]{1,200})"/g;

export interface NumberToken {
  /** As written. */
  text: string;
  /** Its absolute value, written canonically ("12,500.50" → "12500.5"). */
  canonical: string;
  value: number;
  decimals: number;
  percent: boolean;
}

export interface Evidence {
  /** Canonical numbers. */
  numbers: Set<string>;
  /** Citable strings and the tool that returned each ("earlier turn" for evidence of earlier answers). */
  refs: Map<string, string>;
}

export interface Grounding {
  ok: boolean;
  /** What is wrong, for the model (empty when ok). */
  problems: string[];
  citations: Array<{ ref: string; tool: string }>;
  /** The numbers the answer states (canonical). */
  numbers: string[];
}

export function numbersIn(text: string): NumberToken[] {
  const out: NumberToken[] = [];
  for (const m of text.matchAll(NUMBER)) {
    const digits = m[1]!.replace(/[,\u202f\u2009]/g, '');
    const fraction = m[2] ?? '';
    const value = Math.abs(Number(`${digits}${fraction}`));
    if (!Number.isFinite(value)) continue;
    out.push({
      text: m[0].trim(),
      canonical: String(value),
      value,
      decimals: fraction ? fraction.length - 1 : 0,
      percent: Boolean(m[3]),
    });
  }
  return out;
}

/** What the tools returned (results that are not errors, refusals or denials), with the tool of each. */
export function toolResults(messages: readonly ChatCompletionMessageParam[]): Array<{ tool: string; content: string }> {
  const names = new Map<string, string>();
  for (const m of messages) {
    if (m.role === 'assistant')
      for (const c of m.tool_calls ?? []) if (c.type === 'function') names.set(c.id, c.function.name);
  }
  return messages.flatMap((m) => {
    if (m.role !== 'tool' || typeof m.content !== 'string' || /^(error|denied|refused):/.test(m.content)) return [];
    return [{ tool: names.get(m.tool_call_id) ?? 'unknown', content: m.content }];
  });
}

/** The evidence of tool results, plus numbers and refs kept from earlier answers. */
export function evidenceOf(
  results: Array<{ tool: string; content: string }>,
  earlier: { numbers: readonly string[]; refs: readonly string[] } = { numbers: [], refs: [] },
): Evidence {
  const numbers = new Set<string>(earlier.numbers);
  const refs = new Map<string, string>(earlier.refs.map((r) => [r, 'earlier turn']));
  for (const r of results) {
    for (const n of numbersIn(r.content)) numbers.add(n.canonical);
    for (const q of r.content.matchAll(QUOTED))
      if (!refs.has(q[1]!) || refs.get(q[1]!) === 'earlier turn') refs.set(q[1]!, r.tool);
    refs.set(r.tool, r.tool);
  }
  return { numbers, refs };
}

function grounded(n: NumberToken, evidence: Evidence, values: number[]): boolean {
  if (evidence.numbers.has(n.canonical)) return true;
  // 125.00 may be 12500 minor units written as money
  if (n.decimals === 2 && evidence.numbers.has(String(Math.round(n.value * 100)))) return true;
  // 12.5% may be a ratio of 0.125, rounded as written
  if (n.percent) {
    const tolerance = 0.5 * 10 ** -n.decimals;
    return values.some((v) => Math.abs(v * 100 - n.value) <= tolerance + 1e-9);
  }
  return false;
}

/**
 * Checks an answer against the evidence. `questions` are the caller's own words (numbers there may
 * be repeated). The citations of an answer that passes are returned with the tool behind each.
 */
export function checkGrounding(answer: string, evidence: Evidence, questions: readonly string[] = []): Grounding {
  const cited = [...answer.matchAll(CITATION)].map((m) => m[1]!);
  const unknown = [...new Set(cited.filter((r) => !evidence.refs.has(r)))];
  const prose = answer.replace(CITATION, ' ').replace(DATE_TIME, ' ').replace(LIST_MARKER, '$1');
  const asked = new Set(questions.flatMap((q) => numbersIn(q.replace(DATE_TIME, ' ')).map((n) => n.canonical)));
  const values = [...evidence.numbers].map(Number);
  const stated = numbersIn(prose);
  const ungrounded = [
    ...new Set(stated.filter((n) => !asked.has(n.canonical) && !grounded(n, evidence, values)).map((n) => n.text)),
  ];
  const problems: string[] = [];
  if (ungrounded.length) {
    problems.push(
      `it states ${ungrounded.length === 1 ? 'a number' : 'numbers'} no tool result of this conversation shows (${ungrounded.slice(0, 10).join(', ')}): copy every number from a tool result — call a tool to get it — or leave it out; never compute or recall one`,
    );
  }
  if (unknown.length) {
    problems.push(
      `it cites ${unknown
        .slice(0, 10)
        .map((r) => `[${r}]`)
        .join(', ')}, which no tool returned: cite only ids from tool results, or the name of the tool`,
    );
  }
  const citations = [...new Set(cited.filter((r) => evidence.refs.has(r)))].map((ref) => ({
    ref,
    tool: evidence.refs.get(ref)!,
  }));
  if (stated.some((n) => !asked.has(n.canonical)) && citations.length === 0 && unknown.length === 0) {
    problems.push(
      'it states numbers without citing what they rest on: put the id each rests on in square brackets, e.g. [<the experiment id>], or the tool name for results without an id, e.g. [ledger_summary]',
    );
  }
  return { ok: problems.length === 0, problems, citations, numbers: [...new Set(stated.map((n) => n.canonical))] };
}
