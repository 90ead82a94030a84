import type { NatsConnection } from '@nats-io/transport-node';
import type { BaseEnv } from '@juggernaut/config';
import type { ExperimentResultsV1, RequestSubject, RequestSubjectMap } from '@juggernaut/contracts';
import type { RunningService } from '@juggernaut/service-kit';
import { connectTestNats, TestStack } from '@juggernaut/testing';
import { DataSource } from 'typeorm';
import { experimentTracker } from '../src/service';

/**
 * How long the results of a 50,000-unit experiment take with every statistic on (CUPED with the
 * ledger's pre-period revenue and an exposure covariate, percentile capping, strata, a ratio and a
 * named mean metric) next to the same experiment with them off. Informal: the times are printed,
 * not asserted (a shared 2-core machine is no benchmark; `npm run bench -- experiments` is).
 * The data is written with SQL, so the suite measures the analysis and not ingestion.
 */
const UNITS = 50_000;

describe('results time budget at 50,000 units (informal, printed)', () => {
  let stack: TestStack;
  let svc: RunningService<BaseEnv>;
  let nc: NatsConnection;
  let db: DataSource;

  const wire = (s: string) => `${stack.namespace}.${s}`;
  async function rpc<S extends RequestSubject>(subject: S, payload: unknown): Promise<RequestSubjectMap[S]['reply']> {
    const reply = (await nc.request(wire(subject), JSON.stringify(payload), { timeout: 30_000 })).json<
      { ok: true; data: RequestSubjectMap[S]['reply'] } | { ok: false; error: unknown }
    >();
    if (!reply.ok) throw new Error(JSON.stringify(reply.error));
    return reply.data;
  }

  beforeAll(async () => {
    stack = await TestStack.create('exptiming');
    svc = await stack.start(experimentTracker, { EXPERIMENTS_EVALUATE_INTERVAL_MS: '3600000' });
    nc = await connectTestNats();
    db = svc.app.get(DataSource);
  });

  afterAll(async () => {
    await nc?.close();
    await stack?.close();
  });

  async function seeded(over: Record<string, unknown>): Promise<string> {
    const created = await rpc('juggernaut.experiment.create.v1', {
      name: 'timing',
      hypothesis: 'h',
      primaryMetric: 'revenue_per_unit',
      budgetMinor: 1_000_000,
      variants: [
        { key: 'control', weight: 34, control: true },
        { key: 'b', weight: 33 },
        { key: 'c', weight: 33 },
      ],
      ...over,
    });
    await rpc('juggernaut.experiment.start.v1', { id: created.id, by: 'test' });
    const id = created.id as string;
    // Deterministic traffic: every unit exposed (with a covariate and one of four strata), one in five
    // converts (some twice) with items, a tenth have ledger revenue, a half pre-period ledger revenue.
    await db.query(
      `INSERT INTO experiments.exposures (experiment_id, unit_id, variant_key, occurred_at, covariate, stratum)
       SELECT $1::uuid, 'u' || i, (ARRAY['control', 'b', 'c'])[1 + i % 3], now() - interval '1 hour', (i::bigint * 7919) % 97, 's' || (i % 4)
       FROM generate_series(1, $2::int) i`,
      [id, UNITS],
    );
    await db.query(
      `INSERT INTO experiments.conversions (experiment_id, conversion_id, unit_id, variant_key, value_minor, occurred_at, metrics)
       SELECT $1::uuid, 'o' || i || '-' || k, 'u' || i, (ARRAY['control', 'b', 'c'])[1 + i % 3], 500 + (i::bigint * 104729) % 4000 + CASE WHEN i % 997 = 0 THEN 500000 ELSE 0 END,
              now(), jsonb_build_object('items', 1 + i % 5)
       FROM generate_series(1, $2::int) i, generate_series(1, 2) k WHERE i % 5 = 0 AND (k = 1 OR i % 15 = 0)`,
      [id, UNITS],
    );
    await db.query(
      `INSERT INTO experiments.ledger_attributions (transaction_id, kind, currency, experiment_id, variant_key, unit_id, amount_minor, occurred_at)
       SELECT gen_random_uuid(), 'revenue', 'USD', $1::uuid, (ARRAY['control', 'b', 'c'])[1 + i % 3], 'u' || i, 1000 + (i * 31) % 2000, now()
       FROM generate_series(1, $2::int) i WHERE i % 10 = 3`,
      [id, UNITS],
    );
    await db.query(
      `INSERT INTO experiments.unit_revenue (transaction_id, currency, unit_id, amount_minor, occurred_at)
       SELECT gen_random_uuid(), 'USD', 'u' || i, 200 + (i::bigint * 7919) % 3000, now() - interval '3 days'
       FROM generate_series(1, $1::int) i WHERE i % 2 = 0 AND NOT EXISTS (SELECT 1 FROM experiments.unit_revenue)`,
      [UNITS],
    );
    return id;
  }

  async function time(id: string): Promise<{ first: number; ms: number[]; results: ExperimentResultsV1 }> {
    const ms: number[] = [];
    let results!: ExperimentResultsV1;
    for (let i = 0; i < 7; i++) {
      const t = performance.now();
      results = await rpc('juggernaut.experiment.results.v1', { id });
      ms.push(performance.now() - t);
    }
    // The first read scans every unit; the ones after it reuse the statistics (the data is unchanged).
    return { first: ms[0]!, ms: ms.slice(2).sort((a, b) => a - b), results };
  }

  it('answers with CUPED (and with capping, strata and extra metrics too) next to the plain analysis', async () => {
    const plain = await seeded({ analysis: { postStratify: false } });
    const cuped = await seeded({ analysis: { postStratify: false, cuped: true } });
    const full = await seeded({
      analysis: { cuped: true, correction: 'benjamini-hochberg' },
      metrics: [
        { key: 'revenue_per_unit', capping: { type: 'percentile', value: 0.99 } },
        {
          key: 'revenue_per_order',
          kind: 'ratio',
          numerator: 'revenue',
          denominator: 'orders',
          capping: { type: 'percentile', value: 0.99 },
        },
        { key: 'items', kind: 'mean', numerator: 'items' },
      ],
      power: { minimumDetectableEffect: 0.05, plannedUnitsPerVariant: 40_000 },
    });
    await db.query(
      'ANALYZE experiments.exposures, experiments.conversions, experiments.ledger_attributions, experiments.unit_revenue',
    );
    const a = await time(plain);
    const c = await time(cuped);
    const b = await time(full);
    const show = (x: { first: number; ms: number[] }) =>
      `first read (scan) ${x.first.toFixed(0)} ms, then p50 ${x.ms[Math.floor(x.ms.length / 2)]!.toFixed(0)} ms (${x.ms.map((v) => v.toFixed(0)).join(', ')})`;
    console.log(
      `results at ${UNITS} units, 3 variants: plain ${show(a)}; CUPED ${show(c)}; CUPED + capping + 4 strata + 2 more metrics + power ${show(b)}`,
    );
    for (const x of [a, b, c]) expect(x.results.variants.reduce((s, v) => s + v.units, 0)).toBe(UNITS);
    expect(c.results.metrics[0].cuped!.varianceReduction).toBeGreaterThan(0);
    const revenue = b.results.metrics.find((m) => m.key === 'revenue_per_unit')!;
    expect(revenue.cuped!.varianceReduction).toBeGreaterThan(0);
    expect(revenue.stratification!.strata).toBe(4);
    expect(revenue.capping!.cap).toBeGreaterThan(0);
  });
});
