import type { BaseEnv } from '@juggernaut/config';
import type {
  DeadLetterV1,
  ExperimentResultsV1,
  RequestSubject,
  StreamSubject,
  StreamSubjectMap,
} from '@juggernaut/contracts';
import { jetstream, type JetStreamClient } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { RunningService } from '@juggernaut/service-kit';
import { apiClient, connectTestNats, eventually, readStream, TestStack, natsRpc } from '@juggernaut/testing';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { assignVariant } from '../src/assignment/assign';
import { RulesEvaluator } from '../src/rules/rules-evaluator';
import { experimentTracker } from '../src/service';

/** The part of a decision's stored numbers these tests read (see rules/decide.ts). */
type DecisionNumbers = {
  srm: { flagged: boolean };
  variants: Array<{ key: string; units: number; conversions: number; liftChanceToBeatControl: number | null }>;
};

describe('experiment-tracker against real Postgres and NATS', () => {
  let stack: TestStack;
  let svc: RunningService<BaseEnv>;
  let nc: NatsConnection;
  let js: JetStreamClient;

  const wire = (s: string) => `${stack.namespace}.${s}`;
  const rpc = <S extends RequestSubject>(subject: S, payload: unknown) =>
    natsRpc(nc, stack.namespace).call(subject, payload);
  const rpcError = (subject: RequestSubject, payload: unknown) => natsRpc(nc, stack.namespace).error(subject, payload);

  const experiment = (over: Record<string, unknown> = {}) => ({
    name: 'Checkout copy',
    hypothesis: 'Clearer copy converts more visitors.',
    primaryMetric: 'conversion',
    budgetMinor: 100_000,
    variants: [
      { key: 'control', weight: 50, control: true },
      { key: 'b', weight: 50 },
    ],
    decisionRule: { minUnitsPerVariant: 200 },
    ...over,
  });
  async function running(over: Record<string, unknown> = {}) {
    const created = await rpc('juggernaut.experiment.create.v1', experiment(over));
    await rpc('juggernaut.experiment.start.v1', { id: created.id, by: 'test' });
    return created.id as string;
  }
  /** Publishes `units` exposures to a variant, `converted` of them with a conversion worth `valueMinor`. */
  async function traffic(experimentId: string, variantKey: string, units: number, converted: number, valueMinor = 0) {
    const now = new Date().toISOString();
    const sends: Promise<unknown>[] = [];
    for (let i = 0; i < units; i++) {
      const unitId = `${variantKey}-${i}`;
      sends.push(
        js.publish(
          wire('juggernaut.experiment.exposure.v1'),
          JSON.stringify({ experimentId, variantKey, unitId, occurredAt: now }),
        ),
      );
      if (i < converted) {
        sends.push(
          js.publish(
            wire('juggernaut.experiment.conversion.v1'),
            JSON.stringify({ experimentId, variantKey, unitId, occurredAt: now, valueMinor }),
          ),
        );
      }
    }
    await Promise.all(sends);
  }
  const results = (id: string) => rpc('juggernaut.experiment.results.v1', { id });
  const unitsSeen = (id: string, total: number) =>
    eventually(
      async () => {
        const r = await results(id);
        return r.variants.reduce((s: number, v) => s + v.units, 0) === total ? r : undefined;
      },
      30_000,
      200,
    );
  const ledgerEvent = (over: Record<string, unknown>) => ({
    transactionId: randomUUID(),
    kind: 'revenue',
    occurredAt: new Date().toISOString(),
    source: 'stripe',
    postings: [
      { account: 'assets:cash:USD', amountMinor: 1000, currency: 'USD' },
      { account: 'revenue:stripe', amountMinor: -1000, currency: 'USD' },
    ],
    ...over,
  });
  const events = <S extends StreamSubject>(subject: S) =>
    readStream<StreamSubjectMap[S]>(nc, `${stack.namespace}_JUGGERNAUT_EVENTS`, wire(subject));

  beforeAll(async () => {
    stack = await TestStack.create('experiments');
    // The timer is slow here so decisions happen when a test asks; one test runs a timer pass itself.
    svc = await stack.start(experimentTracker, {
      EXPERIMENTS_EVALUATE_INTERVAL_MS: '3600000',
      EXPERIMENTS_ALLOCATION_DRAWS: '4000',
    });
    nc = await connectTestNats();
    js = jetstream(nc);
  });

  afterAll(async () => {
    await nc?.close();
    await stack?.close();
  });

  it('creates a draft with its rule defaults, reads and lists it, and refuses what field validation cannot see', async () => {
    const created = await rpc(
      'juggernaut.experiment.create.v1',
      experiment({ guardrails: [{ metric: 'conversion', maxRelativeDrop: 0.2 }] }),
    );
    expect(created).toMatchObject({
      status: 'draft',
      primaryMetric: 'conversion',
      budgetMinor: 100_000,
      spentMinor: 0,
      currency: 'USD',
      decisionRule: {
        method: 'bayesian',
        minUnitsPerVariant: 200,
        chanceToWinThreshold: 0.95,
        maxRelativeLoss: 0.01,
        alpha: 0.05,
        maxUnitsPerVariant: null,
      },
      guardrails: [{ metric: 'conversion', maxRelativeDrop: 0.2, confidence: 0.95 }],
    });
    expect(created.variants).toEqual([
      { key: 'control', name: 'control', weight: 50, control: true },
      { key: 'b', name: 'b', weight: 50, control: false },
    ]);
    expect((await rpc('juggernaut.experiment.get.v1', { id: created.id })).decisions).toEqual([]);
    const page = await rpc('juggernaut.experiment.list.v1', { status: 'draft' });
    expect(page.items.map((e) => e.id)).toContain(created.id);

    const twoControls = await rpcError(
      'juggernaut.experiment.create.v1',
      experiment({
        variants: [
          { key: 'a', weight: 1, control: true },
          { key: 'b', weight: 1, control: true },
        ],
      }),
    );
    expect(twoControls.status).toBe(400);
    expect(twoControls.message).toContain('exactly one variant');
    const dupKeys = await rpcError(
      'juggernaut.experiment.create.v1',
      experiment({
        variants: [
          { key: 'a', weight: 1, control: true },
          { key: 'a', weight: 1 },
        ],
      }),
    );
    expect(dupKeys.message).toContain('unique');
    const badWeight = await rpcError(
      'juggernaut.experiment.create.v1',
      experiment({
        variants: [
          { key: 'a', weight: 0, control: true },
          { key: 'b', weight: 1 },
        ],
      }),
    );
    expect(badWeight.status).toBe(400);
    expect(badWeight.message).toContain('weight');
    expect((await rpcError('juggernaut.experiment.get.v1', { id: randomUUID() })).status).toBe(404);
  });

  it('starts a draft once (409 after), records the decision and announces it on JetStream', async () => {
    const created = await rpc('juggernaut.experiment.create.v1', experiment());
    const started = await rpc('juggernaut.experiment.start.v1', { id: created.id, by: 'operator-1' });
    expect(started.status).toBe('running');
    expect(started.startedAt).toBeTruthy();
    expect((await rpcError('juggernaut.experiment.start.v1', { id: created.id })).status).toBe(409);
    const got = await rpc('juggernaut.experiment.get.v1', { id: created.id });
    expect(got.decisions).toMatchObject([{ action: 'start', decidedBy: 'operator-1' }]);
    const announced = await eventually(async () =>
      (await events('juggernaut.experiment.started.v1')).find((e) => e.experimentId === created.id),
    );
    expect(announced).toMatchObject({ status: 'running', name: 'Checkout copy', decisionId: got.decisions[0].id });
  });

  it('assigns a unit to the same variant every time over NATS, by the weights, and refuses drafts', async () => {
    const id = await running({
      variants: [
        { key: 'control', weight: 70, control: true },
        { key: 'b', weight: 30 },
      ],
    });
    const first = await rpc('juggernaut.experiment.assign.v1', { experimentId: id, unitId: 'visitor-1' });
    for (let i = 0; i < 5; i++)
      expect((await rpc('juggernaut.experiment.assign.v1', { experimentId: id, unitId: 'visitor-1' })).variantKey).toBe(
        first.variantKey,
      );
    expect(first).toMatchObject({ experimentId: id, unitId: 'visitor-1', inExperiment: true, status: 'running' });
    const variants = [
      { key: 'control', weight: 70 },
      { key: 'b', weight: 30 },
    ];
    let control = 0;
    for (let i = 0; i < 300; i++) {
      const a = await rpc('juggernaut.experiment.assign.v1', { experimentId: id, unitId: `u-${i}` });
      expect(a.variantKey).toBe(assignVariant(id, `u-${i}`, variants));
      if (a.variantKey === 'control') control++;
    }
    expect(control / 300).toBeGreaterThan(0.6);
    expect(control / 300).toBeLessThan(0.8);
    const draft = await rpc('juggernaut.experiment.create.v1', experiment());
    expect((await rpcError('juggernaut.experiment.assign.v1', { experimentId: draft.id, unitId: 'x' })).status).toBe(
      409,
    );
    expect((await rpcError('juggernaut.experiment.assign.v1', { experimentId: 'nope', unitId: 'x' })).status).toBe(400);
  });

  it('counts each exposed unit and each conversion once under redelivery, and dead-letters what it cannot use', async () => {
    const id = await running();
    const now = new Date().toISOString();
    for (let i = 0; i < 3; i++) {
      await js.publish(
        wire('juggernaut.experiment.exposure.v1'),
        JSON.stringify({ experimentId: id, variantKey: 'b', unitId: 'repeat', occurredAt: now }),
      );
      await js.publish(
        wire('juggernaut.experiment.conversion.v1'),
        JSON.stringify({ experimentId: id, variantKey: 'b', unitId: 'repeat', occurredAt: now, valueMinor: 500 }),
      );
    }
    await js.publish(
      wire('juggernaut.experiment.exposure.v1'),
      JSON.stringify({ experimentId: id, variantKey: 'b', unitId: 42, occurredAt: 'yesterday' }),
    );
    await js.publish(
      wire('juggernaut.experiment.exposure.v1'),
      JSON.stringify({ experimentId: id, variantKey: 'zzz', unitId: 'u', occurredAt: now }),
    );
    await js.publish(
      wire('juggernaut.experiment.exposure.v1'),
      JSON.stringify({ experimentId: randomUUID(), variantKey: 'b', unitId: 'u', occurredAt: now }),
    );
    await js.publish(
      wire('juggernaut.experiment.exposure.v1'),
      JSON.stringify({ experimentId: id, variantKey: 'control', unitId: 'after-bad', occurredAt: now }),
    );

    // Exposures and conversions are separate consumers, each writing in groups: wait for both.
    const r = await eventually(
      async () => {
        const r = await results(id);
        const units = r.variants.reduce((s: number, v) => s + v.units, 0);
        return units === 2 && r.variants.find((v) => v.key === 'b')?.conversions === 1 ? r : undefined;
      },
      30_000,
      200,
    );
    const b = r.variants.find((v) => v.key === 'b');
    expect(b).toMatchObject({ units: 1, conversions: 1, revenuePerUnit: 500 });
    const letters = await eventually(async () => {
      const all = (
        await readStream<DeadLetterV1>(nc, `${stack.namespace}_JUGGERNAUT_DEADLETTER`, wire('juggernaut.deadletter.v1'))
      ).filter((l) => l.data.includes(id) || l.reason.includes('does not exist'));
      return all.length >= 3 ? all : undefined;
    });
    const reasons = letters.map((l) => l.reason).join('\n');
    expect(reasons).toContain('unitId');
    expect(reasons).toContain('occurredAt');
    expect(reasons).toContain('has no variant zzz');
    expect(reasons).toContain('does not exist');
    expect(letters.every((l) => l.service === 'experiment-tracker')).toBe(true);
    const metrics = (await apiClient(svc.url).get<string>('/metrics')).body;
    expect(metrics).toMatch(
      /juggernaut_messages_dead_lettered_total\{[^}]*subject="juggernaut.experiment.exposure.v1"[^}]*\} [1-9]/,
    );
    expect(metrics).toMatch(/juggernaut_experiment_conversions_total\{[^}]*\} [1-9]/);
    expect(metrics).toMatch(/juggernaut_experiments_running\{[^}]*\} [1-9]/);
  });

  it('writes a burst in batches: each valid message counted once, the invalid ones in the same batches dead-lettered', async () => {
    const id = await running();
    const now = new Date().toISOString();
    const exposure = (unitId: string, variantKey: string) =>
      js.publish(
        wire('juggernaut.experiment.exposure.v1'),
        JSON.stringify({ experimentId: id, variantKey, unitId, occurredAt: now }),
      );
    const conversion = (unitId: string, variantKey: string, valueMinor: number) =>
      js.publish(
        wire('juggernaut.experiment.conversion.v1'),
        JSON.stringify({ experimentId: id, variantKey, unitId, occurredAt: now, valueMinor }),
      );
    // Published together, so they meet in the consumers' batches: repeats of a unit, a unit exposed
    // to both variants (its first exposure counts), conversions repeated, and a bad variant among them.
    await exposure('first-wins', 'b');
    const sends: Promise<unknown>[] = [];
    for (let i = 0; i < 300; i++) {
      const variant = i % 2 === 0 ? 'control' : 'b';
      sends.push(exposure(`burst-${i}`, variant), exposure(`burst-${i}`, variant));
      if (i % 3 === 0) sends.push(conversion(`burst-${i}`, variant, 100), conversion(`burst-${i}`, variant, 100));
      if (i % 50 === 0) sends.push(exposure(`bad-${i}`, 'nope'), conversion(`bad-${i}`, 'nope', 5));
    }
    sends.push(exposure('first-wins', 'control'));
    await Promise.all(sends);
    const r = await unitsSeen(id, 301);
    expect(r.variants.find((v) => v.key === 'control')).toMatchObject({ units: 150, conversions: 50 });
    expect(r.variants.find((v) => v.key === 'b')).toMatchObject({ units: 151, conversions: 50 });
    const letters = await eventually(async () => {
      const all = (
        await readStream<DeadLetterV1>(nc, `${stack.namespace}_JUGGERNAUT_DEADLETTER`, wire('juggernaut.deadletter.v1'))
      ).filter((l) => l.data.includes(id));
      return all.length >= 12 ? all : undefined;
    });
    expect(letters).toHaveLength(12);
    expect(new Set(letters.map((l) => l.reason))).toEqual(new Set([`rejected: experiment ${id} has no variant nope`]));
    const db = svc.app.get(DataSource);
    const [counts] = await db.query(
      `SELECT (SELECT count(*)::int FROM experiments.exposures WHERE experiment_id = $1) AS units,
              (SELECT count(*)::int FROM experiments.conversions WHERE experiment_id = $1) AS conversions,
              (SELECT variant_key FROM experiments.exposures WHERE experiment_id = $1 AND unit_id = 'first-wins') AS first`,
      [id],
    );
    expect(counts).toEqual({ units: 301, conversions: 100, first: 'b' });
  });

  it('reads results again after any change to what they count: an exposure, a conversion, or unit revenue CUPED reads', async () => {
    const id = await running({ analysis: { cuped: true, postStratify: false } });
    const old = new Date(Date.now() - 86_400_000).toISOString();
    await traffic(id, 'control', 20, 5, 300);
    await traffic(id, 'b', 20, 5, 300);
    await unitsSeen(id, 40);
    const first = await eventually(async () => {
      const r = await results(id);
      return r.variants.every((v) => v.conversions === 5) ? r : undefined;
    });
    expect(await results(id)).toMatchObject({ variants: first.variants, metrics: first.metrics });
    // Unit revenue from before the exposures changes the pre-exposure covariate of one unit.
    await js.publish(
      wire('juggernaut.ledger.posted.v1'),
      JSON.stringify(ledgerEvent({ unitId: 'control-0', occurredAt: old })),
    );
    const preMeans = (r: ExperimentResultsV1) =>
      r.health.balance.find((b) => b.covariate === 'pre_revenue')?.means ?? [0, 0];
    const withRevenue = await eventually(async () => {
      const r = await results(id);
      return preMeans(r)[0] > 0 ? r : undefined;
    });
    expect(preMeans(withRevenue)[0]).toBeCloseTo(1000 / 20, 9);
    // A conversion of a unit already counted changes its values (and nothing else).
    await js.publish(
      wire('juggernaut.experiment.conversion.v1'),
      JSON.stringify({
        experimentId: id,
        variantKey: 'b',
        unitId: 'b-19',
        occurredAt: new Date().toISOString(),
        valueMinor: 300,
      }),
    );
    const converted = await eventually(async () => {
      const r = await results(id);
      return r.variants.find((v) => v.key === 'b')!.conversions === 6 ? r : undefined;
    });
    expect(converted.variants.find((v) => v.key === 'b')).toMatchObject({ units: 20, conversions: 6 });
  });

  it('attributes ledger revenue to the variant and unit once and only once, and ledger cost to the budget', async () => {
    const id = await running();
    await traffic(id, 'control', 3, 0);
    await traffic(id, 'b', 3, 0);
    await unitsSeen(id, 6);
    const sale = ledgerEvent({ experimentId: id, variantKey: 'b', unitId: 'b-0' });
    await js.publish(wire('juggernaut.ledger.posted.v1'), JSON.stringify(sale));
    await js.publish(wire('juggernaut.ledger.posted.v1'), JSON.stringify(sale)); // a redelivery of the same transaction
    await js.publish(
      wire('juggernaut.ledger.posted.v1'),
      JSON.stringify(ledgerEvent({ experimentId: id, variantKey: 'control' })),
    );
    await js.publish(
      wire('juggernaut.ledger.posted.v1'),
      JSON.stringify(
        ledgerEvent({
          kind: 'cost',
          experimentId: id,
          postings: [
            { account: 'expense:ads', amountMinor: 2500, currency: 'USD' },
            { account: 'assets:cash:USD', amountMinor: -2500, currency: 'USD' },
          ],
        }),
      ),
    );
    await js.publish(wire('juggernaut.ledger.posted.v1'), JSON.stringify(ledgerEvent({}))); // no experiment: not ours

    const r = await eventually(async () => {
      const x = await results(id);
      return x.revenueMinor === 2000 && x.spentMinor === 2500 ? x : undefined;
    });
    expect(r.variants.find((v) => v.key === 'b')).toMatchObject({ revenueMinor: 1000, revenuePerUnit: 1000 / 3 });
    expect(r.variants.find((v) => v.key === 'control')).toMatchObject({ revenueMinor: 1000, revenuePerUnit: 0 });
    await new Promise((res) => setTimeout(res, 300));
    expect((await results(id)).revenueMinor).toBe(2000);
    expect((await rpc('juggernaut.experiment.get.v1', { id })).spentMinor).toBe(2500);
  });

  it('blocks a decision on a sample ratio mismatch even with a clear winner', async () => {
    const id = await running();
    await traffic(id, 'control', 400, 20);
    await traffic(id, 'b', 260, 80);
    const r = await unitsSeen(id, 660);
    expect(r.srm.flagged).toBe(true);
    const decision = await rpc('juggernaut.experiment.evaluate.v1', { id });
    expect(decision).toMatchObject({ action: 'blocked', winner: null });
    expect(decision.reason).toContain('sample ratio mismatch');
    expect((decision.numbers as DecisionNumbers).srm.flagged).toBe(true);
    expect((await rpc('juggernaut.experiment.get.v1', { id })).status).toBe('running');
  });

  it('concludes when the decision rule is met, stores the numbers, announces the winner and serves it afterwards', async () => {
    const id = await running();
    await traffic(id, 'control', 400, 20);
    await traffic(id, 'b', 400, 80);
    const r = await unitsSeen(id, 800);
    const b = r.variants.find((v) => v.key === 'b');
    expect(b!.bayesian!.chanceToBeatControl).toBeGreaterThan(0.99);
    expect(b!.frequentist).toMatchObject({ test: 'two-proportion-z' });
    expect(b!.frequentist!.pValue).toBeLessThan(0.001);
    expect(b!.sequential!.alwaysValidPValue).toBeLessThan(0.05);
    expect(r.decision).toMatchObject({ action: 'conclude', winner: 'b' });

    const decision = await rpc('juggernaut.experiment.evaluate.v1', { id });
    expect(decision).toMatchObject({ action: 'conclude', winner: 'b' });
    expect((decision.numbers as DecisionNumbers).variants.find((v) => v.key === 'b')).toMatchObject({
      units: 400,
      conversions: 80,
    });
    const got = await rpc('juggernaut.experiment.get.v1', { id });
    expect(got).toMatchObject({ status: 'concluded', winner: 'b' });
    expect(got.endedAt).toBeTruthy();
    const announced = await eventually(async () =>
      (await events('juggernaut.experiment.concluded.v1')).find((e) => e.experimentId === id),
    );
    expect(announced).toMatchObject({ status: 'concluded', winner: 'b', decisionId: decision.id });
    expect(await rpc('juggernaut.experiment.assign.v1', { experimentId: id, unitId: 'anyone' })).toMatchObject({
      variantKey: 'b',
      inExperiment: false,
    });
    expect((await rpcError('juggernaut.experiment.evaluate.v1', { id })).status).toBe(409);
  });

  it("decides a revenue-per-unit experiment with the normal model and Welch's test, counting repeat purchases by conversionId", async () => {
    const id = await running({ primaryMetric: 'revenue_per_unit' });
    await traffic(id, 'control', 250, 50, 1_000);
    await traffic(id, 'b', 250, 50, 3_000);
    const now = new Date().toISOString();
    // A second purchase by the same unit counts; its redelivery does not.
    for (let i = 0; i < 2; i++) {
      await js.publish(
        wire('juggernaut.experiment.conversion.v1'),
        JSON.stringify({
          experimentId: id,
          variantKey: 'b',
          unitId: 'b-0',
          occurredAt: now,
          valueMinor: 500,
          conversionId: 'order-2',
        }),
      );
    }
    const r = await eventually(async () => {
      const x = await unitsSeen(id, 500);
      return x.variants.find((v) => v.key === 'b')!.revenuePerUnit === (50 * 3_000 + 500) / 250 ? x : undefined;
    });
    const b = r.variants.find((v) => v.key === 'b');
    expect(b!.conversions).toBe(50);
    expect(b!.bayesian!.posterior.kind).toBe('normal');
    expect(b!.bayesian!.chanceToBeatControl).toBeGreaterThan(0.999);
    expect(b!.frequentist).toMatchObject({ test: 'welch-t' });
    expect(b!.frequentist!.difference).toBeCloseTo((50 * 3_000 + 500) / 250 - 200, 9);
    expect(b!.frequentist!.differenceInterval.lower).toBeGreaterThan(0);
    const decision = await rpc('juggernaut.experiment.evaluate.v1', { id });
    expect(decision).toMatchObject({ action: 'conclude', winner: 'b' });
  });

  it('pages through experiments with a cursor, newest first, without repeats', async () => {
    const names = ['page-1', 'page-2', 'page-3'];
    for (const name of names) await rpc('juggernaut.experiment.create.v1', experiment({ name }));
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await rpc('juggernaut.experiment.list.v1', {
        status: 'draft',
        limit: 2,
        ...(cursor ? { cursor } : {}),
      });
      seen.push(...page.items.map((e) => e.id));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(new Set(seen).size).toBe(seen.length);
    const all = await rpc('juggernaut.experiment.list.v1', { status: 'draft', limit: 200 });
    expect(seen).toEqual(all.items.map((e) => e.id));
    expect(all.items.slice(0, 3).map((e) => e.name)).toEqual(['page-3', 'page-2', 'page-1']);
    expect((await rpcError('juggernaut.experiment.list.v1', { cursor: 'garbage' })).status).toBe(400);
  });

  it('stops on its own when the budget is spent (stop-loss)', async () => {
    const id = await running({ budgetMinor: 1_000 });
    await js.publish(
      wire('juggernaut.ledger.posted.v1'),
      JSON.stringify(
        ledgerEvent({
          kind: 'cost',
          experimentId: id,
          postings: [
            { account: 'expense:ads', amountMinor: 1_200, currency: 'USD' },
            { account: 'assets:cash:USD', amountMinor: -1_200, currency: 'USD' },
          ],
        }),
      ),
    );
    await eventually(async () => (await results(id)).spentMinor === 1_200);
    const decision = await rpc('juggernaut.experiment.evaluate.v1', { id });
    expect(decision.action).toBe('stop');
    expect(decision.reason).toContain('budget spent (1200 of 1000');
    expect(await rpc('juggernaut.experiment.get.v1', { id })).toMatchObject({ status: 'stopped', spentMinor: 1_200 });
    const announced = await eventually(async () =>
      (await events('juggernaut.experiment.concluded.v1')).find((e) => e.experimentId === id),
    );
    expect(announced.status).toBe('stopped');
  });

  it('stops on its own when a guardrail is breached', async () => {
    const id = await running({
      primaryMetric: 'revenue_per_unit',
      guardrails: [{ metric: 'conversion', maxRelativeDrop: 0.1, confidence: 0.9 }],
    });
    await traffic(id, 'control', 300, 90, 1000);
    await traffic(id, 'b', 300, 30, 4000);
    await unitsSeen(id, 600);
    const decision = await rpc('juggernaut.experiment.evaluate.v1', { id });
    expect(decision.action).toBe('stop');
    expect(decision.reason).toContain('guardrail conversion breached by b');
    expect((await rpc('juggernaut.experiment.get.v1', { id })).status).toBe('stopped');
  });

  it('is stopped by a person with the reason recorded, once', async () => {
    const id = await running();
    const stopped = await rpc('juggernaut.experiment.stop.v1', { id, by: 'ops', reason: 'offer withdrawn' });
    expect(stopped).toMatchObject({ status: 'stopped', endReason: 'stopped by ops: offer withdrawn' });
    expect((await rpcError('juggernaut.experiment.stop.v1', { id })).status).toBe(409);
    expect((await rpc('juggernaut.experiment.get.v1', { id })).decisions[0]).toMatchObject({
      action: 'stop',
      decidedBy: 'ops',
    });
    expect(await rpc('juggernaut.experiment.assign.v1', { experimentId: id, unitId: 'x' })).toMatchObject({
      variantKey: 'control',
      inExperiment: false,
    });
  });

  it('the timer pass evaluates running experiments without being asked, then allocates the budget', async () => {
    const ready = await running();
    await traffic(ready, 'control', 300, 15);
    await traffic(ready, 'b', 300, 75);
    await unitsSeen(ready, 600);
    await svc.app.get(RulesEvaluator).tick();
    expect(await rpc('juggernaut.experiment.get.v1', { id: ready })).toMatchObject({
      status: 'concluded',
      winner: 'b',
    });
    expect((await rpc('juggernaut.experiment.get.v1', { id: ready })).decisions[0].decidedBy).toBe('rules');
  });

  it('allocates the budget pool across running experiments by Thompson sampling and publishes it', async () => {
    // Stop everything else so the pool is exactly these two.
    for (const e of (await rpc('juggernaut.experiment.list.v1', { status: 'running', limit: 200 })).items) {
      await rpc('juggernaut.experiment.stop.v1', { id: e.id, by: 'test' });
    }
    const promising = await running({ name: 'promising', budgetMinor: 30_000 });
    const flat = await running({ name: 'flat', budgetMinor: 10_000 });
    await traffic(promising, 'control', 150, 15);
    await traffic(promising, 'b', 150, 30);
    await traffic(flat, 'control', 150, 15);
    await traffic(flat, 'b', 150, 15);
    await unitsSeen(promising, 300);
    await unitsSeen(flat, 300);
    const allocation = await rpc('juggernaut.experiment.allocate.v1', {});
    expect(allocation.poolsMinor).toEqual({ USD: 40_000 });
    const by = Object.fromEntries(allocation.experiments.map((e) => [e.name, e]));
    expect(by['promising'].share).toBeGreaterThan(by['flat'].share);
    expect(by['promising'].share + by['flat'].share).toBeCloseTo(1, 10);
    expect(by['promising'].allocatedMinor + by['flat'].allocatedMinor).toBe(40_000);
    expect(by['promising'].variantShares.b).toBeGreaterThan(0.9);
    expect(await rpc('juggernaut.experiment.allocation.get.v1', {})).toEqual(allocation);
    const published = await eventually(async () =>
      (await events('juggernaut.experiment.allocation.v1')).find((e) => e.allocationId === allocation.allocationId),
    );
    expect(published.experiments).toHaveLength(2);
    const metrics = (await apiClient(svc.url).get<string>('/metrics')).body;
    expect(metrics).toContain(
      `juggernaut_experiment_allocation_ratio{experiment="${promising}",service="experiment-tracker"} ${by['promising'].share}`,
    );
    expect(metrics).toMatch(/juggernaut_experiment_decisions_total\{decision="conclude"[^}]*\} [1-9]/);
  });

  it('answers the sample-size calculator over NATS and refuses missing inputs', async () => {
    expect(
      await rpc('juggernaut.experiment.samplesize.v1', { metric: 'conversion', baselineRate: 0.1, relativeLift: 0.1 }),
    ).toMatchObject({ unitsPerVariant: 14751, totalUnits: 29502 });
    expect(
      await rpc('juggernaut.experiment.samplesize.v1', {
        metric: 'revenue_per_unit',
        standardDeviation: 1500,
        minimumDetectableDifference: 100,
        variants: 3,
      }),
    ).toMatchObject({ unitsPerVariant: 3532, totalUnits: 10596 });
    const missing = await rpcError('juggernaut.experiment.samplesize.v1', { metric: 'conversion' });
    expect(missing.status).toBe(400);
    expect(missing.message).toContain('baselineRate');
  });
});
