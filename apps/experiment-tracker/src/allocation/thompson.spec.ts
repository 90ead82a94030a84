import { chanceToBeBest } from '../stats/bayesian';
import { betaPosterior } from '../stats/posterior';
import { thompsonAllocation } from './thompson';

const exp = (id: string, control: [number, number], variant: [number, number], budget = 10_000, currency = 'USD') => ({
  experimentId: id,
  name: id,
  currency,
  remainingBudgetMinor: budget,
  variants: [
    { key: 'control', control: true, posterior: betaPosterior(...control) },
    { key: 'b', control: false, posterior: betaPosterior(...variant) },
  ],
});

describe('Thompson sampling budget allocation', () => {
  it('gives most of the pool to the experiment with the most promising lift, and some to the uncertain one', () => {
    const { shares, pools } = thompsonAllocation(
      [exp('strong', [100, 1000], [150, 1000]), exp('flat', [100, 1000], [100, 1000]), exp('young', [1, 10], [2, 10])],
      20_000,
      'seed',
    );
    const by = Object.fromEntries(shares.map((s) => [s.experimentId, s]));
    expect(pools).toEqual({ USD: 30_000 });
    expect(by['strong']!.share).toBeGreaterThan(by['flat']!.share);
    expect(by['young']!.share).toBeGreaterThan(0.05);
    expect(by['flat']!.share).toBeLessThan(0.1);
    expect(shares.reduce((s, x) => s + x.allocatedMinor, 0)).toBe(30_000);
    expect(shares.every((s) => Number.isInteger(s.allocatedMinor))).toBe(true);
  });

  it("variant shares estimate each variant's chance to be best (within Monte Carlo error)", () => {
    const { shares } = thompsonAllocation([exp('one', [100, 1000], [125, 1000])], 40_000, 'seed-2');
    const exact = chanceToBeBest([betaPosterior(100, 1000), betaPosterior(125, 1000)]);
    expect(Math.abs(shares[0]!.variantShares['b']! - exact[1]!)).toBeLessThan(0.01);
    expect(shares[0]!.share).toBe(1);
  });

  it('is reproducible for a seed and keeps currencies in separate pools', () => {
    const input = [
      exp('a', [10, 100], [12, 100], 500, 'USD'),
      exp('b', [10, 100], [14, 100], 900, 'EUR'),
      exp('c', [10, 100], [9, 100], 100, 'USD'),
    ];
    const one = thompsonAllocation(input, 5_000, 'x');
    expect(thompsonAllocation(input, 5_000, 'x')).toEqual(one);
    expect(one.pools).toEqual({ USD: 600, EUR: 900 });
    expect(one.shares.find((s) => s.experimentId === 'b')!.share).toBe(1);
  });
});
