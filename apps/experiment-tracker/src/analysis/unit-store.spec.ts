import type { MetricV1 } from '@juggernaut/contracts';
import { Rng } from '../stats/rng';
import { percentileCont, UnitStore, type UnitValues } from './unit-store';

const variants = () => [
  { key: 'control', control: true, weight: 50, revenueMinor: 0 },
  { key: 'b', control: false, weight: 50, revenueMinor: 0 },
];
const metrics: MetricV1[] = [
  { key: 'conversion', kind: 'proportion', numerator: 'converted', denominator: null, capping: null, prior: null },
  {
    key: 'revenue_per_unit',
    kind: 'mean',
    numerator: 'revenue',
    denominator: null,
    capping: { type: 'percentile', value: 0.9 },
    prior: null,
  },
  {
    key: 'revenue_per_order',
    kind: 'ratio',
    numerator: 'revenue',
    denominator: 'orders',
    capping: { type: 'absolute', value: 3000 },
    prior: null,
  },
  { key: 'items', kind: 'mean', numerator: 'items', denominator: null, capping: null, prior: null },
] as MetricV1[];
const plan = { metrics, cuped: true, stratify: true, periodStarts: [new Date(1_500)], maxStrata: 50 };

function units(count: number, seed: number): UnitValues[] {
  const rng = new Rng(seed);
  const random = () => rng.uniform();
  return Array.from({ length: count }, (_, i) => {
    const converted = random() < 0.3 ? 1 : 0;
    return {
      unitId: `u${Math.floor(random() * 1e9)}-${i}`,
      variantKey: random() < 0.5 ? 'control' : 'b',
      exposedMs: Math.floor(random() * 3_000),
      stratum: random() < 0.1 ? null : `s${Math.floor(random() * 3)}`,
      values: [
        random() * 10,
        converted,
        converted * (1 + Math.floor(random() * 3)),
        converted * Math.floor(random() * 5_000),
        Math.floor(random() * 2) * 700,
        converted * random() * 4,
      ],
    };
  });
}

describe('percentileCont', () => {
  it("interpolates between the order statistics as Postgres's percentile_cont does, ties and all", () => {
    const rng = new Rng(7);
    const random = () => rng.uniform();
    for (const n of [1, 2, 3, 10, 101, 1000]) {
      const values = Float64Array.from({ length: n }, () => (random() < 0.5 ? 0 : Math.floor(random() * 50)));
      const sorted = [...values].sort((a, b) => a - b);
      for (const p of [0, 0.1, 0.5, 0.9, 0.99, 1]) {
        const position = p * (n - 1);
        const lo = sorted[Math.floor(position)]!;
        const hi = sorted[Math.ceil(position)]!;
        expect(percentileCont(values, n, p)).toBe(lo + (position - Math.floor(position)) * (hi - lo));
      }
    }
  });
});

describe('UnitStore', () => {
  it('gives the same figures to the last bit whatever order and batches the units arrived in, and after a unit changes', () => {
    const all = units(3_000, 11);
    const once = new UnitStore(variants(), ['items']);
    once.upsert(all);
    const piecewise = new UnitStore(variants(), ['items']);
    const shuffled = [...all].reverse();
    for (let i = 0; i < shuffled.length; i += 250) {
      piecewise.upsert(shuffled.slice(i, i + 250));
      piecewise.aggregate(plan);
    }
    expect(JSON.stringify(piecewise.aggregate(plan))).toBe(JSON.stringify(once.aggregate(plan)));

    // A unit's values recomputed (a new conversion) replace its old ones.
    const changed = { ...all[42]!, values: [...all[42]!.values] };
    changed.values[1] = 1;
    changed.values[3] = 123_456;
    piecewise.upsert([changed]);
    const fresh = new UnitStore(variants(), ['items']);
    fresh.upsert(all.map((u, i) => (i === 42 ? changed : u)));
    expect(JSON.stringify(piecewise.aggregate(plan))).toBe(JSON.stringify(fresh.aggregate(plan)));
    expect(piecewise.units).toBe(3_000);
  });

  it('sums again only the cells with written units when the caps stay, to the same figures', () => {
    const fixed = {
      ...plan,
      metrics: metrics.map((m) => (m.capping ? { ...m, capping: { type: 'absolute' as const, value: 2500 } } : m)),
    };
    const all = units(2_000, 5);
    const kept = new UnitStore(variants(), ['items']);
    kept.upsert(all.slice(0, 1_000));
    kept.aggregate(fixed);
    for (let i = 1_000; i < 2_000; i += 97) {
      kept.upsert(all.slice(i, i + 97));
      // A unit already there gets new values too.
      const again = { ...all[i - 500]!, values: all[i - 500]!.values.map((v, c) => (c === 3 ? v + 1 : v)) };
      all[i - 500] = again;
      kept.upsert([again]);
      const fresh = new UnitStore(variants(), ['items']);
      fresh.upsert(all.slice(0, Math.min(i + 97, 2_000)));
      expect(JSON.stringify(kept.aggregate(fixed))).toBe(JSON.stringify(fresh.aggregate(fixed)));
    }
  });

  it('reports the caps, the covariates and the cells by variant, period and stratum', () => {
    const store = new UnitStore(variants(), ['items']);
    const all = units(500, 3);
    store.upsert(all);
    const out = store.aggregate(plan);
    const revenue = Float64Array.from(all.map((u) => u.values[3]!));
    const pre = Float64Array.from(all.map((u) => u.values[4]!));
    expect(out.caps).toEqual({
      revenue_per_unit: { cap: percentileCont(revenue, 500, 0.9), covariateCap: percentileCont(pre, 500, 0.9) },
      revenue_per_order: { cap: 3000, covariateCap: null },
    });
    expect(out.covariates).toEqual(['pre_revenue', 'exposure_covariate']);
    expect(out.stratified).toBe(true);
    expect(out.cells.reduce((s, c) => s + c.n, 0)).toBe(500);
    const expected = new Set(all.map((u) => `${u.variantKey}/${u.exposedMs >= 1_500 ? 1 : 0}/${u.stratum ?? ''}`));
    expect(new Set(out.cells.map((c) => `${c.variant}/${c.period}/${c.stratum}`))).toEqual(expected);
    const controlConverted = all.filter((u) => u.variantKey === 'control' && u.values[1] === 1).length;
    expect(out.cells.filter((c) => c.variant === 'control').reduce((s, c) => s + c.conversions, 0)).toBe(
      controlConverted,
    );
    // Too many strata: not post-stratified, with the reason.
    const wide = store.aggregate({ ...plan, maxStrata: 2 });
    expect([wide.stratified, wide.strataNote]).toEqual([false, 'more than 2 strata: not post-stratified']);
  });
});
