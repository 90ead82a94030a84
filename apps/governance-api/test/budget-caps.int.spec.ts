import type { NatsConnection } from '@nats-io/transport-node';
import { apiClient, connectTestNats, eventually, natsRpc, TestStack } from '@juggernaut/testing';
import { randomUUID } from 'node:crypto';
import { governanceApi } from '../src/service';

const ADMIN_KEY = 'test-admin-key-budget-caps-0123456789';

/**
 * Every cap of the budget policy refuses a reservation that would break it, counting what is
 * already held or settled today in Postgres: per task, per worker per day, per level per day,
 * global per day. Money is held before it is spent, so a refusal means no call is made.
 */
describe('budget caps through budget.reserve', () => {
  let stack: TestStack;
  let url: string;
  let metricsUrl: string;
  let nc: NatsConnection;
  const admin = () => apiClient(url, ADMIN_KEY);
  const reserve = (over: Record<string, unknown>) =>
    natsRpc(nc, stack.namespace).call('juggernaut.budget.reserve.v1', {
      reservationId: randomUUID(),
      taskId: randomUUID(),
      workerId: 'w-a',
      level: 3,
      amountMinor: 100,
      currency: 'USD',
      ...over,
    });

  beforeAll(async () => {
    stack = await TestStack.create('budgetcaps');
    ({ url, metricsUrl } = await stack.start(governanceApi, { JUGGERNAUT_ADMIN_KEY: ADMIN_KEY }));
    nc = await connectTestNats();
    const put = await admin().put('/api/v1/policies', {
      budgets: {
        currency: 'USD',
        perTaskCapMinor: 500,
        perWorkerDailyCapMinor: 800,
        perLevelDailyCapMinor: { '3': 1_200 },
        globalDailyCapMinor: 1_500,
      },
      permissions: { taskTypes: {}, tools: {} },
      approvals: { toolsRequiringApproval: [], ttlSeconds: 600 },
    });
    expect(put.status).toBe(200);
    // the caps are in force before they are exercised; a probe granted under the policy before (no
    // caps) would be settled at nothing, so it holds no money the tests below count
    await eventually(async () => {
      const probe = await reserve({ amountMinor: 501 });
      if (probe.granted)
        await natsRpc(nc, stack.namespace).call('juggernaut.budget.settle.v1', {
          reservationId: probe.reservationId,
          actualMinor: 0,
        });
      return probe.reason?.includes('task budget cap 500') ?? false;
    });
  });

  afterAll(async () => {
    await nc?.close();
    await stack?.close();
  });

  it('per task: the policy cap and the task’s own budget, whichever is lower, counting what the task already holds', async () => {
    const taskId = randomUUID();
    expect(await reserve({ taskId, amountMinor: 300 })).toMatchObject({ granted: true, taskSpentMinor: 300 });
    const refused = await reserve({ taskId, amountMinor: 201 });
    expect(refused).toMatchObject({ granted: false, taskSpentMinor: 300 });
    expect(refused.reason).toMatch(/task budget cap 500/);
    expect(await reserve({ taskId, amountMinor: 200 })).toMatchObject({ granted: true, taskSpentMinor: 500 });
    expect((await reserve({ amountMinor: 60, taskBudgetMinor: 50, workerId: 'w-own' })).reason).toMatch(
      /task budget cap 50\b/,
    );
  });

  it('per worker per day, then per level per day, then global per day', async () => {
    // w-a holds 500 from the test above
    expect((await reserve({ workerId: 'w-a', amountMinor: 301 })).reason).toMatch(/per-worker daily cap 800/);
    expect(await reserve({ workerId: 'w-a', amountMinor: 300 })).toMatchObject({ granted: true });
    // level 3 holds 800 (w-a); w-b is under its worker cap but the level cap is 1,200
    expect((await reserve({ workerId: 'w-b', amountMinor: 401 })).reason).toMatch(/level 3 daily cap 1200/);
    expect(await reserve({ workerId: 'w-b', amountMinor: 400 })).toMatchObject({ granted: true });
    // 1,200 held in all; a level-4 worker is under its (absent) level cap but not under the global 1,500
    expect((await reserve({ workerId: 'w-c', level: 4, amountMinor: 301 })).reason).toMatch(/global daily cap 1500/);
    expect(await reserve({ reservationId: 'w-c-call-1', workerId: 'w-c', level: 4, amountMinor: 300 })).toMatchObject({
      granted: true,
    });
    expect((await reserve({ workerId: 'w-d', level: 5, amountMinor: 1 })).granted).toBe(false);

    const usage = (await admin().get('/api/v1/budgets/usage')).body;
    expect(usage).toMatchObject({
      currency: 'USD',
      globalMinor: 1_500,
      byLevelMinor: { '3': 1_200, '4': 300 },
      byWorkerMinor: { 'w-a': 800, 'w-b': 400, 'w-c': 300 },
    });

    // the worker registry shows each worker's spend against its cap
    nc.publish(
      `${stack.namespace}.juggernaut.worker.heartbeat.v1`,
      JSON.stringify({
        workerId: 'w-a',
        level: 3,
        capabilities: [],
        concurrency: 4,
        runningTaskIds: [],
        at: new Date().toISOString(),
      }),
    );
    const worker = await eventually(async () => {
      const r = await admin().get('/api/v1/workers/w-a');
      return r.status === 200 ? r.body : undefined;
    });
    expect(worker.spend).toEqual({ currency: 'USD', spentTodayMinor: 800, dailyCapMinor: 800 });
    const listed = (
      await admin().get<Array<{ id: string; spend: { spentTodayMinor: number } }>>('/api/v1/workers')
    ).body.find((w) => w.id === 'w-a');
    expect(listed?.spend.spentTodayMinor).toBe(800);
  });

  it('frees what a settled call did not spend, and refuses a currency other than the budget’s', async () => {
    expect(
      await natsRpc(nc, stack.namespace).call('juggernaut.budget.settle.v1', {
        reservationId: 'w-c-call-1',
        actualMinor: 100,
      }),
    ).toEqual({ reservationId: 'w-c-call-1', actualMinor: 100 });
    expect((await reserve({ workerId: 'w-d', level: 5, amountMinor: 201 })).reason).toMatch(/global daily cap 1500/);
    expect(await reserve({ workerId: 'w-d', level: 5, amountMinor: 200 })).toMatchObject({ granted: true });
    expect((await admin().get('/api/v1/budgets/usage')).body.globalMinor).toBe(1_500);
    expect((await reserve({ currency: 'EUR', workerId: 'w-e', level: 1, amountMinor: 0 })).reason).toMatch(
      /currency EUR/,
    );
  });

  it('read the policy in their own process: a cap changed is in force for the next reservation, with no NATS question to itself', async () => {
    const put = await admin().put('/api/v1/policies', {
      budgets: { currency: 'USD', perTaskCapMinor: 50, globalDailyCapMinor: 1_000_000 },
      permissions: { taskTypes: {}, tools: {} },
      approvals: { toolsRequiringApproval: [], ttlSeconds: 600 },
    });
    expect(put.status).toBe(200);
    expect((await reserve({ workerId: 'w-next', level: 1, amountMinor: 60 })).reason).toMatch(/task budget cap 50\b/);
    expect(await reserve({ workerId: 'w-next', level: 1, amountMinor: 40 })).toMatchObject({ granted: true });
    // governance-api is alone on this bus: any policy.get it answered, it asked itself
    const metrics = await (await fetch(`${metricsUrl}/metrics`)).text();
    const answered = metrics
      .split('\n')
      .filter((l) => l.startsWith('juggernaut_messages_handled_total{') && l.includes('juggernaut.policy.get.v1'));
    expect(answered).toEqual([]);
  });
});
