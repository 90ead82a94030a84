import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { createServer } from 'node:net';
import {
  cleanupNamespace,
  createTestDatabase,
  type TestDatabase,
  TEST_NATS_URL,
  testNamespace,
} from '@juggernaut/testing';

/**
 * The six built services as real processes: each migrates, becomes ready against Postgres and
 * NATS, and exits cleanly on SIGTERM; a bad environment stops one with a single line.
 */
const root = join(__dirname, '..', '..');
const main = (app: string) => join(root, 'dist', 'apps', app, 'main.js');
const APPS = ['governance-api', 'task-dispatcher', 'agent-runner', 'dev-bot', 'experiment-tracker', 'revenue-ledger'];

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

describe('services as processes', () => {
  let db: TestDatabase;
  const namespace = testNamespace();
  let env: Record<string, string>;

  beforeAll(async () => {
    db = await createTestDatabase('procs');
    env = {
      PATH: process.env['PATH'] ?? '',
      DATABASE_URL: db.url,
      NATS_URL: TEST_NATS_URL,
      NATS_NAMESPACE: namespace,
      LOG_LEVEL: 'info',
      DATABASE_POOL_SIZE: '2',
      SHUTDOWN_GRACE_MS: '5000',
      JUGGERNAUT_ADMIN_KEY: 'procs-admin-key-0123456789abcdef',
    };
  });

  afterAll(async () => {
    await cleanupNamespace(namespace);
    await db.drop();
  });

  it.each(APPS)(
    '%s migrates, becomes ready, serves health and metrics on METRICS_PORT only, and stops cleanly on SIGTERM',
    async (app) => {
      const migrate = spawnSync(process.execPath, [main(app), 'migrate'], { env, encoding: 'utf8' });
      expect(migrate.status).toBe(0);
      const check = spawnSync(process.execPath, [main(app), 'migrate', '--check'], { env, encoding: 'utf8' });
      expect(check.status).toBe(0);

      const port = await freePort();
      const httpPort = await freePort();
      const child = spawn(process.execPath, [main(app)], {
        env: { ...env, METRICS_PORT: String(port), HTTP_PORT: String(httpPort) },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.on('data', (d) => (output += d));
      child.stderr.on('data', (d) => (output += d));
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      try {
        let ready: { status: string; checks: Record<string, { ok: boolean }> } | undefined;
        for (let i = 0; i < 200 && !ready; i++) {
          try {
            const res = await fetch(`http://127.0.0.1:${port}/health/ready`);
            if (res.ok) ready = (await res.json()) as typeof ready;
          } catch {
            // not listening yet
          }
          if (!ready) await new Promise((r) => setTimeout(r, 100));
        }
        expect(ready?.checks['nats']).toEqual({ ok: true });
        if (app !== 'agent-runner') expect(ready?.checks['postgres']).toEqual({ ok: true });
        const scrape = await fetch(`http://127.0.0.1:${port}/metrics`);
        expect(scrape.headers.get('x-powered-by')).toBeNull();
        const metrics = await scrape.text();
        expect(metrics).toContain(`juggernaut_process_resident_memory_bytes{service="${app}"}`);
        // The API port (governance-api's only) never serves health or metrics; the other services do not listen on it at all.
        for (const path of ['/metrics', '/health/ready']) {
          const onApi = await fetch(`http://127.0.0.1:${httpPort}${path}`).then(
            (r) => r.status,
            () => 'not listening',
          );
          expect([path, onApi]).toEqual([path, app === 'governance-api' ? 404 : 'not listening']);
        }
      } finally {
        child.kill('SIGTERM');
      }
      expect(await exited).toBe(0);
      // Structured JSON logs, one object per line.
      const lines = output.split('\n').filter((l) => l.startsWith('{'));
      expect(lines.length).toBeGreaterThan(0);
      expect(JSON.parse(lines[lines.length - 1]!)).toMatchObject({ service: app, msg: `${app} stopped` });
      expect(output).not.toContain('procs-admin-key-0123456789abcdef');
    },
  );

  it('stops at boot with one line naming a bad variable', () => {
    const r = spawnSync(process.execPath, [main('revenue-ledger')], {
      env: { ...env, METRICS_PORT: 'eighty' },
      encoding: 'utf8',
    });
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('METRICS_PORT');
    const missing = spawnSync(process.execPath, [main('task-dispatcher')], {
      env: { ...env, DATABASE_URL: '' },
      encoding: 'utf8',
    });
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/DATABASE_URL.*not set/);
  });

  it('refuses to start on a schema with pending migrations, naming the command to run', async () => {
    const fresh = await createTestDatabase('pending');
    try {
      const r = spawnSync(process.execPath, [main('dev-bot')], {
        env: { ...env, DATABASE_URL: fresh.url, METRICS_PORT: '0' },
        encoding: 'utf8',
        timeout: 20_000,
      });
      expect(r.status).toBe(1);
      expect(r.stderr).toContain('pending migration');
    } finally {
      await fresh.drop();
    }
  });
});
