import type { BaseEnv } from '@juggernaut/config';
import type { RunningService } from '@juggernaut/service-kit';
import { TestStack } from '@juggernaut/testing';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import type { LoadedData } from '../src/analysis/analyze';
import {
  buildUnitsQuery,
  type LoadPlan,
  loadPlan,
  namedSources,
  sees,
  VariantStatsRepository,
} from '../src/analysis/variant-stats.repository';
import { settingsOf } from '../src/experiments/experiment-row';
import { ExperimentsRepository } from '../src/experiments/experiments.repository';
import { ExperimentsService } from '../src/experiments/experiments.service';
import { experimentTracker } from '../src/service';

/**
 * Results after new data read only the changed units (the units kept in memory with the snapshot
 * they were read in) and must give exactly the figures of a load of every unit, and the grouped
 * scan's to rounding. Inserts of every kind (exposures, conversions, ledger attributions with and
 * without a unit, unit revenue in and out of the lookback and currency) interleave with reads;
 * two transactions commit out of order; an older snapshot reads after a newer one.
 */
describe('results after new data from the changed units only', () => {
  let stack: TestStack;
  let svc: RunningService<BaseEnv>;
  let db: DataSource;
  let id: string;
  let plan: LoadPlan;
  let repo: VariantStatsRepository;

  beforeAll(async () => {
    stack = await TestStack.create('expincr');
    svc = await stack.start(experimentTracker, { EXPERIMENTS_EVALUATE_INTERVAL_MS: '3600000' });
    db = svc.app.get(DataSource);
    const service = svc.app.get(ExperimentsService);
    const created = await service.create({
      name: 'incremental',
      hypothesis: 'h',
      primaryMetric: 'revenue_per_unit',
      budgetMinor: 1_000_000,
      variants: [
        { key: 'control', weight: 50, control: true },
        { key: 'b', weight: 30 },
        { key: 'c', weight: 20 },
      ],
      analysis: { cuped: true, postStratify: true, correction: 'benjamini-hochberg' },
      metrics: [
        { key: 'revenue_per_unit', capping: { type: 'percentile', value: 0.95 } },
        {
          key: 'revenue_per_order',
          kind: 'ratio',
          numerator: 'revenue',
          denominator: 'orders',
          capping: { type: 'percentile', value: 0.9 },
        },
        { key: 'items', kind: 'mean', numerator: 'items' },
      ],
      power: { minimumDetectableEffect: 0.05, plannedUnitsPerVariant: 4_000 },
    } as never);
    id = created.id;
    await service.start(id, 'test');
    const row = (await svc.app.get(ExperimentsRepository).find(id))!;
    // A second weights period from a moment inside the exposures written below.
    plan = loadPlan(row.currency, settingsOf(row), [new Date(Date.parse('2026-01-01T00:00:30.000Z'))]);
    repo = new VariantStatsRepository(db);
  });

  afterAll(async () => {
    await stack?.close();
  });

  let next = 0;
  /** Exposures of n new units (some stratum-less, covariates, two periods), in the given connection. */
  async function expose(n: number, q: { query: DataSource['query'] | Client['query'] } = db): Promise<string[]> {
    const ids = Array.from({ length: n }, () => `u${next++}`);
    await (q.query as DataSource['query'])(
      `INSERT INTO experiments.exposures (experiment_id, unit_id, variant_key, occurred_at, covariate, stratum)
       SELECT $1::uuid, u, (ARRAY['control', 'b', 'c'])[1 + (n % 3)], timestamptz '2026-01-01T00:00:00Z' + make_interval(secs => n % 60 + (n % 7) * 0.0001),
              CASE WHEN n % 11 = 0 THEN NULL ELSE (n * 7919 % 97) / 7.0 END, CASE WHEN n % 13 = 0 THEN NULL ELSE 's' || (n % 4) END
       FROM unnest($2::text[]) WITH ORDINALITY AS t(u, n)`,
      [id, ids],
    );
    return ids;
  }
  async function convert(units: string[], q: { query: unknown } = db): Promise<void> {
    await (q.query as DataSource['query'])(
      `INSERT INTO experiments.conversions (experiment_id, conversion_id, unit_id, variant_key, value_minor, occurred_at, metrics)
       SELECT $1::uuid, u || '-' || gen_random_uuid(), u, 'control', 100 + (n * 104729) % 5000 + CASE WHEN n % 17 = 0 THEN 90000 ELSE 0 END,
              now(), jsonb_build_object('items', (n % 5) + 0.25)
       FROM unnest($2::text[]) WITH ORDINALITY AS t(u, n)`,
      [id, units],
    );
  }
  async function attribute(units: Array<string | null>): Promise<void> {
    await db.query(
      `INSERT INTO experiments.ledger_attributions (transaction_id, kind, currency, experiment_id, variant_key, unit_id, amount_minor, occurred_at)
       SELECT gen_random_uuid(), 'revenue', 'USD', $1::uuid, (ARRAY['control', 'b', 'c'])[1 + (n % 3)], u, 700 + n * 13, now()
       FROM unnest($2::text[]) WITH ORDINALITY AS t(u, n)`,
      [id, units],
    );
  }
  /** Unit revenue: in the lookback (counts for CUPED), after the exposure, and in another currency (neither counts). */
  async function unitRevenue(units: string[]): Promise<void> {
    await db.query(
      `INSERT INTO experiments.unit_revenue (transaction_id, currency, unit_id, amount_minor, occurred_at)
       SELECT gen_random_uuid(), c, u, 300 + n * 7, timestamptz '2026-01-01T00:00:00Z' + d
       FROM unnest($1::text[]) WITH ORDINALITY AS t(u, n),
            (VALUES ('USD', interval '-2 days'), ('USD', interval '1 day'), ('EUR', interval '-1 day')) v(c, d)`,
      [units],
    );
  }

  /** A read by the kept store, compared in the same transaction with a load of every unit and the grouped scan. */
  async function readAndCompare(
    isolation: 'REPEATABLE READ' | 'READ COMMITTED' = 'REPEATABLE READ',
  ): Promise<LoadedData> {
    return db.transaction(isolation, async (m) => {
      const got = await repo.load(id, plan, m);
      if (isolation === 'REPEATABLE READ') {
        const every = await new VariantStatsRepository(db).load(id, plan, m);
        expect(JSON.stringify(got)).toBe(JSON.stringify(every));
        expectClose(got, await new VariantStatsRepository(db).scanGrouped(id, plan, m));
      }
      return got;
    });
  }

  it('gives every read after new data exactly the figures of a load of every unit', async () => {
    const first = await expose(600);
    await convert(first.filter((_, i) => i % 4 === 0));
    await convert(first.filter((_, i) => i % 12 === 0)); // second orders
    await attribute([...first.filter((_, i) => i % 9 === 0), null]);
    await unitRevenue(first.filter((_, i) => i % 2 === 0));
    await readAndCompare();
    expect(repo.loads.every).toBe(1);

    // Each kind of change alone, then together.
    const more = await expose(50);
    await readAndCompare();
    await convert([...first.slice(0, 10), ...more.slice(0, 5), 'never-exposed']);
    await readAndCompare();
    await attribute([first[3]!, null, more[1]!]);
    await readAndCompare();
    await unitRevenue([first[5]!, more[2]!, 'never-exposed']);
    await readAndCompare();
    // A conversion before its unit's exposure: the unit joins with it.
    await convert(['late-unit']);
    await readAndCompare();
    await db.query(
      `INSERT INTO experiments.exposures (experiment_id, unit_id, variant_key, occurred_at, stratum) VALUES ($1, 'late-unit', 'b', now(), 's9')`,
      [id],
    );
    const late = await readAndCompare();
    expect(late.cells.reduce((s, c) => s + c.n, 0)).toBe(651);
    // A large outlier moves the percentile caps of every unit.
    await db.query(
      `INSERT INTO experiments.conversions (experiment_id, conversion_id, unit_id, variant_key, value_minor, occurred_at) VALUES ($1, 'big', $2, 'c', 5000000, now())`,
      [id, first[7]],
    );
    await readAndCompare();
    // A read of unchanged data reuses the statistics.
    const before = { ...repo.loads };
    await readAndCompare();
    expect(repo.loads.kept).toBe(before.kept + 1);

    // Two transactions commit out of order: t1 takes its transaction id first (and writes unit
    // revenue while t2 is open), t2 writes and commits, a read, then t1 writes and commits: rows of
    // an earlier transaction id than some already read.
    const t1 = new Client({ connectionString: stack.db.url });
    const t2 = new Client({ connectionString: stack.db.url });
    await t1.connect();
    await t2.connect();
    try {
      await t1.query('BEGIN');
      const [{ xid: x1 }] = (await t1.query('SELECT pg_current_xact_id()::text AS xid')).rows;
      await t1.query(
        `INSERT INTO experiments.unit_revenue (transaction_id, currency, unit_id, amount_minor, occurred_at)
         VALUES (gen_random_uuid(), 'USD', $1, 777, timestamptz '2025-12-31T12:00:00Z')`,
        [first[30]],
      );
      await t2.query('BEGIN');
      const later = await expose(20, t2);
      await convert(later.slice(0, 5), t2);
      const [{ xid: x2 }] = (await t2.query('SELECT pg_current_xact_id()::text AS xid')).rows;
      expect(BigInt(x1)).toBeLessThan(BigInt(x2));
      await t2.query('COMMIT');
      const withLater = await readAndCompare();
      expect(withLater.cells.reduce((s, c) => s + c.n, 0)).toBe(671);
      await expose(20, t1);
      await t1.query(
        `INSERT INTO experiments.conversions (experiment_id, conversion_id, unit_id, variant_key, value_minor, occurred_at) VALUES ($1, 'early', $2, 'control', 4321, now())`,
        [id, first[20]],
      );
      await t1.query('COMMIT');
      const withBoth = await readAndCompare();
      expect(withBoth.cells.reduce((s, c) => s + c.n, 0)).toBe(691);
    } finally {
      await t1.end();
      await t2.end();
    }

    // An older snapshot reads after a newer one: it gets its own snapshot's figures, the store stays.
    const old = db.createQueryRunner();
    await old.connect();
    try {
      await old.startTransaction('REPEATABLE READ');
      const oldFigures = await new VariantStatsRepository(db).load(id, plan, old.manager);
      await expose(10);
      await readAndCompare();
      const every = repo.loads.every;
      const got = await repo.load(id, plan, old.manager);
      expect(JSON.stringify(got)).toBe(JSON.stringify(oldFigures));
      expect(repo.loads.every).toBe(every + 1);
      await old.commitTransaction();
    } finally {
      await old.release();
    }
    await readAndCompare();
    // Read committed: the statement's snapshot is the store's.
    await expose(5);
    await readAndCompare('READ COMMITTED');
    await readAndCompare();
    // Only the first read and the older snapshot's loaded every unit.
    expect(repo.loads.every).toBe(2);
    expect(repo.loads.changed).toBe(11);

    // An update (not an insert) loads every unit again.
    await db.query(`UPDATE experiments.conversions SET value_minor = value_minor + 1 WHERE conversion_id = 'big'`);
    await readAndCompare();
    expect(repo.loads.every).toBe(3);
  });

  it("reads only the changed units' rows after new data, not every row of the experiment", async () => {
    // The benchmark's shape (50,000 units, 10,000 conversions, CUPED, a named number), read right
    // after the ingest, before the tables are analysed: as a semi-join on the changed units, the
    // planner chose to scan every conversion of the experiment.
    const service = svc.app.get(ExperimentsService);
    const other = await service.create({
      name: 'probes',
      hypothesis: 'h',
      primaryMetric: 'revenue_per_unit',
      budgetMinor: 1_000,
      variants: [
        { key: 'control', weight: 50, control: true },
        { key: 'b', weight: 50 },
      ],
      analysis: { cuped: true, postStratify: true },
      metrics: [
        { key: 'revenue_per_unit', capping: { type: 'percentile', value: 0.99 } },
        { key: 'items', kind: 'mean', numerator: 'items' },
      ],
    } as never);
    await service.start(other.id, 'test');
    // A transaction open elsewhere on the server throughout, as on a busy one: the snapshot's oldest
    // running transaction is older than every row below, so finding the changed units reads them all
    // (CTE `changed`, left out of the count below), and the per-unit read must still read only theirs.
    const open = new Client({ connectionString: stack.db.url });
    await open.connect();
    let plan: PlanNode;
    try {
      await open.query('BEGIN');
      await open.query('SELECT pg_current_xact_id()');
      await db.query(
        `INSERT INTO experiments.exposures (experiment_id, unit_id, variant_key, occurred_at)
         SELECT $1::uuid, 'p' || n, CASE WHEN n % 2 = 0 THEN 'control' ELSE 'b' END, now() FROM generate_series(1, 50000) n`,
        [other.id],
      );
      await db.query(
        `INSERT INTO experiments.conversions (experiment_id, conversion_id, unit_id, variant_key, value_minor, occurred_at)
         SELECT $1::uuid, 'pc' || n, 'p' || (n * 5), CASE WHEN n % 2 = 0 THEN 'control' ELSE 'b' END, 100 + n, now()
         FROM generate_series(1, 10000) n`,
        [other.id],
      );
      const [{ snapshot }] = (await db.query(`SELECT pg_current_snapshot()::text AS snapshot`)) as Array<{
        snapshot: string;
      }>;
      // After the snapshot: 40 new units, and a second order of 40 old ones.
      await db.query(
        `INSERT INTO experiments.exposures (experiment_id, unit_id, variant_key, occurred_at)
         SELECT $1::uuid, 'new' || n, 'b', now() FROM generate_series(1, 40) n`,
        [other.id],
      );
      await db.query(
        `INSERT INTO experiments.conversions (experiment_id, conversion_id, unit_id, variant_key, value_minor, occurred_at)
         SELECT $1::uuid, 'again' || n, 'p' || (n * 97), 'b', 250, now() FROM generate_series(1, 40) n`,
        [other.id],
      );
      const row = (await svc.app.get(ExperimentsRepository).find(other.id))!;
      const probePlan = loadPlan(row.currency, settingsOf(row));
      const query = buildUnitsQuery(other.id, probePlan, namedSources(probePlan), snapshot);
      const units = (await db.query(query.sql, query.params)) as Array<{ kind: number; unit_id: string | null }>;
      expect(units.filter((u) => u.kind === 1).length).toBe(80);
      const [explained] = (await db.query(`EXPLAIN (ANALYZE, FORMAT JSON) ${query.sql}`, query.params)) as Array<{
        'QUERY PLAN': Array<{ Plan: PlanNode }>;
      }>;
      plan = explained!['QUERY PLAN'][0]!.Plan;
    } finally {
      await open.end();
    }
    const read = rowsRead(plan, 'CTE changed');
    // Each table's rows of the 80 changed units, not all of them.
    expect(read.get('exposures') ?? 0).toBeLessThanOrEqual(200);
    expect(read.get('conversions') ?? 0).toBeLessThanOrEqual(200);
  });

  it('knows which snapshot sees another', () => {
    expect(sees('100:105:100,102', '100:103:100')).toBe(false); // 102 seen by the older, not by this one
    expect(sees('101:106:', '100:103:100,101')).toBe(true);
    expect(sees('100:103:100', '100:105:')).toBe(false);
    expect(sees('100:105:100', '100:103:100')).toBe(true);
  });
});

interface PlanNode {
  'Subplan Name'?: string;
  'Relation Name'?: string;
  'Actual Rows'?: number;
  'Actual Loops'?: number;
  'Rows Removed by Filter'?: number;
  'Rows Removed by Index Recheck'?: number;
  Plans?: PlanNode[];
}

/**
 * Rows each table's scans read (returned or filtered out, over every loop), from EXPLAIN ANALYZE;
 * not those of the subplan named `skip`.
 */
function rowsRead(node: PlanNode, skip: string, into = new Map<string, number>()): Map<string, number> {
  if (node['Subplan Name'] === skip) return into;
  const table = node['Relation Name'];
  if (table) {
    const rows =
      ((node['Actual Rows'] ?? 0) +
        (node['Rows Removed by Filter'] ?? 0) +
        (node['Rows Removed by Index Recheck'] ?? 0)) *
      (node['Actual Loops'] ?? 1);
    into.set(table, (into.get(table) ?? 0) + rows);
  }
  for (const child of node.Plans ?? []) rowsRead(child, skip, into);
  return into;
}

/** The grouped scan's figures to rounding: counts and caps exactly, means and co-moments to 1e-9. */
function expectClose(got: LoadedData, scan: LoadedData): void {
  const key = (c: { variant: string; period: number; stratum: string }) => `${c.variant}/${c.period}/${c.stratum}`;
  expect(got.cells.map(key).sort()).toEqual(scan.cells.map(key).sort());
  expect(got.caps).toEqual(scan.caps);
  expect(got.variants).toEqual(scan.variants);
  expect([got.stratified, got.strataNote, got.covariates]).toEqual([scan.stratified, scan.strataNote, scan.covariates]);
  // Relative to the variables' spread: a co-moment near 0 is a difference of large terms.
  const close = (a: number, b: number, scale: number) =>
    expect(Math.abs(a - b)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(b), scale));
  for (const c of scan.cells) {
    const g = got.cells.find((x) => key(x) === key(c))!;
    expect([g.n, g.conversions, g.revenueSum]).toEqual([c.n, c.conversions, c.revenueSum]);
    for (const [metric, m] of Object.entries(c.metrics)) {
      const gm = g.metrics[metric]!;
      expect(gm.n).toBe(m.n);
      const spread = (i: number) => Math.sqrt(Math.abs(m.m2[i]![i]!));
      m.mean.forEach((v, i) => close(gm.mean[i]!, v, spread(i)));
      m.m2.forEach((row, i) => row.forEach((v, j) => close(gm.m2[i]![j]!, v, spread(i) * spread(j))));
    }
  }
}
