import { connect, type NatsConnection } from '@nats-io/transport-node';
import {
  cleanupNamespace,
  createTestDatabase,
  eventually,
  NatsServerProcess,
  ServiceProcess,
  type TestDatabase,
  TEST_NATS_URL,
  testNamespace,
} from '@juggernaut/testing';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import type { RpcReply } from '@juggernaut/messaging';

/**
 * Crash drills with the built services as real processes: runners killed with SIGKILL mid-task,
 * NATS restarted, Postgres connections killed. Leases are short so the drills stay quick.
 * Every task must finish exactly once, counted from the task history.
 */
const DISPATCH = {
  DISPATCH_LEASE_SECONDS: '2',
  DISPATCH_REAPER_INTERVAL_MS: '200',
  DISPATCH_REAPER_GRACE_MS: '1000',
  DISPATCH_RETRY_BASE_MS: '20',
  DISPATCH_TIMER_MAX_MS: '200',
  DATABASE_POOL_SIZE: '4',
};
const RUNNER = { RUNNER_HEARTBEAT_INTERVAL_MS: '400', RUNNER_POLL_INTERVAL_MS: '300', RUNNER_DRAIN_MS: '500' };
// Each drill first boots governance-api, a dispatcher and one to three runners as processes. With
// the two cores shared (the whole suite, other work) that boot was measured at 16 to 72 s, over
// Jest's default budget, while the drills themselves took 5 to 30 s; their waits keep their own bounds.
jest.setTimeout(180_000);

describe('crash drills', () => {
  let db: TestDatabase;
  let sql: Client;
  const procs: ServiceProcess[] = [];

  // Each drill gets its own database, migrated, so no drill sees another's tasks.
  beforeEach(async () => {
    db = await createTestDatabase('drills');
    ServiceProcess.migrate('task-dispatcher', { DATABASE_URL: db.url });
    ServiceProcess.migrate('governance-api', { DATABASE_URL: db.url });
    sql = new Client({ connectionString: db.url });
    await sql.connect();
  });

  afterEach(async () => {
    await Promise.all(procs.splice(0).map((p) => p.kill('SIGKILL')));
    await sql?.end();
    await db?.drop();
  });

  async function start(app: string, env: Record<string, string>): Promise<ServiceProcess> {
    const p = await ServiceProcess.start(app, { DATABASE_URL: db.url, LOG_LEVEL: 'warn', ...env });
    procs.push(p);
    return p;
  }

  /** The dispatcher and the runners fail closed without a policy: governance-api answers it. */
  const governance = (env: Record<string, string>) =>
    start('governance-api', { ...env, JUGGERNAUT_ADMIN_KEY: 'crash-drills-admin-key-0123456789' });

  async function submitMany(
    nc: NatsConnection,
    ns: string,
    n: number,
    payload: Record<string, unknown>,
  ): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < n; i += 100) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(100, n - i) }, async () => {
          const r = (
            await nc.request(`${ns}.juggernaut.task.submit.v1`, JSON.stringify({ type: 'noop', payload }), {
              timeout: 10_000,
            })
          ).json<RpcReply<{ id: string }>>();
          if (!r.ok) throw new Error(JSON.stringify(r.error));
          return r.data.id;
        }),
      );
      ids.push(...batch);
    }
    return ids;
  }

  /** Resolves when the connection is next re-established after a loss (its subscriptions sent again). */
  async function reconnected(nc: NatsConnection): Promise<void> {
    for await (const s of nc.status()) if (s.type === 'reconnect') return;
  }

  async function successesPerTask(ids: string[]): Promise<Map<string, number>> {
    const { rows } = await sql.query(
      `SELECT task_id, count(*)::int AS n FROM dispatch.task_events WHERE status = 'succeeded' AND task_id = ANY($1::uuid[]) GROUP BY task_id`,
      [ids],
    );
    return new Map(rows.map((r) => [r.task_id as string, r.n as number]));
  }

  it('a runner killed with SIGKILL mid-task: the task completes exactly once on another runner', async () => {
    const ns = testNamespace();
    const nc = await connect({ servers: TEST_NATS_URL });
    try {
      const env = { NATS_URL: TEST_NATS_URL, NATS_NAMESPACE: ns };
      await governance(env);
      await start('task-dispatcher', { ...env, ...DISPATCH });
      const doomed = await start('agent-runner', { ...env, ...RUNNER, HOSTNAME: 'doomed', RUNNER_CONCURRENCY: '1' });
      const [id] = await submitMany(nc, ns, 1, { sleepMs: 1_500 });
      await eventually(
        async () =>
          (await sql.query(`SELECT worker_id FROM dispatch.tasks WHERE id = $1 AND status = 'running'`, [id])).rows[0]
            ?.worker_id === 'doomed',
      );
      await doomed.kill('SIGKILL');
      await start('agent-runner', { ...env, ...RUNNER, HOSTNAME: 'survivor' });
      await eventually(
        async () =>
          (await sql.query(`SELECT status FROM dispatch.tasks WHERE id = $1`, [id])).rows[0]?.status === 'succeeded',
        15_000,
      );
      const { rows } = await sql.query(`SELECT attempts, worker_id FROM dispatch.tasks WHERE id = $1`, [id]);
      expect(rows[0]).toEqual({ attempts: 2, worker_id: 'survivor' });
      expect((await successesPerTask([id!])).get(id!)).toBe(1);
    } finally {
      await nc.close();
      await cleanupNamespace(ns);
    }
  });

  it('2,000 tasks through 3 runners, one killed midway: every task succeeds exactly once', async () => {
    const ns = testNamespace();
    const nc = await connect({ servers: TEST_NATS_URL });
    try {
      const env = { NATS_URL: TEST_NATS_URL, NATS_NAMESPACE: ns };
      await governance(env);
      await start('task-dispatcher', { ...env, ...DISPATCH });
      const runners = await Promise.all(
        ['r1', 'r2', 'r3'].map((h) =>
          start('agent-runner', { ...env, ...RUNNER, HOSTNAME: h, RUNNER_CONCURRENCY: '16' }),
        ),
      );
      const ids = await submitMany(nc, ns, 2_000, { sleepMs: 10 });
      await eventually(
        async () =>
          (
            await sql.query(
              `SELECT count(*)::int AS n FROM dispatch.tasks WHERE status = 'succeeded' AND id = ANY($1::uuid[])`,
              [ids],
            )
          ).rows[0].n >= 500,
        30_000,
      );
      await runners[1]!.kill('SIGKILL');
      await eventually(
        async () =>
          (
            await sql.query(
              `SELECT count(*)::int AS n FROM dispatch.tasks WHERE status = 'succeeded' AND id = ANY($1::uuid[])`,
              [ids],
            )
          ).rows[0].n === 2_000,
        60_000,
        200,
      );
      const per = await successesPerTask(ids);
      expect(per.size).toBe(2_000);
      expect([...per.values()].every((n) => n === 1)).toBe(true);
      const { rows } = await sql.query(
        `SELECT count(*)::int AS n FROM dispatch.tasks WHERE id = ANY($1::uuid[]) AND status <> 'succeeded'`,
        [ids],
      );
      expect(rows[0].n).toBe(0);
    } finally {
      await nc.close();
      await cleanupNamespace(ns);
    }
  });

  it('NATS restarted: no task is lost and the services reconnect by themselves', async () => {
    const store = mkdtempSync(join(tmpdir(), 'jg-nats-'));
    const nats = await NatsServerProcess.start(store);
    const ns = testNamespace();
    let nc: NatsConnection | undefined;
    try {
      const env = { NATS_URL: nats.url, NATS_NAMESPACE: ns };
      await governance(env);
      const dispatcher = await start('task-dispatcher', { ...env, ...DISPATCH });
      await start('agent-runner', { ...env, ...RUNNER, HOSTNAME: 'steady', RUNNER_CONCURRENCY: '8' });
      // The submitting client redials every 2 s, so it is usually still away when the dispatcher is
      // ready again (the services redial every 250 ms): the order the drill must survive.
      nc = await connect({ servers: nats.url, maxReconnectAttempts: -1, reconnectTimeWait: 2_000 });
      const before = await submitMany(nc, ns, 50, { sleepMs: 200 });
      const back = reconnected(nc);
      await nats.stop();
      await new Promise((r) => setTimeout(r, 1_000));
      await nats.restart();
      await dispatcher.ready();
      // The test's own connection comes back on its own schedule, and the client drops what was
      // published before it has (it discards its buffer when it dials again): a request sent then is
      // never delivered and times out, however ready the dispatcher is. So it is waited for too.
      await back;
      const after = await submitMany(nc, ns, 50, { sleepMs: 10 });
      const all = [...before, ...after];
      await eventually(
        async () =>
          (
            await sql.query(
              `SELECT count(*)::int AS n FROM dispatch.tasks WHERE status = 'succeeded' AND id = ANY($1::uuid[])`,
              [all],
            )
          ).rows[0].n === 100,
        30_000,
        200,
      );
      expect([...(await successesPerTask(all)).values()].every((n) => n === 1)).toBe(true);
      // The outbox kept every event while NATS was down and delivered it afterwards.
      await eventually(
        async () => (await sql.query(`SELECT count(*)::int AS n FROM dispatch.outbox`)).rows[0].n === 0,
        15_000,
      );
    } finally {
      await nc?.close();
      await nats.stop();
      rmSync(store, { recursive: true, force: true });
    }
  });

  it('Postgres connections killed: the services recover by themselves', async () => {
    const ns = testNamespace();
    const nc = await connect({ servers: TEST_NATS_URL });
    try {
      const env = { NATS_URL: TEST_NATS_URL, NATS_NAMESPACE: ns };
      await governance(env);
      const dispatcher = await start('task-dispatcher', { ...env, ...DISPATCH });
      await start('agent-runner', { ...env, ...RUNNER, HOSTNAME: 'pg-drill' });
      const first = await submitMany(nc, ns, 20, { sleepMs: 5 });
      await sql.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`,
      );
      const second = await eventually(async () => submitMany(nc, ns, 20, { sleepMs: 5 }), 15_000, 200);
      const all = [...first, ...second];
      await eventually(
        async () =>
          (
            await sql.query(
              `SELECT count(*)::int AS n FROM dispatch.tasks WHERE status = 'succeeded' AND id = ANY($1::uuid[])`,
              [all],
            )
          ).rows[0].n === 40,
        20_000,
        200,
      );
      await dispatcher.ready();
    } finally {
      await nc.close();
      await cleanupNamespace(ns);
    }
  });
});
