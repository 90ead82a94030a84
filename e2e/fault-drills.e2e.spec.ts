import { connect, type NatsConnection } from '@nats-io/transport-node';
import { eventually, NatsServerProcess, PostgresProcess, ServiceProcess, testNamespace } from '@juggernaut/testing';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';

/**
 * Fault drills: the built services as processes on a Postgres and a nats-server of the suite's own
 * (never the shared ones), with faults injected mid-drain — the database restarted, the broker
 * restarted, dispatchers and runners killed with SIGKILL, a dispatcher frozen past the runners'
 * claim timeout (alone, and one of two, also past a lease), a dispatcher whose clock runs ahead of
 * the database's, and a dependency graph whose children are created while their parents finish.
 * After each one the queue's invariants are checked from the task history: every task ends in
 * exactly one terminal state (succeeded, here), no result is lost, no attempt is burned by an
 * infrastructure fault, dependents are released, and the services' connections stay bounded.
 */
jest.setTimeout(120_000);

const ADMIN = 'fault-drills-admin-key-0123456789';
const POOL = 4;
const DISPATCH = {
  DISPATCH_LEASE_SECONDS: '2',
  DISPATCH_REAPER_INTERVAL_MS: '200',
  DISPATCH_REAPER_GRACE_MS: '8000',
  DISPATCH_RETRY_BASE_MS: '20',
  DISPATCH_TIMER_MAX_MS: '200',
  DATABASE_POOL_SIZE: String(POOL),
};
const RUNNER = {
  RUNNER_CONCURRENCY: '16',
  RUNNER_POLL_INTERVAL_MS: '300',
  RUNNER_PRESENCE_INTERVAL_MS: '1000',
  RUNNER_DRAIN_MS: '500',
};

/** libfaketime, from Debian's `faketime` package (.ci/ensure-services.sh installs it). */
function libfaketime(): string {
  for (const dir of readdirSync('/usr/lib', { withFileTypes: true }).filter((d) => d.isDirectory())) {
    const p = join('/usr/lib', dir.name, 'faketime', 'libfaketime.so.1');
    if (existsSync(p)) return p;
  }
  throw new Error("libfaketime not found: install Debian's faketime package (the clock-skew drill needs it)");
}

describe('fault drills on a Postgres and a NATS of their own', () => {
  let pg: PostgresProcess;
  let nats: NatsServerProcess;
  const dirs: string[] = [];
  const procs: ServiceProcess[] = [];
  let sql: Client;
  let nc: NatsConnection;
  let ns: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    const pgDir = mkdtempSync(join(tmpdir(), 'jg-drill-pg-'));
    const natsDir = mkdtempSync(join(tmpdir(), 'jg-drill-nats-'));
    dirs.push(pgDir, natsDir);
    pg = await PostgresProcess.start(pgDir);
    nats = await NatsServerProcess.start(natsDir);
  });

  afterAll(async () => {
    await nats?.stop();
    await pg?.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  // Each drill gets its own database and NATS namespace, migrated, and governance-api (the policy).
  beforeEach(async () => {
    const name = `drill_${randomBytes(4).toString('hex')}`;
    const admin = new Client({ connectionString: pg.url() });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    ns = testNamespace();
    env = { DATABASE_URL: pg.url(name), NATS_URL: nats.url, NATS_NAMESPACE: ns, LOG_LEVEL: 'warn' };
    ServiceProcess.migrate('governance-api', env);
    ServiceProcess.migrate('task-dispatcher', env);
    sql = new Client({ connectionString: env['DATABASE_URL'] });
    sql.on('error', () => undefined);
    await sql.connect();
    nc = await connect({ servers: nats.url, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
    await start('governance-api', { JUGGERNAUT_ADMIN_KEY: ADMIN, DATABASE_POOL_SIZE: String(POOL) });
  });

  afterEach(async () => {
    await Promise.all(
      procs.splice(0).map((p) => {
        p.child.kill('SIGCONT');
        return p.kill('SIGKILL');
      }),
    );
    await nc?.close();
    await sql?.end().catch(() => undefined);
  });

  async function start(app: string, extra: Record<string, string> = {}): Promise<ServiceProcess> {
    const p = await ServiceProcess.start(app, { ...env, ...extra });
    procs.push(p);
    return p;
  }

  const dispatcher = (extra: Record<string, string> = {}) => start('task-dispatcher', { ...DISPATCH, ...extra });
  const runner = (name: string) => start('agent-runner', { ...RUNNER, HOSTNAME: name });

  async function request<T>(subject: string, payload: unknown): Promise<T> {
    const reply = (await nc.request(`${ns}.${subject}`, JSON.stringify(payload), { timeout: 10_000 })).json<{
      ok: boolean;
      data: T;
      error: unknown;
    }>();
    if (!reply.ok) throw new Error(`${subject}: ${JSON.stringify(reply.error)}`);
    return reply.data;
  }

  async function submitMany(n: number, body: Record<string, unknown>): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < n; i += 50) {
      ids.push(
        ...(await Promise.all(
          Array.from(
            { length: Math.min(50, n - i) },
            async () =>
              (await request<{ id: string }>('juggernaut.task.submit.v1', { type: 'noop', maxAttempts: 1, ...body }))
                .id,
          ),
        )),
      );
    }
    return ids;
  }

  const query = async (text: string, params: unknown[] = []) => {
    try {
      return (await sql.query(text, params)).rows;
    } catch {
      // the drill's own connection died with the database: reconnect once
      sql = new Client({ connectionString: env['DATABASE_URL'] });
      sql.on('error', () => undefined);
      await sql.connect();
      return (await sql.query(text, params)).rows;
    }
  };
  const succeeded = async (ids: string[]) =>
    (
      await query(`SELECT count(*)::int AS n FROM dispatch.tasks WHERE status = 'succeeded' AND id = ANY($1::uuid[])`, [
        ids,
      ])
    )[0].n as number;

  /**
   * The invariants after a drill: every task succeeded, exactly once (one `succeeded` in its
   * history), each run once and with one attempt unless `rerunsAllowed` (tasks of a runner that was
   * killed run again, by design); the outbox drained; the database connections bounded.
   */
  async function expectInvariants(ids: string[], opts: { rerunsAllowed?: boolean; services: number }): Promise<void> {
    await eventually(async () => (await succeeded(ids)) === ids.length, 40_000, 250).catch(async (e: Error) => {
      const states = await query(
        `SELECT status, reason, count(*)::int AS n FROM dispatch.tasks WHERE id = ANY($1::uuid[]) GROUP BY 1, 2`,
        [ids],
      );
      // The history of a few that did not succeed says where they went wrong.
      const stuck = await query(
        `SELECT t.id, t.status, (SELECT json_agg(json_build_object('status', e.status, 'worker', e.worker_id, 'reason', e.reason, 'at', e.at) ORDER BY e.id)
           FROM dispatch.task_events e WHERE e.task_id = t.id) AS history
         FROM dispatch.tasks t WHERE t.id = ANY($1::uuid[]) AND t.status <> 'succeeded' LIMIT 3`,
        [ids],
      );
      throw new Error(`${e.message}; tasks by state: ${JSON.stringify(states)}; for example: ${JSON.stringify(stuck)}`);
    });
    const rows = await query(
      `SELECT t.id, t.status, t.attempts,
         (SELECT count(*) FROM dispatch.task_events e WHERE e.task_id = t.id AND e.status = 'succeeded')::int AS successes,
         -- a claim whose answer never reached its runner, handed back by claim id, never ran
         (SELECT count(*) FILTER (WHERE e.status = 'running') - count(*) FILTER (WHERE e.reason = 'released: claim answer not received')
          FROM dispatch.task_events e WHERE e.task_id = t.id)::int AS runs
       FROM dispatch.tasks t WHERE t.id = ANY($1::uuid[])`,
      [ids],
    );
    expect(rows).toHaveLength(ids.length);
    expect(rows.filter((r) => r.status !== 'succeeded' || r.successes !== 1)).toEqual([]);
    if (!opts.rerunsAllowed) expect(rows.filter((r) => r.attempts !== 1 || r.runs !== 1)).toEqual([]);
    await eventually(
      async () => (await query(`SELECT count(*)::int AS n FROM dispatch.outbox`))[0].n === 0,
      20_000,
      250,
    );
    // Each service holds at most its pool and one LISTEN connection for its outbox relay.
    const [{ n }] = await query(
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`,
    );
    expect(n).toBeLessThanOrEqual(opts.services * (POOL + 1));
  }

  it('Postgres restarted mid-drain, longer than a lease: nothing lost, nothing run twice, no attempt burned', async () => {
    await dispatcher();
    await Promise.all([runner('pg-r1'), runner('pg-r2')]);
    const ids = await submitMany(300, { payload: { sleepMs: 100 } });
    await eventually(async () => (await succeeded(ids)) >= 60, 30_000, 100);
    await pg.stop('SIGKILL');
    await new Promise((r) => setTimeout(r, 3_000));
    await pg.restart();
    await expectInvariants(ids, { services: 2 });
  });

  it('NATS restarted mid-drain, longer than a lease: nothing lost, nothing run twice, no attempt burned', async () => {
    await dispatcher();
    await Promise.all([runner('nats-r1'), runner('nats-r2')]);
    const ids = await submitMany(300, { payload: { sleepMs: 100 } });
    await eventually(async () => (await succeeded(ids)) >= 60, 30_000, 100);
    await nats.stop();
    await new Promise((r) => setTimeout(r, 4_000));
    await nats.restart();
    await expectInvariants(ids, { services: 2 });
  });

  it('both dispatchers killed with SIGKILL mid-drain and started again: no result lost, no task run twice', async () => {
    const first = await Promise.all([dispatcher(), dispatcher()]);
    await Promise.all([runner('kd-r1'), runner('kd-r2')]);
    const ids = await submitMany(200, { payload: { sleepMs: 150 } });
    await eventually(async () => (await succeeded(ids)) >= 40, 30_000, 100);
    await Promise.all(first.map((d) => d.kill('SIGKILL')));
    await new Promise((r) => setTimeout(r, 1_000));
    await Promise.all([dispatcher(), dispatcher()]);
    await expectInvariants(ids, { services: 3 });
  });

  it('a dispatcher replica and a runner killed with SIGKILL mid-drain: every task succeeds exactly once', async () => {
    const [doomed] = await Promise.all([dispatcher(), dispatcher()]);
    const runners = await Promise.all([runner('k-r1'), runner('k-r2'), runner('k-r3')]);
    const ids = await submitMany(300, { payload: { sleepMs: 50 }, maxAttempts: 3 });
    await eventually(async () => (await succeeded(ids)) >= 60, 30_000, 100);
    await doomed!.kill('SIGKILL');
    await eventually(async () => (await succeeded(ids)) >= 150, 30_000, 100);
    await runners[1]!.kill('SIGKILL');
    await expectInvariants(ids, { rerunsAllowed: true, services: 2 });
  });

  /** Runs `tasks` sleeping `sleepMs` on `runners`, freezes `frozen` for 7 s once 40 have succeeded, and checks the invariants. */
  async function freezeMidDrain(
    frozen: ServiceProcess,
    drill: { runners: string[]; tasks: number; sleepMs: number; services: number },
  ): Promise<void> {
    await Promise.all(drill.runners.map((name) => runner(name)));
    const ids = await submitMany(drill.tasks, { payload: { sleepMs: drill.sleepMs } });
    await eventually(async () => (await succeeded(ids)) >= 40, 30_000, 100);
    frozen.child.kill('SIGSTOP');
    await new Promise((r) => setTimeout(r, 7_000));
    frozen.child.kill('SIGCONT');
    await expectInvariants(ids, { services: drill.services });
  }

  it("a dispatcher frozen past the runners' claim timeout: unanswered claims are handed back, no attempt burned", async () => {
    // Frozen: requests queue up unanswered, the claims time out (5 s), the leases run out.
    await freezeMidDrain(await dispatcher(), { runners: ['f-r1', 'f-r2'], tasks: 200, sleepMs: 100, services: 2 });
  });

  it("one of two dispatchers frozen past the runners' claim timeout: its unanswered claims are handed back through the other, no attempt burned", async () => {
    // Leases long enough that the freeze costs no heartbeat or report its answer: only the claims it held are at stake.
    const frozen = await dispatcher({ DISPATCH_LEASE_SECONDS: '30' });
    await dispatcher({ DISPATCH_LEASE_SECONDS: '30' });
    // Four runners, so several claims stall there and their hand-backs go to either replica; work
    // left when it thaws, so the claims it read during the freeze would find tasks to lease.
    await freezeMidDrain(frozen, {
      runners: ['f2-r1', 'f2-r2', 'f2-r3', 'f2-r4'],
      tasks: 1_600,
      sleepMs: 300,
      services: 3,
    });
  });

  it('one of two dispatchers frozen longer than a lease: the other holds its reaper while it is silent, no attempt burned', async () => {
    // Heartbeats and reports that reach the frozen replica wait unanswered past the 2 s leases.
    const frozen = await dispatcher();
    await dispatcher();
    await freezeMidDrain(frozen, { runners: ['fl-r1', 'fl-r2'], tasks: 200, sleepMs: 100, services: 3 });
  });

  it("a dispatcher whose clock runs 2 s ahead of the database's keeps the rate limit and runs what it is given at once", async () => {
    await dispatcher({ LD_PRELOAD: libfaketime(), FAKETIME: '+2s', FAKETIME_DONT_FAKE_MONOTONIC: '1' });
    await request('juggernaut.tasktype.limits.set.v1', { type: 'noop', ratePerSecond: 2, burst: 2 });
    await new Promise((r) => setTimeout(r, 2_100)); // the limits cache
    const ids = await submitMany(40, { payload: {} });
    const statuses = await query(`SELECT DISTINCT status FROM dispatch.tasks WHERE id = ANY($1::uuid[])`, [ids]);
    expect(statuses.map((s) => s.status)).toEqual(['pending']);
    await runner('skew-r1');
    await new Promise((r) => setTimeout(r, 5_000));
    const done = await succeeded(ids);
    // 2 in the bucket and 2 a second: at most 12 in 5 s (and one refill at the edge).
    expect(done).toBeGreaterThanOrEqual(4);
    expect(done).toBeLessThanOrEqual(14);
  });

  it('hundreds of dependents created while their parents finish are all released, and every task runs once', async () => {
    await dispatcher();
    await Promise.all([runner('dag-r1'), runner('dag-r2')]);
    const parents = await submitMany(150, { payload: { sleepMs: 10 } });
    const children: string[] = [];
    // Children and grandchildren arrive in bursts while the parents are being claimed and finished.
    for (let wave = 0; wave < 8; wave++) {
      const pool = [...parents, ...children];
      children.push(
        ...(await Promise.all(
          Array.from({ length: 80 }, async (_, i) => {
            const deps = [
              ...new Set([
                pool[(wave * 61 + i * 7) % pool.length]!,
                pool[(wave * 13 + i * 11) % pool.length]!,
                pool[(i * 17 + wave) % pool.length]!,
              ]),
            ];
            return (
              await request<{ id: string }>('juggernaut.task.submit.v1', {
                type: 'noop',
                maxAttempts: 1,
                payload: { sleepMs: 2 },
                dependsOn: deps,
              })
            ).id;
          }),
        )),
      );
    }
    const edges = (await query(`SELECT count(*)::int AS n FROM dispatch.task_dependencies`))[0].n as number;
    expect(edges).toBeGreaterThanOrEqual(600);
    await expectInvariants([...parents, ...children], { services: 2 });
  });
});
