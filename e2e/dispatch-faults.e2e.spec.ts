import type { NatsConnection } from '@nats-io/transport-node';
import type { BaseEnv } from '@juggernaut/config';
import type { RunningService } from '@juggernaut/service-kit';
import { apiClient, connectTestNats, eventually, natsRpc, skewClock, TestStack } from '@juggernaut/testing';
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { governanceApi } from '../apps/governance-api/src/service';
import { claimStatement } from '../apps/task-dispatcher/src/claiming/leases.repository';
import { TASK_GAUGE_STATEMENTS } from '../apps/task-dispatcher/src/dispatch-metrics';
import { DispatchPolicy } from '../apps/task-dispatcher/src/policy/dispatch-policy';
import { taskDispatcher } from '../apps/task-dispatcher/src/service';

/**
 * The queue's defects under concurrency and faults, each reproduced against a real Postgres and NATS
 * with the dispatcher in-process: the interleavings are forced with real row locks held by the test.
 */
const ADMIN = 'dispatch-faults-admin-key-0123456789';
const FAST = {
  DISPATCH_LEASE_SECONDS: '30',
  DISPATCH_REAPER_INTERVAL_MS: '100',
  DISPATCH_RETRY_BASE_MS: '20',
  DISPATCH_RETRY_MAX_MS: '200',
  DISPATCH_TIMER_MAX_MS: '200',
  DISPATCH_REAPER_GRACE_MS: '0',
  DATABASE_POOL_SIZE: '6',
};

interface Claimed {
  id: string;
  claimToken: string;
  attempt: number;
  leaseMs: number;
}

describe('the dispatcher under concurrency and faults', () => {
  let stack: TestStack;
  let nc: NatsConnection;
  let sql: Client;
  let rpc: ReturnType<typeof natsRpc>;
  let api: ReturnType<typeof apiClient>;
  let n = 0;
  let type = 't';
  beforeEach(() => {
    type = `fault-${++n}`;
  });

  const submit = (body: Record<string, unknown>) => rpc.call('juggernaut.task.submit.v1', { type, ...body });
  const claim = (over: Record<string, unknown> = {}) =>
    rpc.call('juggernaut.task.claim.v1', {
      workerId: 'w1',
      level: 5,
      capabilities: [],
      types: [type],
      max: 10,
      ...over,
    });
  const finish = (results: unknown[], workerId = 'w1') => rpc.call('juggernaut.task.finish.v1', { workerId, results });
  const row = async (id: string) => (await sql.query(`SELECT * FROM dispatch.tasks WHERE id = $1`, [id])).rows[0];
  /** Backends of this database waiting on a lock (the test's own connections excluded by the caller). */
  const lockWaiters = async () =>
    (
      await sql.query(
        `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
      )
    ).rows[0].n as number;

  beforeAll(async () => {
    stack = await TestStack.create('dispatchfaults');
    await stack.start(governanceApi, { JUGGERNAUT_ADMIN_KEY: ADMIN });
    await stack.start(taskDispatcher, FAST);
    api = apiClient(stack.services[0]!.url, ADMIN);
    nc = await connectTestNats();
    rpc = natsRpc(nc, stack.namespace);
    sql = new Client({ connectionString: stack.db.url });
    await sql.connect();
    // The dispatcher hands out nothing until it knows the policy.
    await eventually(
      async () => {
        await submit({ type: 'warmup' });
        return (await claim({ types: ['warmup'] })).tasks.length > 0;
      },
      15_000,
      100,
    );
  });

  afterAll(async () => {
    await sql?.end();
    await nc?.close();
    await stack?.close();
  });

  describe('dependencies', () => {
    it("releases a dependent created while its parent was finishing (the finish waited on the creator's lock)", async () => {
      const parent = await submit({});
      const [lease] = (await claim()).tasks;
      // A transaction holding the child's idempotency key makes the child's creation wait after it
      // has share-locked the parent, so the parent's finish starts while the child is half made.
      const holder = new Client({ connectionString: stack.db.url });
      await holder.connect();
      try {
        await holder.query('BEGIN');
        await holder.query(
          `INSERT INTO dispatch.tasks (type, status, sort_key, idempotency_key) VALUES ('holder', 'cancelled', now(), 'race-child')`,
        );
        const child = submit({ type: `${type}-child`, dependsOn: [parent.id], idempotencyKey: 'race-child' });
        await eventually(async () => (await lockWaiters()) === 1, 5_000, 20);
        const finished = finish([{ taskId: lease!.id, claimToken: lease!.claimToken, outcome: 'succeeded' }]);
        await eventually(async () => (await lockWaiters()) === 2, 5_000, 20);
        await holder.query('ROLLBACK');
        const { id } = await child;
        await finished;
        expect((await row(parent.id)).status).toBe('succeeded');
        await eventually(async () => (await row(id)).status === 'pending', 5_000);
      } finally {
        await holder.end();
      }
    });

    it('refuses to redrive a dependent whose dependency is dead, and redriving the dependency brings its dependents back', async () => {
      const parent = await submit({ maxAttempts: 1 });
      const child = await submit({ dependsOn: [parent.id] });
      const grandchild = await submit({ dependsOn: [child.id] });
      const [lease] = (await claim()).tasks;
      await finish([
        { taskId: lease!.id, claimToken: lease!.claimToken, outcome: 'failed', error: 'boom', retryable: false },
      ]);
      expect((await row(parent.id)).status).toBe('dead');
      expect((await row(child.id)).status).toBe('cancelled');
      expect((await row(grandchild.id)).status).toBe('cancelled');

      const refused = await rpc.error('juggernaut.task.retry.v1', { id: child.id });
      expect(refused.status).toBe(409);
      expect(refused.message).toContain(parent.id);
      expect((await row(child.id)).status).toBe('cancelled');

      await rpc.call('juggernaut.task.retry.v1', { id: parent.id });
      expect((await row(child.id)).status).toBe('blocked');
      expect((await row(grandchild.id)).status).toBe('blocked');
      const [again] = (await claim()).tasks;
      expect(again!.id).toBe(parent.id);
      await finish([{ taskId: again!.id, claimToken: again!.claimToken, outcome: 'succeeded' }]);
      await eventually(async () => (await row(child.id)).status === 'pending', 5_000);
      expect((await row(grandchild.id)).status).toBe('blocked');
    });

    it('a task cancelled by the user is not revived when its dependency is redriven', async () => {
      const parent = await submit({ maxAttempts: 1 });
      const child = await submit({ dependsOn: [parent.id] });
      await rpc.call('juggernaut.task.cancel.v1', { id: child.id, reason: 'not wanted' });
      const [lease] = (await claim()).tasks;
      await finish([
        { taskId: lease!.id, claimToken: lease!.claimToken, outcome: 'failed', error: 'boom', retryable: false },
      ]);
      await rpc.call('juggernaut.task.retry.v1', { id: parent.id });
      expect(await row(child.id)).toMatchObject({ status: 'cancelled', reason: 'not wanted' });
    });
  });

  describe('finishing', () => {
    it('answers a repeated finish of an already finished attempt as already done, not stale', async () => {
      await submit({});
      const [lease] = (await claim()).tasks;
      const result = { taskId: lease!.id, claimToken: lease!.claimToken, outcome: 'succeeded', result: { n: 1 } };
      expect((await finish([result])).accepted).toEqual([{ taskId: lease!.id, status: 'succeeded' }]);
      const again = await finish([result]);
      expect(again.rejected).toEqual([]);
      expect(again.accepted).toEqual([{ taskId: lease!.id, status: 'succeeded', alreadyDone: true }]);
      const history = (
        await sql.query(`SELECT status FROM dispatch.task_events WHERE task_id = $1 ORDER BY id`, [lease!.id])
      ).rows.map((r) => r.status);
      expect(history).toEqual(['pending', 'running', 'succeeded']);
    });

    it('a token that never finished its attempt (lease lost) is still refused as stale', async () => {
      await submit({});
      const [lease] = (await claim()).tasks;
      await rpc.call('juggernaut.task.release.v1', {
        workerId: 'w1',
        reason: 'test',
        leases: [{ taskId: lease!.id, claimToken: lease!.claimToken }],
      });
      const reply = await finish([{ taskId: lease!.id, claimToken: lease!.claimToken, outcome: 'succeeded' }]);
      expect(reply.accepted).toEqual([]);
      expect(reply.rejected[0]!.reason).toMatch(/stale/);
    });

    it('one oversized or malformed result does not fail its batch-mates', async () => {
      for (let i = 0; i < 4; i++) await submit({ maxAttempts: 3 });
      const leases = (await claim()).tasks;
      expect(leases).toHaveLength(4);
      const reply = await finish([
        { taskId: leases[0]!.id, claimToken: leases[0]!.claimToken, outcome: 'failed', error: 'x'.repeat(12_000) },
        { taskId: leases[1]!.id, claimToken: leases[1]!.claimToken, outcome: 'succeeded' },
        { taskId: leases[2]!.id, claimToken: 'not-a-token', outcome: 'succeeded' },
        { taskId: leases[3]!.id, claimToken: leases[3]!.claimToken, outcome: 'succeeded', result: { ok: true } },
      ]);
      expect(reply.accepted.map((a) => a.taskId).sort()).toEqual([leases[0]!.id, leases[1]!.id, leases[3]!.id].sort());
      expect(reply.rejected).toEqual([{ taskId: leases[2]!.id, reason: expect.stringContaining('claimToken') }]);
      // The attempt's end as the finish recorded it: with a 20 ms backoff the queue clock may already
      // have promoted the task from failed to pending by the time its row is read.
      const [long] = (
        await sql.query(
          `SELECT status, reason FROM dispatch.task_events WHERE task_id = $1 AND attempt = 1 AND status <> 'running' ORDER BY id LIMIT 1`,
          [leases[0]!.id],
        )
      ).rows;
      expect(long.status).toBe('failed');
      expect(long.reason.length).toBeLessThanOrEqual(10_000);
      expect(long.reason).toContain('truncated');
      expect((await row(leases[2]!.id)).status).toBe('running');
    });
  });

  describe('limits', () => {
    it('holds maxConcurrency under simultaneous claims', async () => {
      await rpc.call('juggernaut.tasktype.limits.set.v1', { type, maxConcurrency: 1 });
      for (let i = 0; i < 10; i++) await submit({});
      await Promise.all(Array.from({ length: 10 }, (_, i) => claim({ workerId: `w${i}`, max: 1 })));
      expect(
        (
          await sql.query(`SELECT count(*)::int AS n FROM dispatch.tasks WHERE type = $1 AND status = 'running'`, [
            type,
          ])
        ).rows[0].n,
      ).toBe(1);
    });

    it("keeps a rate limit with the dispatcher's clock ahead of the database's (one clock: the database's)", async () => {
      await rpc.call('juggernaut.tasktype.limits.set.v1', { type, ratePerSecond: 1, burst: 1 });
      for (let i = 0; i < 40; i++) await submit({});
      const restore = skewClock(1_500);
      let claimed = 0;
      const started = performance.now();
      try {
        while (performance.now() - started < 3_000) {
          claimed += (await claim({ max: 5 })).tasks.length;
          await new Promise((r) => setTimeout(r, 25));
        }
      } finally {
        restore();
      }
      // One in the bucket plus one per second: at most 4 in 3 s (one more for a refill landing at the edge).
      expect(claimed).toBeGreaterThanOrEqual(2);
      expect(claimed).toBeLessThanOrEqual(5);
    });

    it('a task submitted by a dispatcher whose clock runs ahead is claimable at once', async () => {
      const restore = skewClock(5_000);
      try {
        const t = await submit({});
        expect(t.status).toBe('pending');
      } finally {
        restore();
      }
      expect((await claim()).tasks).toHaveLength(1);
    });
  });

  describe('claims and leases', () => {
    it("a claim that waits past the runner's timeout is answered empty or rolled back: no orphaned lease, no attempt burned", async () => {
      // Two places a claim can stall: the type-limit lock (limited types) and any write of the claim
      // statement itself (here: the outbox, locked by the test). Either way nothing may be leased.
      for (const stall of ['limits', 'statement'] as const) {
        const kind = `${type}-${stall}`;
        if (stall === 'limits')
          await rpc.call('juggernaut.tasktype.limits.set.v1', { type: kind, maxConcurrency: 100 });
        const t = await submit({ type: kind, maxAttempts: 1 });
        const holder = new Client({ connectionString: stack.db.url });
        await holder.connect();
        try {
          await holder.query('BEGIN');
          if (stall === 'limits')
            await holder.query(`SELECT * FROM dispatch.type_limits WHERE type = $1 FOR UPDATE`, [kind]);
          else await holder.query(`LOCK TABLE dispatch.outbox IN ACCESS EXCLUSIVE MODE`);
          const claimId = randomUUID();
          const answer = await nc
            .request(
              `${stack.namespace}.juggernaut.task.claim.v1`,
              JSON.stringify({
                workerId: 'slow',
                level: 5,
                capabilities: [],
                types: [kind],
                max: 1,
                claimId,
                timeoutMs: 1_000,
              }),
              { timeout: 1_000 },
            )
            .then(
              (m) => m.json<{ data: { tasks: unknown[] } }>(),
              () => undefined,
            );
          // Answered in time, it is empty; otherwise the runner gave up (and tells the dispatcher so).
          if (answer) expect(answer.data.tasks).toEqual([]);
          await new Promise((r) => setTimeout(r, 500));
          await holder.query('COMMIT');
          // The stalled claim finished after its budget: rolled back by the dispatcher itself.
          await new Promise((r) => setTimeout(r, 300));
          expect(await row(t.id)).toMatchObject({ status: 'pending', attempts: 0 });
          const { released } = await rpc.call('juggernaut.task.release.v1', {
            workerId: 'slow',
            reason: 'claim reply not received',
            claimIds: [claimId],
          });
          expect(released).toEqual([]);
        } finally {
          await holder.end();
        }
        const [lease] = (await claim({ types: [kind] })).tasks;
        expect(lease).toMatchObject({ id: t.id, attempt: 1 });
      }
    });

    it('a claim whose answer was lost comes back without costing an attempt when the runner releases it by claim id', async () => {
      const t = await submit({ maxAttempts: 1 });
      const claimId = randomUUID();
      const { tasks } = await claim({ claimId, timeoutMs: 5_000 });
      expect(tasks.map((x) => x.id)).toEqual([t.id]);
      const { released } = await rpc.call('juggernaut.task.release.v1', {
        workerId: 'w1',
        reason: 'claim reply not received',
        claimIds: [claimId],
      });
      expect(released).toEqual([t.id]);
      expect(await row(t.id)).toMatchObject({ status: 'pending', attempts: 0 });
    });

    it('gives the lease from the moment of the claim, not from the start of a transaction that waited', async () => {
      await rpc.call('juggernaut.tasktype.limits.set.v1', { type, maxConcurrency: 100, leaseSeconds: 5 });
      await submit({});
      const holder = new Client({ connectionString: stack.db.url });
      await holder.connect();
      let lease: Claimed | undefined;
      try {
        await holder.query('BEGIN');
        await holder.query(`SELECT * FROM dispatch.type_limits WHERE type = $1 FOR UPDATE`, [type]);
        const pending = claim({ timeoutMs: 10_000, max: 1 });
        await new Promise((r) => setTimeout(r, 1_500));
        await holder.query('COMMIT');
        [lease] = (await pending).tasks;
      } finally {
        await holder.end();
      }
      const r = await row(lease!.id);
      const left = (r.lease_expires_at.getTime() - r.claimed_at.getTime()) / 1000;
      expect(left).toBeGreaterThan(4.9);
      expect(lease!.leaseMs).toBeGreaterThan(4_900);
    });

    it('an expired lease goes back to the queue after a backoff, not at once', async () => {
      await rpc.call('juggernaut.tasktype.limits.set.v1', { type, leaseSeconds: 1 });
      const t = await submit({ maxAttempts: 5 });
      await claim();
      const failed = await eventually(async () => {
        const events = (
          await sql.query(`SELECT status, at FROM dispatch.task_events WHERE task_id = $1 ORDER BY id`, [t.id])
        ).rows;
        return events.find((e) => e.status === 'failed');
      }, 5_000);
      const r = (await sql.query(`SELECT run_at FROM dispatch.tasks WHERE id = $1`, [t.id])).rows[0];
      expect(r.run_at.getTime()).toBeGreaterThan(failed.at.getTime());
    });
  });

  describe('held claims', () => {
    it('a claim held at one replica is served by work submitted at another (the wake signal reaches every replica)', async () => {
      const second = await stack.start(taskDispatcher, FAST);
      try {
        // Ten claims spread over the two replicas by the queue group, each held there (nothing to claim yet).
        const held = Array.from({ length: 10 }, (_, i) =>
          claim({ workerId: `held-${i}`, max: 1, waitMs: 20_000, timeoutMs: 25_000 }),
        );
        await new Promise((r) => setTimeout(r, 500));
        const before = performance.now();
        // One batch: one request, so one replica takes all the work; the other learns of it by the signal.
        await rpc.call('juggernaut.task.submit.batch.v1', {
          tasks: Array.from({ length: 10 }, (_, i) => ({ type, title: `held ${i}` })),
        });
        const answered = await Promise.all(held);
        expect(answered.map((a) => a.tasks.length)).toEqual(Array(10).fill(1));
        // Served on the wake, not when a held claim's 20 s wait ran out.
        expect(performance.now() - before).toBeLessThan(15_000);
      } finally {
        await second.close();
        stack.services.splice(stack.services.indexOf(second), 1);
      }
    }, 40_000);
  });

  describe('shutdown', () => {
    it('a dispatcher stopped with requests in flight answers every one it received (drain, not unsubscribe)', async () => {
      const second = await stack.start(taskDispatcher, FAST);
      const requests = Array.from({ length: 400 }, (_, i) =>
        nc
          .request(`${stack.namespace}.juggernaut.task.submit.v1`, JSON.stringify({ type, title: `t${i}` }), {
            timeout: 15_000,
          })
          .then(
            (m) => m.json<{ ok: boolean }>().ok,
            () => false,
          ),
      );
      // Stopped while the burst is still arriving: what it took must be answered, the rest goes to the other replica.
      await new Promise((r) => setImmediate(r));
      await second.close();
      stack.services.splice(stack.services.indexOf(second), 1);
      const answered = await Promise.all(requests);
      expect(answered.filter((ok) => !ok)).toHaveLength(0);
      expect((await sql.query(`SELECT count(*)::int AS n FROM dispatch.tasks WHERE type = $1`, [type])).rows[0].n).toBe(
        400,
      );
    });
  });

  describe('cron', () => {
    it('catchUp "none" runs the on-time tick even when older ticks were missed', async () => {
      const name = `every-minute-${n}`;
      const s = await rpc.call('juggernaut.schedule.create.v1', {
        name,
        cron: '* * * * *',
        catchUp: 'none',
        task: { type },
      });
      await sql.query(`UPDATE dispatch.schedules SET next_run_at = now() - interval '5 minutes' WHERE id = $1`, [s.id]);
      const tasks = await eventually(async () => {
        const rows = (
          await sql.query(`SELECT idempotency_key FROM dispatch.tasks WHERE idempotency_key LIKE $1`, [
            `schedule:${s.id}:%`,
          ])
        ).rows;
        return rows.length ? rows : undefined;
      }, 5_000);
      expect(tasks).toHaveLength(1);
      const tick = new Date(tasks[0].idempotency_key.split(':').slice(2).join(':'));
      expect(Date.now() - tick.getTime()).toBeLessThanOrEqual(61_000);
    });
  });

  describe("cost does not grow with other types' backlog or with history", () => {
    // The root node's buffers include its children's: what the statement read, planning left out.
    const buffers = (plan: Array<{ Plan: Record<string, number | undefined> }>): number =>
      (plan[0].Plan['Shared Hit Blocks'] ?? 0) + (plan[0].Plan['Shared Read Blocks'] ?? 0);
    // Dead rows of earlier tests would be read too: start each measurement from a vacuumed table.
    const vacuum = () => sql.query(`VACUUM ANALYZE dispatch.tasks`);
    const explain = async (text: string, params: unknown[]) => {
      await sql.query('BEGIN');
      try {
        return buffers(
          (await sql.query(`EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${text}`, params)).rows[0]['QUERY PLAN'],
        );
      } finally {
        await sql.query('ROLLBACK');
      }
    };

    it('a claim of one type reads about as much with 20,000 pending tasks of another type as with none', async () => {
      for (let i = 0; i < 5; i++) await submit({});
      const { text, params } = claimStatement({
        workerId: 'explain',
        level: 5,
        capabilities: [],
        types: [type],
        max: 5,
      });
      await vacuum();
      const before = await explain(text, params);
      await sql.query(
        `INSERT INTO dispatch.tasks (type, status, sort_key, run_at) SELECT 'other-backlog', 'pending', now() - interval '1 hour', now() - interval '1 hour' FROM generate_series(1, 20000)`,
      );
      await vacuum();
      const after = await explain(text, params);
      expect(after).toBeLessThanOrEqual(before * 1.2 + 10);
      await sql.query(`DELETE FROM dispatch.tasks WHERE type = 'other-backlog'`);
    });

    it('the task gauges read nothing of finished history', async () => {
      const readAll = async () => {
        let total = 0;
        for (const q of TASK_GAUGE_STATEMENTS) {
          const b = await explain(q, []);
          if (process.env['DEBUG_PLANS']) console.log(b, q);
          total += b;
        }
        return total;
      };
      await vacuum();
      const before = await readAll();
      await sql.query(
        `INSERT INTO dispatch.tasks (type, status, sort_key, finished_at) SELECT 'history', 'succeeded', now(), now() FROM generate_series(1, 20000)`,
      );
      await vacuum();
      const after = await readAll();
      expect(after).toBeLessThanOrEqual(before * 1.2 + 10);
      await sql.query(`DELETE FROM dispatch.tasks WHERE type = 'history'`);
    });
  });

  describe('policy', () => {
    it('trusts only what governance answers: a forged policy.changed with a higher version does not freeze later policies', async () => {
      await submit({});
      nc.publish(
        `${stack.namespace}.juggernaut.policy.changed.v1`,
        JSON.stringify({
          version: 999_999,
          updatedAt: new Date().toISOString(),
          killSwitch: { engaged: false },
          budgets: { currency: 'USD' },
          permissions: { taskTypes: {}, tools: {} },
          approvals: { toolsRequiringApproval: [], ttlSeconds: 60 },
        }),
      );
      await new Promise((r) => setTimeout(r, 300));
      const policy = stack.services.find((s) => s.ctx.service === 'task-dispatcher')!.app.get(DispatchPolicy);
      expect((await api.put('/api/v1/policies/kill-switch', { engaged: true, reason: 'drill' })).status).toBe(200);
      try {
        await eventually(() => policy.stopped !== undefined, 5_000);
        expect((await claim()).tasks).toEqual([]);
      } finally {
        expect((await api.put('/api/v1/policies/kill-switch', { engaged: false })).status).toBe(200);
      }
      await eventually(() => policy.stopped === undefined, 5_000);
      expect((await claim()).tasks).toHaveLength(1);
    });
  });
});

describe('a dispatcher that cannot reach governance', () => {
  let stack: TestStack;
  let nc: NatsConnection;
  let rpc: ReturnType<typeof natsRpc>;
  let dispatcher: RunningService<BaseEnv>;

  beforeAll(async () => {
    stack = await TestStack.create('dispatchnopolicy');
    dispatcher = await stack.start(taskDispatcher, FAST);
    nc = await connectTestNats();
    rpc = natsRpc(nc, stack.namespace);
  });

  afterAll(async () => {
    await nc?.close();
    await stack?.close();
  });

  it('hands out nothing until it knows the policy (the kill switch fails closed), then works once governance answers', async () => {
    const t = await rpc.call('juggernaut.task.submit.v1', { type: 'closed' });
    const claim = () =>
      rpc.call('juggernaut.task.claim.v1', {
        workerId: 'w',
        level: 5,
        capabilities: [],
        types: ['closed'],
        max: 1,
      });
    await new Promise((r) => setTimeout(r, 500));
    expect((await claim()).tasks).toEqual([]);
    expect(dispatcher).toBeDefined();
    await stack.start(governanceApi, { JUGGERNAUT_ADMIN_KEY: ADMIN });
    const [lease] = await eventually(
      async () => {
        const { tasks } = await claim();
        return tasks.length ? tasks : undefined;
      },
      10_000,
      200,
    );
    expect(lease!.id).toBe(t.id);
  });
});
