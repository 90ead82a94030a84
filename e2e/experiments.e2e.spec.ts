import { jetstream } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type {
  ExperimentAllocationV1,
  ExperimentLifecycleV1,
  ExperimentResultsV1,
  ExperimentWithDecisionsV1,
  PnlReportV1,
} from '@juggernaut/contracts';
import { apiClient, connectTestNats, eventually, readStream, TestStack } from '@juggernaut/testing';
import { experimentTracker } from '../apps/experiment-tracker/src/service';
import { governanceApi } from '../apps/governance-api/src/service';
import { revenueLedger } from '../apps/revenue-ledger/src/service';

const ADMIN = 'experiments-admin-key-0123456789abcdef';

/** The numbers the rules stored with a decision (the fields these tests read). */
type DecisionNumbers = {
  srm: { flagged: boolean };
  variants: Array<{ key: string; units: number; conversions: number; chanceToBeBest: number | null }>;
};

describe('experiments through the REST API, NATS and the ledger', () => {
  let stack: TestStack;
  let nc: NatsConnection;
  let url: string;
  const admin = () => apiClient(url, ADMIN);
  const publish = (subject: string, payload: unknown) =>
    jetstream(nc).publish(`${stack.namespace}.${subject}`, JSON.stringify(payload));
  const experiment = (over: Record<string, unknown> = {}) => ({
    name: 'Annual plan price',
    hypothesis: 'Showing the annual saving converts more trials.',
    primaryMetric: 'conversion',
    budgetMinor: 50_000,
    variants: [
      { key: 'control', weight: 50, control: true },
      { key: 'saving', weight: 50, name: 'Annual saving shown' },
    ],
    decisionRule: { minUnitsPerVariant: 200 },
    ...over,
  });
  async function create(over: Record<string, unknown> = {}): Promise<string> {
    const r = await admin().post('/api/v1/experiments', experiment(over));
    if (r.status !== 201) throw new Error(`create failed: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body.id;
  }
  async function traffic(experimentId: string, variantKey: string, units: number, converted: number) {
    const occurredAt = new Date().toISOString();
    const sends: Promise<unknown>[] = [];
    for (let i = 0; i < units; i++) {
      const unitId = `${experimentId.slice(0, 8)}-${variantKey}-${i}`;
      sends.push(publish('juggernaut.experiment.exposure.v1', { experimentId, variantKey, unitId, occurredAt }));
      if (i < converted)
        sends.push(publish('juggernaut.experiment.conversion.v1', { experimentId, variantKey, unitId, occurredAt }));
    }
    await Promise.all(sends);
  }
  const results = async (id: string) =>
    (await admin().get<ExperimentResultsV1>(`/api/v1/experiments/${id}/results`)).body;
  const unitsSeen = (id: string, total: number) =>
    eventually(
      async () => {
        const r = await results(id);
        return r.variants?.reduce((s, v) => s + v.units, 0) === total ? r : undefined;
      },
      30_000,
      200,
    );

  beforeAll(async () => {
    stack = await TestStack.create('experimentse2e');
    url = (await stack.start(governanceApi, { JUGGERNAUT_ADMIN_KEY: ADMIN })).url;
    await stack.start(revenueLedger, {});
    // The rules run every second here, as they would every minute in production.
    await stack.start(experimentTracker, {
      EXPERIMENTS_EVALUATE_INTERVAL_MS: '1000',
      EXPERIMENTS_ALLOCATION_DRAWS: '2000',
    });
    nc = await connectTestNats();
  });

  afterAll(async () => {
    await nc?.close();
    await stack?.close();
  });

  it('answers 400 naming the field, 404 for an unknown experiment and 409 for a wrong transition', async () => {
    const missing = await admin().post('/api/v1/experiments', { ...experiment(), hypothesis: undefined });
    expect(missing.status).toBe(400);
    expect(JSON.stringify(missing.body.message)).toContain('hypothesis');
    const badVariant = await admin().post(
      '/api/v1/experiments',
      experiment({
        variants: [
          { key: 'control', weight: -1, control: true },
          { key: 'b', weight: 1 },
        ],
      }),
    );
    expect(badVariant.status).toBe(400);
    expect(JSON.stringify(badVariant.body.message)).toContain('weight');
    const noControl = await admin().post(
      '/api/v1/experiments',
      experiment({
        variants: [
          { key: 'a', weight: 1 },
          { key: 'b', weight: 1 },
        ],
      }),
    );
    expect(noControl.status).toBe(400);
    expect(noControl.body.message).toContain('control');
    const unknown = await admin().post('/api/v1/experiments', { ...experiment(), sneaky: 1 });
    expect(unknown.status).toBe(400);
    expect(JSON.stringify(unknown.body.message)).toContain('sneaky');
    const money = await admin().post('/api/v1/experiments', experiment({ budgetMinor: 10.5 }));
    expect(money.status).toBe(400);
    expect(JSON.stringify(money.body.message)).toContain('budgetMinor');

    expect((await admin().get('/api/v1/experiments/not-a-uuid')).status).toBe(400);
    expect((await admin().get('/api/v1/experiments/00000000-0000-4000-8000-000000000000')).status).toBe(404);
    expect((await admin().get('/api/v1/experiments?status=sideways')).status).toBe(400);

    const id = await create();
    expect((await admin().post(`/api/v1/experiments/${id}/stop`)).status).toBe(409);
    expect((await admin().get(`/api/v1/experiments/${id}/assignment?unitId=u1`)).status).toBe(409);
    expect((await admin().get(`/api/v1/experiments/${id}/assignment`)).status).toBe(400);
    expect((await admin().post(`/api/v1/experiments/${id}/start`)).status).toBe(200);
    expect((await admin().post(`/api/v1/experiments/${id}/start`)).status).toBe(409);
    expect((await admin().post(`/api/v1/experiments/${id}/stop`, { reason: 'test over' })).body).toMatchObject({
      status: 'stopped',
      endReason: expect.stringContaining('test over'),
    });
  });

  it('lets a viewer read experiments and results but not run them', async () => {
    const id = await create();
    const viewer = apiClient(
      url,
      (await admin().post('/api/v1/api-keys', { name: 'exp-viewer', role: 'viewer' })).body.key,
    );
    expect((await viewer.get(`/api/v1/experiments/${id}`)).status).toBe(200);
    expect((await viewer.get(`/api/v1/experiments/${id}/results`)).status).toBe(200);
    expect((await viewer.post(`/api/v1/experiments/${id}/start`)).status).toBe(403);
    expect((await viewer.post('/api/v1/experiments', experiment())).status).toBe(403);
  });

  it('runs an experiment end to end: assignment, traffic, revenue from another system counted once in the ledger and the results, concluded by the rules', async () => {
    // The rule waits for all 300 units per variant, so the timer cannot decide on part of the traffic.
    const id = await create({ decisionRule: { minUnitsPerVariant: 300 } });
    const created = (await admin().get(`/api/v1/experiments/${id}`)).body;
    expect(created.status).toBe('draft');
    expect(typeof created.createdBy).toBe('string');
    expect((await admin().post(`/api/v1/experiments/${id}/start`)).body.status).toBe('running');

    const first = (await admin().get(`/api/v1/experiments/${id}/assignment?unitId=trial-7`)).body;
    expect(first).toMatchObject({ experimentId: id, unitId: 'trial-7', inExperiment: true });
    for (let i = 0; i < 3; i++)
      expect((await admin().get(`/api/v1/experiments/${id}/assignment?unitId=trial-7`)).body.variantKey).toBe(
        first.variantKey,
      );

    // The shop reports each sale to the ledger; the same event arrives three times.
    const sale = {
      eventId: `sale-${id}`,
      amountMinor: 12_000,
      currency: 'USD',
      source: 'shop',
      occurredAt: new Date().toISOString(),
      experimentId: id,
      variantKey: 'saving',
      unitId: `${id.slice(0, 8)}-saving-0`,
    };
    for (let i = 0; i < 3; i++) await publish('juggernaut.revenue.recorded.v1', sale);
    await traffic(id, 'control', 300, 15);
    await traffic(id, 'saving', 300, 60);

    const concluded = await eventually(
      async () => {
        const e = (await admin().get<ExperimentWithDecisionsV1>(`/api/v1/experiments/${id}`)).body;
        return e.status === 'concluded' ? e : undefined;
      },
      30_000,
      250,
    );
    expect(concluded.winner).toBe('saving');
    const decision = concluded.decisions[0]!;
    expect(decision).toMatchObject({ action: 'conclude', winner: 'saving', decidedBy: 'rules' });
    const numbers = decision.numbers as DecisionNumbers;
    expect(numbers.variants.find((v) => v.key === 'saving')).toMatchObject({
      units: 300,
      conversions: 60,
    });
    expect(numbers.variants.find((v) => v.key === 'saving')!.chanceToBeBest).toBeGreaterThan(0.95);

    const r = await eventually(async () => {
      const x = await results(id);
      return x.revenueMinor === 12_000 ? x : undefined;
    });
    expect(r.variants.find((v) => v.key === 'saving')).toMatchObject({
      revenueMinor: 12_000,
      units: 300,
      conversions: 60,
    });
    expect(r.variants.find((v) => v.key === 'control')!.revenueMinor).toBe(0);
    const pnl = (await admin().get<PnlReportV1>('/api/v1/ledger/pnl?groupBy=experiment')).body;
    expect(pnl.rows.filter((row) => row.key === id)).toEqual([
      { key: id, currency: 'USD', revenueMinor: 12_000, costMinor: 0, netMinor: 12_000 },
    ]);
    await new Promise((res) => setTimeout(res, 500));
    expect((await results(id)).revenueMinor).toBe(12_000);

    const announced = await eventually(async () =>
      (
        await readStream<ExperimentLifecycleV1>(
          nc,
          `${stack.namespace}_JUGGERNAUT_EVENTS`,
          `${stack.namespace}.juggernaut.experiment.concluded.v1`,
        )
      ).find((e) => e.experimentId === id),
    );
    expect(announced).toMatchObject({ status: 'concluded', winner: 'saving' });
    expect((await admin().get(`/api/v1/experiments/${id}/assignment?unitId=someone-new`)).body).toMatchObject({
      variantKey: 'saving',
      inExperiment: false,
    });
  });

  it('stops an experiment whose cost, posted by the ledger, reaches its budget', async () => {
    const id = await create({ budgetMinor: 5_000 });
    await admin().post(`/api/v1/experiments/${id}/start`);
    for (let i = 0; i < 2; i++) {
      await publish('juggernaut.cost.recorded.v1', {
        eventId: `ads-${id}`,
        amountMinor: 5_000,
        currency: 'USD',
        category: 'ads',
        source: 'adnetwork',
        occurredAt: new Date().toISOString(),
        experimentId: id,
      });
    }
    const stopped = await eventually(
      async () => {
        const e = (await admin().get(`/api/v1/experiments/${id}`)).body;
        return e.status === 'stopped' ? e : undefined;
      },
      30_000,
      250,
    );
    expect(stopped.spentMinor).toBe(5_000);
    expect(stopped.endReason).toContain('budget spent (5000 of 5000');
  });

  it('evaluates on demand: a sample ratio mismatch blocks the decision and is stored with its numbers', async () => {
    const id = await create({ decisionRule: { minUnitsPerVariant: 100 } });
    await admin().post(`/api/v1/experiments/${id}/start`);
    await traffic(id, 'control', 300, 10);
    await traffic(id, 'saving', 180, 60);
    await unitsSeen(id, 480);
    const decision = await admin().post(`/api/v1/experiments/${id}/evaluate`);
    expect(decision.status).toBe(200);
    expect(decision.body).toMatchObject({ action: 'blocked', winner: null });
    expect(decision.body.numbers.srm.flagged).toBe(true);
    expect((await admin().get(`/api/v1/experiments/${id}`)).body.status).toBe('running');
    expect((await admin().post(`/api/v1/experiments/${id}/stop`)).status).toBe(200);
  });

  it('shows the Thompson allocation across running experiments and the sample-size calculator', async () => {
    const a = await create({ name: 'alloc-a', budgetMinor: 7_000 });
    const b = await create({ name: 'alloc-b', budgetMinor: 3_000 });
    await admin().post(`/api/v1/experiments/${a}/start`);
    await admin().post(`/api/v1/experiments/${b}/start`);
    const computed = await admin().post<ExperimentAllocationV1>('/api/v1/experiments/allocation');
    expect(computed.status).toBe(200);
    const ids = computed.body.experiments.map((e) => e.experimentId);
    expect(ids).toEqual(expect.arrayContaining([a, b]));
    expect(computed.body.experiments.reduce((s, e) => s + e.allocatedMinor, 0)).toBe(computed.body.poolsMinor.USD);
    const latest = await eventually(async () => {
      const r = await admin().get<ExperimentAllocationV1>('/api/v1/experiments/allocation');
      return r.status === 200 ? r.body : undefined;
    });
    expect(latest.experiments.map((e) => e.experimentId)).toEqual(expect.arrayContaining([a, b]));

    const size = await admin().get(
      '/api/v1/experiments/sample-size?metric=conversion&baselineRate=0.1&relativeLift=0.1',
    );
    expect(size.body).toMatchObject({ unitsPerVariant: 14751, totalUnits: 29502 });
    const bad = await admin().get('/api/v1/experiments/sample-size?metric=conversion&baselineRate=2');
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body.message)).toContain('baselineRate');
    const missing = await admin().get('/api/v1/experiments/sample-size?metric=revenue_per_unit');
    expect(missing.status).toBe(400);
    expect(missing.body.message).toContain('standardDeviation');
  });

  it('documents the experiment routes in OpenAPI', async () => {
    const doc = (await apiClient(url).get('/docs-json')).body;
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/api/v1/experiments',
        '/api/v1/experiments/{id}',
        '/api/v1/experiments/{id}/start',
        '/api/v1/experiments/{id}/stop',
        '/api/v1/experiments/{id}/results',
        '/api/v1/experiments/{id}/evaluate',
        '/api/v1/experiments/{id}/assignment',
        '/api/v1/experiments/allocation',
        '/api/v1/experiments/sample-size',
      ]),
    );
    expect(doc.components.schemas.CreateExperimentDto.required).toEqual(
      expect.arrayContaining(['name', 'hypothesis', 'primaryMetric', 'variants', 'budgetMinor']),
    );
  });
});
