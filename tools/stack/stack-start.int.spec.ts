import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { apiClient, createTestDatabase, eventually, freePort, type TestDatabase } from '@juggernaut/testing';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * `npm start` (tools/stack/start.mjs) as the README runs it, on its own state directory, database and
 * ports: it generates a password per NATS user once (mode 0600, like the admin key), runs its
 * nats-server with deploy/nats/nats-server.conf, and every service logs in as its own user. Anonymous
 * clients are refused, a runner's user cannot purge a stream, and a task still goes from the API to a
 * runner and back. Health and metrics answer on their own loopback ports, not on the API's.
 */
const root = join(__dirname, '..', '..');

/** A base port with `base … base+4` and `base+10` free (the stack's metrics ports with one runner). */
async function freeMetricsBase(): Promise<number> {
  const free = (port: number) =>
    new Promise<boolean>((resolve) => {
      const srv = createServer();
      srv.once('error', () => resolve(false));
      srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
    });
  for (let i = 0; i < 50; i++) {
    const base = 20_000 + Math.floor(Math.random() * 30_000);
    const ports = [0, 1, 2, 3, 4, 10].map((o) => base + o);
    if ((await Promise.all(ports.map(free))).every(Boolean)) return base;
  }
  throw new Error('no free run of ports for the metrics listeners');
}

describe('npm start: the local stack with NATS authenticated', () => {
  let db: TestDatabase;
  let state: string;
  let stack: ChildProcess | undefined;
  let exited: Promise<number | null>;
  let output = '';
  let natsPort: number;
  let apiPort: number;
  let metricsBase: number;
  let env: Record<string, string>;

  beforeAll(async () => {
    db = await createTestDatabase('stackstart');
    state = mkdtempSync(join(tmpdir(), 'jg-stack-'));
    natsPort = await freePort();
    apiPort = await freePort();
    metricsBase = await freeMetricsBase();
    const {
      NATS_URL: _url,
      NATS_USER: _user,
      NATS_PASS: _pass,
      JUGGERNAUT_ADMIN_KEY: _key,
      ...rest
    } = process.env as Record<string, string>;
    env = {
      ...rest,
      JUGGERNAUT_SKIP_BUILD: '1',
      JUGGERNAUT_STATE_DIR: state,
      DATABASE_URL: db.url,
      // roles are cluster-wide: this test leaves the shared server's roles alone
      JUGGERNAUT_DB_ROLES: 'off',
      JUGGERNAUT_NATS_PORT: String(natsPort),
      HTTP_PORT: String(apiPort),
      JUGGERNAUT_METRICS_PORT_BASE: String(metricsBase),
      JUGGERNAUT_RUNNERS: '1',
      LOG_LEVEL: 'warn',
      LOG_FORMAT: 'json',
      DATABASE_POOL_SIZE: '3',
    };
    stack = spawn(process.execPath, [join(root, 'tools', 'stack', 'start.mjs')], {
      cwd: root,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    stack.stdout!.on('data', (d) => (output += d));
    stack.stderr!.on('data', (d) => (output += d));
    exited = new Promise((resolve) => stack!.once('exit', (code) => resolve(code)));
    await eventually(
      () => {
        if (stack!.exitCode !== null) throw new Error(`npm start exited:\n${output.slice(-3000)}`);
        return output.includes('Juggernaut is up');
      },
      120_000,
      250,
    );
  }, 150_000);

  afterAll(async () => {
    if (stack && stack.exitCode === null) {
      stack.kill('SIGTERM');
      await exited;
    }
    await db?.drop();
    if (state) rmSync(state, { recursive: true, force: true });
  });

  it('generates a password per NATS user once, readable by its owner only, and runs nats-server with the users of deploy/nats/nats-server.conf', async () => {
    const file = join(state, 'nats-users.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(join(state, 'admin-key')).mode & 0o777).toBe(0o600);
    const users = JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>;
    expect(Object.keys(users).sort()).toEqual([
      'agent-runner',
      'dev-bot',
      'experiment-tracker',
      'external',
      'governance-api',
      'operator',
      'revenue-ledger',
      'task-dispatcher',
    ]);
    for (const p of Object.values(users)) expect(p).toMatch(/^p[0-9a-f]{48}$/);
    expect(output).toContain(`nats-server with JetStream on 127.0.0.1:${natsPort}`);
    const url = `nats://127.0.0.1:${natsPort}`;
    // no user, a wrong password: refused
    await expect(connect({ servers: url, maxReconnectAttempts: 0 })).rejects.toThrow(/Authorization Violation/i);
    await expect(
      connect({ servers: url, user: 'agent-runner', pass: 'not-it', maxReconnectAttempts: 0 }),
    ).rejects.toThrow(/Authorization Violation/i);
    // a runner logs in with its password, and may not purge or delete what it publishes to
    const runner = await connect({
      servers: url,
      user: 'agent-runner',
      pass: users['agent-runner'],
      inboxPrefix: '_INBOX.agent-runner',
      maxReconnectAttempts: 0,
    });
    try {
      const jsm = await jetstreamManager(runner);
      await expect(jsm.streams.purge('JUGGERNAUT_INBOUND')).rejects.toThrow(/Permissions Violation/i);
      await expect(jsm.streams.delete('JUGGERNAUT_EVENTS')).rejects.toThrow(/Permissions Violation/i);
      await expect(runner.request('juggernaut.ledger.transaction.post.v1', '{}', { timeout: 2_000 })).rejects.toThrow(
        /Permissions Violation/i,
      );
    } finally {
      await runner.close();
    }
  });

  it('carries a task from the API through the dispatcher to a runner, every service logged in as its own user', async () => {
    const key = readFileSync(join(state, 'admin-key'), 'utf8').trim();
    const api = apiClient(`http://127.0.0.1:${apiPort}`, key);
    const task = await api.post('/api/v1/tasks', { type: 'noop', payload: { sleepMs: 10 } });
    expect(task.status).toBe(201);
    await eventually(
      async () => (await api.get(`/api/v1/tasks/${task.body.id}`)).body.status === 'succeeded',
      30_000,
      200,
    );
    // The registry learns of the runner from its worker.online event, consumed on its own schedule:
    // a task handed straight to the runner can finish before that event is in.
    const workers = await eventually(
      async () => {
        const listed = (await api.get('/api/v1/workers')).body;
        return JSON.stringify(listed).includes('agent-runner-0') ? listed : undefined;
      },
      10_000,
      200,
    ).catch(async () => (await api.get('/api/v1/workers')).body);
    expect(JSON.stringify(workers)).toContain('agent-runner-0');
    expect(output).not.toMatch(/Authorization Violation|Permissions Violation/i);
    const natsLog = readFileSync(join(state, 'nats-server.log'), 'utf8');
    expect(natsLog).not.toMatch(/Permissions Violation/i);
  });

  it('serves health and metrics on loopback ports of their own, not on the API port', async () => {
    const scrape = await fetch(`http://127.0.0.1:${metricsBase + 1}/metrics`);
    expect(scrape.status).toBe(200);
    expect(await scrape.text()).toContain('service="task-dispatcher"');
    expect((await fetch(`http://127.0.0.1:${metricsBase + 10}/health/ready`)).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${apiPort}/metrics`)).status).toBe(404);
  });

  it('lets `npm run doctor` check NATS and JetStream as the operator user', () => {
    const r = spawnSync(process.execPath, [join(root, 'tools', 'stack', 'doctor.mjs')], {
      cwd: root,
      env,
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(r.stdout).toMatch(new RegExp(`^ok\\s+nats\\s+reachable at nats://127.0.0.1:${natsPort}`, 'm'));
    expect(r.stdout).toMatch(/^ok\s+jetstream\s+enabled/m);
  });

  it('stops everything on SIGTERM, nats-server included', async () => {
    stack!.kill('SIGTERM');
    expect(await exited).toBe(0);
    await expect(
      connect({ servers: `nats://127.0.0.1:${natsPort}`, maxReconnectAttempts: 0, timeout: 1_000 }),
    ).rejects.toThrow();
  }, 60_000);
});
