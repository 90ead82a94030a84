/**
 * Model prices in integer minor units per million tokens, and the arithmetic on them. Costs are
 * computed with BigInt and rounded up, so a run is never charged less than it spent and no
 * floating-point error creeps into the ledger.
 */
export interface ModelPrice {
  /** Minor units per 1,000,000 prompt tokens. */
  prompt: number;
  /** Minor units per 1,000,000 completion tokens. */
  completion: number;
}

export type PriceTable = Record<string, ModelPrice>;

/** Published list prices (USD cents per million tokens) for a few common models; AGENT_PRICES overrides and extends them. */
export const DEFAULT_PRICES: PriceTable = {
  'gpt-4o-mini': { prompt: 15, completion: 60 },
  'gpt-4.1-mini': { prompt: 40, completion: 160 },
  'gpt-4.1-nano': { prompt: 10, completion: 40 },
  'gpt-4o': { prompt: 250, completion: 1000 },
};

/** Parses AGENT_PRICES (`{"model": {"prompt": 15, "completion": 60}}`); throws naming what is wrong. */
export function parsePriceTable(json: string | undefined): PriceTable {
  if (!json || !json.trim()) return { ...DEFAULT_PRICES };
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    throw new Error(
      'AGENT_PRICES must be JSON: {"<model>": {"prompt": <minor units per 1M tokens>, "completion": <…>}}',
    );
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed))
    throw new Error('AGENT_PRICES must be a JSON object keyed by model name');
  const table: PriceTable = { ...DEFAULT_PRICES };
  for (const [model, price] of Object.entries(parsed as Record<string, unknown>)) {
    const p = price as Partial<ModelPrice> | null;
    const ok = (v: unknown) => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
    if (!p || !ok(p.prompt) || !ok(p.completion)) {
      throw new Error(
        `AGENT_PRICES["${model}"] must have integer "prompt" and "completion" prices (minor units per 1M tokens, ≥ 0)`,
      );
    }
    table[model] = { prompt: p.prompt!, completion: p.completion! };
  }
  return table;
}

/** The cost of a call in minor units: ceil((prompt × p + completion × c) / 1,000,000). */
export function costMinor(price: ModelPrice, promptTokens: number, completionTokens: number): number {
  const micro = BigInt(promptTokens) * BigInt(price.prompt) + BigInt(completionTokens) * BigInt(price.completion);
  const million = 1_000_000n;
  return Number((micro + million - 1n) / million);
}

/**
 * An upper bound for a call's cost, reserved before it is made: every byte of the request counted
 * as a prompt token (a token is never shorter than one byte of UTF-8 text in practice) plus the
 * full completion allowance.
 */
export function reservationMinor(price: ModelPrice, requestBytes: number, maxTokens: number): number {
  return costMinor(price, requestBytes, maxTokens);
}
