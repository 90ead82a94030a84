#!/usr/bin/env node
// Experiment tracker benchmark. The built experiment-tracker runs as its own process on a fresh
// database and NATS namespace. Figures (one JSON line each):
//   ingest   — exposures and conversions published to JetStream as fast as they are accepted (10% of
//              them re-published duplicates, 0.5% invalid), timed until every distinct unit and
//              conversion is counted; `exact` checks the counts and that every invalid message was
//              dead-lettered.
//   assign   — assignment over NATS request/reply: sequential latency, and throughput at 64 in flight.
//   results  — GET-equivalent results (every statistic) of the experiment holding all that traffic.
//   evaluate — the rules run on demand over the same experiment (decision stored each time).
//   BENCH_EXPOSURES=50000  BENCH_ASSIGN=5000
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import pg from 'pg';
import { printPeakMemory, sampleMemory, trackMemory } from './bench-kit.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const ADMIN_URL = process.env.TEST_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const NATS_URL = process.env.TEST_NATS_URL ?? 'nats://127.0.0.1:4222';
const EXPOSURES = Number(process.env.BENCH_EXPOSURES ?? 50_000);
const ASSIGN = Number(process.env.BENCH_ASSIGN ?? 5_000);

const out = (o) => console.log(JSON.stringify({ bench: 'experiments', ...o }));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const round = (n, d = 0) => Math.round(n * 10 ** d) / 10 ** d;
const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))];
};

async function admin(sql) {
  const c = new pg.Client({ connectionString: ADMIN_URL });
  await c.connect();
  try {
    return await c.query(sql);
  } finally {
    await c.end();
  }
}

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
}

function run(args, env) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'ignore', 'inherit'] });
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${args.join(' ')} exited ${code}`))));
  });
}

const dbName = `jg_bench_exp_${randomBytes(3).toString('hex')}`;
const namespace = `bexp${randomBytes(4).toString('hex')}`;
const dbUrl = Object.assign(new URL(ADMIN_URL), { pathname: `/${dbName}` }).toString();
const main = join(root, 'dist/apps/experiment-tracker/main.js');
let tracker;
const nc = await connect({ servers: NATS_URL });
const wire = (s) => `${namespace}.${s}`;
async function rpc(subject, payload, timeout = 30_000) {
  const reply = (await nc.request(wire(subject), JSON.stringify(payload), { timeout })).json();
  if (!reply.ok) throw new Error(`${subject}: ${JSON.stringify(reply.error)}`);
  return reply.data;
}

try {
  await admin(`CREATE DATABASE ${dbName}`);
  const port = await freePort();
  const env = {
    PATH: process.env.PATH,
    DATABASE_URL: dbUrl,
    NATS_URL,
    NATS_NAMESPACE: namespace,
    METRICS_PORT: String(port),
    LOG_LEVEL: 'error',
    LOG_FORMAT: 'json',
    EXPERIMENTS_EVALUATE_INTERVAL_MS: '3600000',
  };
  await run([main, 'migrate'], env);
  tracker = trackMemory(
    'experiment-tracker',
    spawn(process.execPath, [main], { env, stdio: ['ignore', 'ignore', 'inherit'] }),
  );
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/health/ready`)).ok) break;
    } catch {
      /* not yet */
    }
    if (i > 200) throw new Error('experiment-tracker did not start');
    await sleep(100);
  }

  const created = await rpc('juggernaut.experiment.create.v1', {
    name: 'bench',
    hypothesis: 'throughput',
    primaryMetric: 'conversion',
    budgetMinor: 1_000_000,
    variants: [
      { key: 'control', weight: 50, control: true },
      { key: 'b', weight: 30 },
      { key: 'c', weight: 20 },
    ],
    guardrails: [{ metric: 'revenue_per_unit', maxRelativeDrop: 0.5 }],
    decisionRule: { minUnitsPerVariant: 1_000_000 },
  });
  const id = created.id;
  await rpc('juggernaut.experiment.start.v1', { id, by: 'bench' });
  const variants = [
    { key: 'control', weight: 50 },
    { key: 'b', weight: 30 },
    { key: 'c', weight: 20 },
  ];

  // --- ingest ----------------------------------------------------------------------------------
  const js = jetstream(nc);
  const now = new Date().toISOString();
  const messages = [];
  let conversions = 0;
  let invalid = 0;
  for (let i = 0; i < EXPOSURES; i++) {
    const variantKey = variants[i % 10 < 5 ? 0 : i % 10 < 8 ? 1 : 2].key;
    const unitId = `u${i}`;
    messages.push(['juggernaut.experiment.exposure.v1', { experimentId: id, variantKey, unitId, occurredAt: now }]);
    if (i % 5 === 0) {
      conversions++;
      messages.push([
        'juggernaut.experiment.conversion.v1',
        { experimentId: id, variantKey, unitId, occurredAt: now, valueMinor: 1000 + (i % 7) * 100 },
      ]);
    }
    if (i % 10 === 0)
      messages.push(['juggernaut.experiment.exposure.v1', { experimentId: id, variantKey, unitId, occurredAt: now }]);
    if (i % 200 === 0) {
      invalid++;
      messages.push([
        'juggernaut.experiment.exposure.v1',
        { experimentId: id, variantKey, unitId: 7, occurredAt: 'never' },
      ]);
    }
  }
  const started = performance.now();
  for (let i = 0; i < messages.length; i += 1_000) {
    await Promise.all(messages.slice(i, i + 1_000).map(([s, p]) => js.publish(wire(s), JSON.stringify(p))));
  }
  const published = performance.now();
  let counted;
  for (;;) {
    const db = new pg.Client({ connectionString: dbUrl });
    await db.connect();
    const { rows } = await db.query(
      `SELECT (SELECT count(*)::int FROM experiments.exposures WHERE experiment_id = $1) AS units,
              (SELECT count(*)::int FROM experiments.conversions WHERE experiment_id = $1) AS conversions`,
      [id],
    );
    await db.end();
    counted = rows[0];
    if (counted.units >= EXPOSURES && counted.conversions >= conversions) break;
    if (performance.now() - started > 600_000) break;
    await sleep(100);
  }
  const seconds = (performance.now() - started) / 1000;
  const jsm = await jetstreamManager(nc);
  let dead = 0;
  for (let i = 0; i < 50; i++) {
    dead = (await jsm.streams.info(`${namespace}_JUGGERNAUT_DEADLETTER`).catch(() => ({ state: { messages: 0 } })))
      .state.messages;
    if (dead >= invalid) break;
    await sleep(100);
  }
  out({
    figure: 'ingest',
    messages: messages.length,
    distinctUnits: EXPOSURES,
    conversions,
    invalid,
    messagesPerSecond: round(messages.length / seconds),
    publishSeconds: round((published - started) / 1000, 2),
    totalSeconds: round(seconds, 2),
    exact: counted.units === EXPOSURES && counted.conversions === conversions && dead === invalid,
  });

  // --- assign ----------------------------------------------------------------------------------
  const lat = [];
  for (let i = 0; i < ASSIGN; i++) {
    const t = performance.now();
    await rpc('juggernaut.experiment.assign.v1', { experimentId: id, unitId: `a${i}` });
    lat.push(performance.now() - t);
  }
  const t0 = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: 64 }, async () => {
      while (next < ASSIGN * 4) {
        const i = next++;
        await rpc('juggernaut.experiment.assign.v1', { experimentId: id, unitId: `p${i}` });
      }
    }),
  );
  out({
    figure: 'assign',
    sequential: ASSIGN,
    p50Ms: round(pct(lat, 0.5), 2),
    p99Ms: round(pct(lat, 0.99), 2),
    concurrent: ASSIGN * 4,
    inFlight: 64,
    perSecond: round((ASSIGN * 4) / ((performance.now() - t0) / 1000)),
  });

  // --- results and evaluate --------------------------------------------------------------------
  const res = [];
  let last;
  for (let i = 0; i < 20; i++) {
    const t = performance.now();
    last = await rpc('juggernaut.experiment.results.v1', { id });
    res.push(performance.now() - t);
  }
  out({
    figure: 'results',
    units: last.variants.reduce((s, v) => s + v.units, 0),
    variants: 3,
    p50Ms: round(pct(res, 0.5), 1),
    maxMs: round(Math.max(...res), 1),
  });
  const ev = [];
  for (let i = 0; i < 10; i++) {
    const t = performance.now();
    await rpc('juggernaut.experiment.evaluate.v1', { id });
    ev.push(performance.now() - t);
  }
  out({ figure: 'evaluate', p50Ms: round(pct(ev, 0.5), 1), maxMs: round(Math.max(...ev), 1) });
  printPeakMemory('experiments');
} finally {
  sampleMemory();
  if (tracker && tracker.exitCode === null) {
    await new Promise((resolve) => {
      tracker.once('exit', resolve);
      tracker.kill('SIGTERM');
      setTimeout(() => tracker.kill('SIGKILL'), 15_000).unref();
    });
  }
  const jsm = await jetstreamManager(nc);
  for await (const name of jsm.streams.names())
    if (name.startsWith(`${namespace}_`)) await jsm.streams.delete(name).catch(() => undefined);
  await nc.close();
  if (process.env.BENCH_KEEP) console.error(`kept database ${dbName}`);
  else {
    await admin(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${dbName}' AND pid <> pg_backend_pid()`,
    ).catch(() => undefined);
    await admin(`DROP DATABASE IF EXISTS ${dbName}`).catch(() => undefined);
  }
}
