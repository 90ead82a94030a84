import { costMinor, DEFAULT_PRICES, parsePriceTable, reservationMinor } from './pricing';

describe('pricing', () => {
  it('rounds the cost of a call up to the next minor unit, exactly', () => {
    expect(costMinor({ prompt: 15, completion: 60 }, 1_000_000, 0)).toBe(15);
    expect(costMinor({ prompt: 15, completion: 60 }, 1, 0)).toBe(1);
    expect(costMinor({ prompt: 15, completion: 60 }, 0, 0)).toBe(0);
    expect(costMinor({ prompt: 250, completion: 1000 }, 12_345, 678)).toBe(
      Math.ceil((12_345 * 250 + 678 * 1000) / 1e6),
    );
    // Large token counts stay exact (BigInt), beyond what floating point would round.
    expect(costMinor({ prompt: 3, completion: 7 }, 2 ** 50, 1)).toBe(
      Number((2n ** 50n * 3n + 7n + 999_999n) / 1_000_000n),
    );
  });

  it('reserves at least what the call can cost', () => {
    const price = { prompt: 40, completion: 160 };
    expect(reservationMinor(price, 5_000, 1_024)).toBeGreaterThanOrEqual(costMinor(price, 5_000, 1_024));
  });

  it('parses a price table, keeping the defaults and rejecting bad entries with the variable name', () => {
    expect(parsePriceTable(undefined)).toEqual(DEFAULT_PRICES);
    expect(parsePriceTable('{"llama3": {"prompt": 0, "completion": 0}}')).toMatchObject({
      llama3: { prompt: 0, completion: 0 },
      'gpt-4o-mini': DEFAULT_PRICES['gpt-4o-mini'],
    });
    expect(() => parsePriceTable('nope')).toThrow(/AGENT_PRICES must be JSON/);
    expect(() => parsePriceTable('{"m": {"prompt": 1.5, "completion": 1}}')).toThrow(/AGENT_PRICES\["m"\]/);
    expect(() => parsePriceTable('[1]')).toThrow(/object/);
  });
});
