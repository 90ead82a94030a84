#!/usr/bin/env node
// `npm start`: the whole Juggernaut stack on this machine. Builds the services, brings up Postgres
// (embedded unless DATABASE_URL is set) and NATS (nats-server from PATH with a user per service,
// unless NATS_URL is set), applies migrations, starts every service as a child process with
// prefixed logs, and stops it all on Ctrl-C. Data and generated secrets live under ./.juggernaut/
// and are reused by the next start.
import { spawn, spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import { ensureNats, ensurePostgres } from './infra.mjs';
import {
  API_PORT,
  localAdminKey,
  mainOf,
  nodeOptionsOf,
  METRICS_PORT_BASE,
  migrateEnv,
  NATS_USERS,
  natsPasswordVar,
  root,
  serviceDatabaseUrl,
  SERVICES,
} from './services.mjs';

const COLORS = [36, 33, 35, 32, 34, 31, 96, 93];
const tty = process.stdout.isTTY;
const paint = (i, s) => (tty ? `\x1b[${COLORS[i % COLORS.length]}m${s}\x1b[0m` : s);
const log = (msg) => console.log(`${paint(7, '[stack]')} ${msg}`);

const runnerCount = Number(process.env.JUGGERNAUT_RUNNERS ?? 2);
if (!Number.isInteger(runnerCount) || runnerCount < 0 || runnerCount > 64) {
  console.error('JUGGERNAUT_RUNNERS must be an integer from 0 to 64');
  process.exit(1);
}

const children = [];
let stopping = false;
const infra = [];

async function main() {
  if (!process.env.JUGGERNAUT_SKIP_BUILD) {
    log('building services…');
    const b = spawnSync('npx', ['nx', 'run-many', '-t', 'build', '--parallel=2', '--output-style=static'], {
      cwd: root,
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false' },
    });
    if (b.status !== 0) throw new Error('build failed');
  }
  const pg = await ensurePostgres(log);
  infra.push(pg);
  const nats = await ensureNats(log);
  infra.push(nats);
  const admin = localAdminKey();

  // Every service gets only its own NATS password (below), never the others'.
  const shared = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !NATS_USERS.some((u) => k === natsPasswordVar(u))),
  );
  const baseEnv = {
    ...shared,
    DATABASE_URL: pg.url,
    NATS_URL: nats.url,
    JUGGERNAUT_ADMIN_KEY: admin.key,
    ...(tty && !process.env.LOG_FORMAT ? { LOG_FORMAT: 'pretty' } : {}),
  };

  for (const svc of SERVICES.filter((s) => s.schema)) {
    const r = spawnSync(process.execPath, [mainOf(svc.name), 'migrate'], {
      cwd: root,
      env: migrateEnv(baseEnv, pg.url, svc),
      encoding: 'utf8',
    });
    if (r.status !== 0) {
      const hint = /permission denied|must be superuser|CREATEROLE/i.test(r.stderr)
        ? ' (set JUGGERNAUT_DB_ROLES=off if this Postgres user may not create roles)'
        : '';
      throw new Error(`migrations of ${svc.name} failed: ${(r.stderr || r.stdout).trim()}${hint}`);
    }
    log(r.stdout.trim());
  }

  const instances = [];
  SERVICES.forEach((svc, i) => {
    if (svc.name === 'agent-runner') {
      for (let n = 0; n < runnerCount; n++) {
        // stateless: no database credentials at all
        instances.push({
          label: `agent-runner-${n}`,
          svc,
          color: i + n,
          env: {
            METRICS_PORT: String(METRICS_PORT_BASE + svc.metrics + n),
            HOSTNAME: `agent-runner-${n}`,
            DATABASE_URL: undefined,
            ...nats.credentials(svc.name),
          },
        });
      }
    } else {
      // each service runs as its own runtime role (migrate ran the DDL as the schema's owner role)
      instances.push({
        label: svc.name,
        svc,
        color: i,
        env: {
          ...(svc.name === 'governance-api' ? { HTTP_PORT: String(API_PORT) } : {}),
          METRICS_PORT: String(METRICS_PORT_BASE + svc.metrics),
          DATABASE_URL: serviceDatabaseUrl(pg.url, svc),
          ...nats.credentials(svc.name),
        },
      });
    }
  });
  for (const inst of instances) start(inst, baseEnv);

  const api = `http://localhost:${API_PORT}`;
  // Up means every service answers ready (its Postgres and NATS reachable), not only the API.
  await Promise.all(
    instances.map((inst) => waitReady(`http://127.0.0.1:${inst.env.METRICS_PORT}/health/ready`, 90_000)),
  );
  log(`Juggernaut is up with ${runnerCount} agent runner(s).`);
  log(`  API      ${api}/api/v1`);
  log(`  Swagger  ${api}/docs`);
  log(`  Metrics  http://127.0.0.1:${METRICS_PORT_BASE}/metrics … (one port per service, loopback only)`);
  log(
    `  Admin key ${admin.file ? `in ${admin.file}` : 'from JUGGERNAUT_ADMIN_KEY'} (send it as "Authorization: Bearer <key>")`,
  );
  log('Press Ctrl-C to stop.');
}

function start(inst, baseEnv) {
  const env = Object.fromEntries(Object.entries({ ...baseEnv, ...inst.env }).filter(([, v]) => v !== undefined));
  const child = spawn(process.execPath, [nodeOptionsOf(inst.svc.name), '--enable-source-maps', mainOf(inst.svc.name)], {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const prefix = paint(inst.color, `[${inst.label}]`.padEnd(22));
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream }).on('line', (line) => console.log(`${prefix} ${line}`));
  }
  child.on('exit', (code, signal) => {
    children.splice(children.indexOf(child), 1);
    if (!stopping) {
      log(`${inst.label} exited (${signal ?? code}); restarting in 2 s`);
      setTimeout(() => !stopping && start(inst, baseEnv), 2_000);
    }
  });
  children.push(child);
}

async function waitReady(url, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${url} did not become ready in ${timeoutMs / 1000} s`);
}

async function shutdown(code = 0) {
  if (stopping) return;
  stopping = true;
  log('stopping…');
  await Promise.all(
    children.map(
      (c) =>
        new Promise((resolve) => {
          if (c.exitCode !== null || c.signalCode !== null) return resolve();
          c.once('exit', resolve);
          c.kill('SIGTERM');
          setTimeout(() => c.kill('SIGKILL'), 30_000).unref();
        }),
    ),
  );
  for (const part of infra.reverse()) await part.stop().catch(() => {});
  log('stopped.');
  process.exit(code);
}

process.on('SIGINT', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));
main().catch((e) => {
  console.error(`[stack] ${e.message}`);
  void shutdown(1);
});
