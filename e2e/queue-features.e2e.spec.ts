import type { NatsConnection } from '@nats-io/transport-node';
import type { BaseEnv } from '@juggernaut/config';
import type { RunningService } from '@juggernaut/service-kit';
import { apiClient, connectTestNats, eventually, natsRpc, TestStack } from '@juggernaut/testing';
import { Client } from 'pg';
import { agentRunner } from '../apps/agent-runner/src/service';
import { governanceApi } from '../apps/governance-api/src/service';
import { taskDispatcher } from '../apps/task-dispatcher/src/service';
import type { TaskBatchReplyV1, TaskTypeLimitsViewV1 } from '@juggernaut/contracts';

/**
 * The queue features its peers have, through REST, NATS and a real runner: execution timeouts,
 * keyed uniqueness with a scope and a mode, retention, batch submission, pausing a type, bulk cancel
 * and redrive, retry policy per type and per task, and snooze.
 */
const ADMIN = 'queue-features-admin-key-0123456789';
const DISPATCH = {
  DISPATCH_REAPER_INTERVAL_MS: '100',
  DISPATCH_REAPER_GRACE_MS: '0',
  DISPATCH_RETRY_BASE_MS: '20',
  DISPATCH_RETRY_MAX_MS: '200',
  DISPATCH_TIMER_MAX_MS: '200',
  DISPATCH_RETENTION_INTERVAL_MS: '500',
  DISPATCH_RETENTION_BATCH: '5000',
};
const RUNNER = {
  RUNNER_POLL_INTERVAL_MS: '200',
  RUNNER_PRESENCE_INTERVAL_MS: '500',
  RUNNER_DRAIN_MS: '300',
  RUNNER_CONCURRENCY: '8',
};

describe('queue features', () => {
  let stack: TestStack;
  let api: ReturnType<typeof apiClient>;
  let rpc: ReturnType<typeof natsRpc>;
  let nc: NatsConnection;
  let sql: Client;
  let runner: RunningService<BaseEnv>;
  let n = 0;
  let type = 't';
  beforeEach(() => {
    type = `feature-${++n}`;
  });

  const submit = async (body: Record<string, unknown>) => {
    const r = await api.post('/api/v1/tasks', { type, ...body });
    if (r.status !== 201) throw new Error(`submit: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body as { id: string; status: string; created: boolean; replaced?: boolean };
  };
  const claim = (over: Record<string, unknown> = {}) =>
    rpc.call('juggernaut.task.claim.v1', {
      workerId: 'raw',
      level: 5,
      capabilities: [],
      types: [type],
      max: 10,
      ...over,
    });
  const finish = (results: unknown[]) => rpc.call('juggernaut.task.finish.v1', { workerId: 'raw', results });
  const row = async (id: string) => (await sql.query(`SELECT * FROM dispatch.tasks WHERE id = $1`, [id])).rows[0];
  const history = async (id: string) =>
    (await sql.query(`SELECT status, reason FROM dispatch.task_events WHERE task_id = $1 ORDER BY id`, [id])).rows;

  beforeAll(async () => {
    stack = await TestStack.create('queuefeatures');
    await stack.start(governanceApi, { JUGGERNAUT_ADMIN_KEY: ADMIN });
    await stack.start(taskDispatcher, DISPATCH);
    runner = await stack.start(agentRunner, { ...RUNNER, HOSTNAME: 'features' });
    api = apiClient(stack.services[0]!.url, ADMIN);
    nc = await connectTestNats();
    rpc = natsRpc(nc, stack.namespace);
    sql = new Client({ connectionString: stack.db.url });
    await sql.connect();
  });

  afterAll(async () => {
    await sql?.end();
    await nc?.close();
    await stack?.close();
  });

  describe('execution timeouts', () => {
    it("a hung handler is failed by its timeout and retried, and its runner's slot is freed", async () => {
      const { id } = await api
        .post('/api/v1/tasks', {
          type: 'noop',
          payload: { sleepMs: 5_000, hang: true },
          timeoutSeconds: 1,
          maxAttempts: 2,
        })
        .then((r) => r.body);
      await eventually(async () => (await row(id)).status === 'dead', 15_000);
      // (a retry whose backoff is over may be claimed before the timer marks it pending)
      const h = (await history(id)).filter((e) => e.status !== 'pending');
      expect(h.map((e) => e.status)).toEqual(['running', 'failed', 'running', 'dead']);
      expect(h[1].reason).toMatch(/execution timeout/);
      expect(h[3].reason).toMatch(/execution timeout/);
      // The runner is free again at once: a quick task runs.
      const quick = (await api.post('/api/v1/tasks', { type: 'noop', payload: {} })).body.id;
      await eventually(async () => (await row(quick)).status === 'succeeded', 5_000);
    });

    it("the dispatcher enforces a type's timeout itself: no lease past the deadline, the attempt failed with the reason", async () => {
      expect((await api.put(`/api/v1/task-types/${type}/limits`, { timeoutSeconds: 1 })).status).toBe(200);
      const { id } = await submit({ maxAttempts: 1 });
      const [lease] = (await claim()).tasks;
      expect(lease!.timeoutMs).toBe(1_000);
      // A worker that ignores the timeout and keeps heartbeating loses the lease at the deadline.
      const lost = await eventually(
        async () => {
          const reply = await rpc.call('juggernaut.task.heartbeat.v1', {
            workerId: 'raw',
            leases: [{ taskId: id, claimToken: lease!.claimToken }],
          });
          return reply.lost[0];
        },
        5_000,
        200,
      );
      expect(lost.reason).toBe('execution timeout');
      await eventually(async () => (await row(id)).status === 'dead', 10_000);
      expect((await row(id)).reason).toMatch(/execution timeout: ran past 1 s on raw/);
    });
  });

  describe('uniqueness', () => {
    it('answers whether a task was created, for idempotency keys too', async () => {
      const first = await submit({ idempotencyKey: `idem-${n}` });
      const again = await submit({ idempotencyKey: `idem-${n}` });
      expect(first.created).toBe(true);
      expect(again).toEqual({ id: first.id, status: first.status, created: false });
    });

    it('scope "active": a second submission while the first is unfinished returns it; after it finished, a new one is created', async () => {
      const a = await submit({ uniqueKey: 'sync-account-7' });
      const b = await submit({ uniqueKey: 'sync-account-7', payload: { other: true } });
      expect(b).toEqual({ id: a.id, status: 'pending', created: false });
      expect((await row(a.id)).payload).toEqual({});
      const [lease] = (await claim()).tasks;
      expect((await submit({ uniqueKey: 'sync-account-7' })).id).toBe(a.id);
      await finish([{ taskId: lease!.id, claimToken: lease!.claimToken, outcome: 'succeeded' }]);
      const c = await submit({ uniqueKey: 'sync-account-7' });
      expect(c.created).toBe(true);
      expect(c.id).not.toBe(a.id);
    });

    it('scope "period": the key stays taken for the period after creation, finished or not', async () => {
      const a = await submit({ uniqueKey: `daily-report-${n}`, uniqueScope: 'period', uniquePeriodSeconds: 3600 });
      const [lease] = (await claim()).tasks;
      await finish([{ taskId: lease!.id, claimToken: lease!.claimToken, outcome: 'succeeded' }]);
      expect(
        await submit({ uniqueKey: `daily-report-${n}`, uniqueScope: 'period', uniquePeriodSeconds: 3600 }),
      ).toEqual({ id: a.id, status: 'succeeded', created: false });
    });

    it('mode "replace" gives a waiting task the new payload and keeps its run-at; "debounce" also moves its run-at', async () => {
      const later = new Date(Date.now() + 60_000).toISOString();
      const a = await submit({ uniqueKey: `r-${n}`, runAt: later, payload: { v: 1 } });
      const r = await submit({
        uniqueKey: `r-${n}`,
        uniqueMode: 'replace',
        payload: { v: 2 },
        runAt: new Date(Date.now() + 120_000).toISOString(),
      });
      expect(r).toEqual({ id: a.id, status: 'scheduled', created: false, replaced: true });
      const replaced = await row(a.id);
      expect(replaced.payload).toEqual({ v: 2 });
      expect(replaced.run_at.toISOString()).toBe(later);
      const evenLater = new Date(Date.now() + 300_000).toISOString();
      await submit({ uniqueKey: `r-${n}`, uniqueMode: 'debounce', payload: { v: 3 }, runAt: evenLater });
      const debounced = await row(a.id);
      expect(debounced.payload).toEqual({ v: 3 });
      expect(debounced.run_at.toISOString()).toBe(evenLater);
      expect(
        (await sql.query(`SELECT count(*)::int AS n FROM dispatch.tasks WHERE unique_key = $1`, [`r-${n}`])).rows[0].n,
      ).toBe(1);
    });

    it('refuses unique options without a key, and a period scope without its period', async () => {
      expect((await api.post('/api/v1/tasks', { type, uniqueScope: 'active' })).status).toBe(400);
      const r = await api.post('/api/v1/tasks', { type, uniqueKey: 'k', uniqueScope: 'period' });
      expect(r.status).toBe(400);
      expect(JSON.stringify(r.body)).toContain('uniquePeriodSeconds');
    });
  });

  describe('batch submission', () => {
    it('creates 1,000 tasks in one request and reports each', async () => {
      const tasks = Array.from({ length: 1_000 }, (_, i) => ({
        type,
        title: `t${i}`,
        ...(i === 7 ? { idempotencyKey: `batch-${n}` } : {}),
      }));
      const r = await api.post<TaskBatchReplyV1>('/api/v1/tasks/batch', { tasks });
      expect(r.status).toBe(201);
      expect(r.body.results).toHaveLength(1_000);
      expect(r.body.results.every((x) => x.created === true && x.status === 'pending')).toBe(true);
      const titles = (await sql.query(`SELECT id, title FROM dispatch.tasks WHERE type = $1`, [type])).rows;
      expect(titles).toHaveLength(1_000);
      const byId = new Map(titles.map((t) => [t.id, t.title]));
      expect(r.body.results.map((x) => byId.get(x.id))).toEqual(tasks.map((t) => t.title));
      // Sent again with a known key and a new task: the first is found, the second created.
      const again = await api.post('/api/v1/tasks/batch', {
        tasks: [{ type, idempotencyKey: `batch-${n}` }, { type }],
      });
      expect(again.body.results[0]).toEqual({ id: r.body.results[7].id, status: 'pending', created: false });
      expect(again.body.results[1].created).toBe(true);
    });

    it('refuses the whole batch, naming the entry, when one task is invalid: nothing is created', async () => {
      const bad = await api.post('/api/v1/tasks/batch', { tasks: [{ type }, { type, uniqueScope: 'active' }] });
      expect(bad.status).toBe(400);
      expect(JSON.stringify(bad.body)).toContain('tasks.1');
      const missing = await api.post('/api/v1/tasks/batch', {
        tasks: [{ type }, { type, dependsOn: ['00000000-0000-4000-8000-000000000000'] }],
      });
      expect(missing.status).toBe(400);
      expect((await sql.query(`SELECT count(*)::int AS n FROM dispatch.tasks WHERE type = $1`, [type])).rows[0].n).toBe(
        0,
      );
      expect((await api.post('/api/v1/tasks/batch', { tasks: [] })).status).toBe(400);
    });

    it('is offered over NATS too', async () => {
      const reply = await rpc.call('juggernaut.task.submit.batch.v1', {
        tasks: [{ type }, { type }],
      });
      expect(reply.results.map((x) => x.created)).toEqual([true, true]);
    });
  });

  describe('pausing a type', () => {
    it('stops its claims within a second and resuming restarts them', async () => {
      const { id } = await submit({});
      const paused = await api.post(`/api/v1/task-types/${type}/pause`, { reason: 'provider down' });
      expect(paused.status).toBe(200);
      expect(paused.body).toMatchObject({ type, paused: true, pausedReason: 'provider down' });
      expect((await claim()).tasks).toEqual([]);
      expect(
        (await api.get<TaskTypeLimitsViewV1[]>('/api/v1/task-types/limits')).body.find((l) => l.type === type),
      ).toMatchObject({
        paused: true,
      });
      expect((await api.post(`/api/v1/task-types/${type}/resume`, {})).body).toMatchObject({ paused: false });
      expect((await claim()).tasks.map((t) => t.id)).toEqual([id]);
      // resuming a type that is not paused names the problem
      expect((await api.post(`/api/v1/task-types/${type}/resume`, {})).status).toBe(404);
      expect((await api.post('/api/v1/task-types/Bad Type/pause', {})).status).toBe(400);
    });

    it('holds for a real runner: a paused noop queue waits, resumed it drains', async () => {
      expect((await api.post('/api/v1/task-types/noop/pause', {})).status).toBe(200);
      let id: string;
      try {
        id = (await api.post('/api/v1/tasks', { type: 'noop', payload: {} })).body.id;
        await new Promise((r) => setTimeout(r, 1_000));
        expect((await row(id)).status).toBe('pending');
      } finally {
        await api.post('/api/v1/task-types/noop/resume', {});
      }
      await eventually(async () => (await row(id)).status === 'succeeded', 5_000);
    });
  });

  describe('bulk operations', () => {
    it('cancels and redrives by filter, and refuses an empty filter', async () => {
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) ids.push((await submit({})).id);
      expect((await api.post('/api/v1/tasks/bulk-cancel', { filter: {} })).status).toBe(400);
      const cancelled = await api.post('/api/v1/tasks/bulk-cancel', {
        filter: { type },
        limit: 3,
        reason: 'superseded',
      });
      expect(cancelled.status).toBe(200);
      expect(cancelled.body).toEqual({ changed: ids.slice(0, 3), skipped: [], more: true });
      expect((await api.post('/api/v1/tasks/bulk-cancel', { filter: { type } })).body.changed).toEqual(ids.slice(3));
      expect(await row(ids[0]!)).toMatchObject({ status: 'cancelled', reason: 'superseded' });
      const redriven = await api.post('/api/v1/tasks/bulk-retry', { filter: { type, status: 'cancelled' } });
      expect(redriven.body).toEqual({ changed: ids, skipped: [], more: false });
      expect((await sql.query(`SELECT DISTINCT status FROM dispatch.tasks WHERE type = $1`, [type])).rows).toEqual([
        { status: 'pending' },
      ]);
      expect((await api.post('/api/v1/tasks/bulk-retry', { filter: { type, status: 'pending' } })).status).toBe(400);
    });
  });

  describe('retry policy', () => {
    it('per type: attempts and backoff; per task: errors that are never retried', async () => {
      expect(
        (
          await api.put(`/api/v1/task-types/${type}/limits`, {
            maxAttempts: 2,
            retry: { backoffBaseMs: 3_000, backoffMaxMs: 3_000 },
          })
        ).status,
      ).toBe(200);
      const a = await submit({});
      expect((await row(a.id)).max_attempts).toBe(2);
      const [lease] = (await claim()).tasks;
      await finish([{ taskId: lease!.id, claimToken: lease!.claimToken, outcome: 'failed', error: 'flaky' }]);
      const r = await row(a.id);
      expect(r.status).toBe('failed');
      // jittered 0.5–1 × 3 s
      expect(r.run_at.getTime() - r.updated_at.getTime()).toBeGreaterThanOrEqual(1_400);

      const b = await submit({ maxAttempts: 5, retry: { terminalErrors: ['quota exceeded'] } });
      const [lb] = (await claim()).tasks;
      expect(lb!.id).toBe(b.id);
      await finish([
        {
          taskId: lb!.id,
          claimToken: lb!.claimToken,
          outcome: 'failed',
          error: 'provider said: quota exceeded for today',
        },
      ]);
      expect(await row(b.id)).toMatchObject({ status: 'dead', attempts: 1 });
      expect(
        (await api.get<TaskTypeLimitsViewV1[]>('/api/v1/task-types/limits')).body.find((l) => l.type === type),
      ).toMatchObject({
        maxAttempts: 2,
        retry: { backoffBaseMs: 3_000, backoffMaxMs: 3_000 },
      });
    });
  });

  describe('snooze', () => {
    it('a handler asks to run again later, with a reason, without burning an attempt', async () => {
      const { id } = (await api.post('/api/v1/tasks', { type: 'noop', payload: { snoozeMs: 1_000 }, maxAttempts: 1 }))
        .body;
      await eventually(async () => (await row(id)).status === 'scheduled', 5_000);
      expect(await row(id)).toMatchObject({ attempts: 0, reason: 'snoozed: noop told to snooze' });
      await eventually(async () => (await row(id)).status === 'succeeded', 5_000);
      expect((await row(id)).attempts).toBe(1);
      // Once its time comes, a scheduled task is claimed either after the timer made it pending or
      // straight from scheduled (a claim that came first takes any due task): both are one attempt.
      const statuses = (await history(id)).map((e) => e.status);
      expect(statuses.filter((s, i) => !(s === 'pending' && statuses[i - 1] === 'scheduled'))).toEqual([
        'pending',
        'running',
        'scheduled',
        'running',
        'succeeded',
      ]);
    });
  });

  describe('retention', () => {
    it('prunes 100,000 finished tasks past their retention in bounded batches while the queue keeps serving, never unfinished work', async () => {
      // The old tasks and their history in one statement: the pruner, already running, sees both or neither.
      await sql.query(
        `WITH old AS (
           INSERT INTO dispatch.tasks (type, status, sort_key, created_at, finished_at, idempotency_key)
           SELECT 'old-work', 'succeeded', now(), now() - interval '40 days', now() - interval '40 days', 'old-' || g FROM generate_series(1, 100000) g
           RETURNING id)
         INSERT INTO dispatch.task_events (task_id, status, attempt) SELECT id, 'succeeded', 1 FROM old`,
      );
      const oldPending = (
        await sql.query(
          `INSERT INTO dispatch.tasks (type, status, sort_key, created_at) VALUES ('old-work-unfinished', 'blocked', now(), now() - interval '40 days') RETURNING id`,
        )
      ).rows[0].id;
      // Meanwhile the queue serves new work.
      const served: string[] = [];
      for (let i = 0; i < 20; i++)
        served.push((await api.post('/api/v1/tasks', { type: 'noop', payload: {} })).body.id);
      await eventually(
        async () =>
          (await sql.query(`SELECT count(*)::int AS n FROM dispatch.tasks WHERE type = 'old-work'`)).rows[0].n === 0,
        60_000,
        250,
      );
      expect(
        (
          await sql.query(
            `SELECT count(*)::int AS n FROM dispatch.task_events e WHERE NOT EXISTS (SELECT 1 FROM dispatch.tasks t WHERE t.id = e.task_id)`,
          )
        ).rows[0].n,
      ).toBe(0);
      expect((await row(oldPending)).status).toBe('blocked');
      await eventually(
        async () =>
          (
            await sql.query(
              `SELECT count(*)::int AS n FROM dispatch.tasks WHERE id = ANY($1::uuid[]) AND status = 'succeeded'`,
              [served],
            )
          ).rows[0].n === 20,
        10_000,
      );
      // The key of a pruned task is free again.
      expect((await api.post('/api/v1/tasks', { type, idempotencyKey: 'old-1' })).body.created).toBe(true);
      const status = (await api.get('/api/v1/task-retention')).body;
      expect(status).toMatchObject({ finishedHours: 720, deadHours: 2160, batchSize: 5000 });
      const metrics = await (await fetch(`${stack.services[1]!.url}/metrics`)).text();
      expect(metrics).toMatch(/juggernaut_tasks_pruned_total\{status="succeeded",service="task-dispatcher"\} 100000/);
      expect(runner).toBeDefined();
    });
  });
});
