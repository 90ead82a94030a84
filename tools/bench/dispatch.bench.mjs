#!/usr/bin/env node
// Dispatch benchmark: Juggernaut's task-dispatcher + agent-runner against graphile-worker, on the
// same local Postgres, in one run. Prints one JSON line per figure and the drain ratio last.
//   drain:  50,000 pre-inserted noop tasks, two runner processes, tasks/s (claim and completion committed)
//   pickup: 1,000 tasks submitted one at a time from this process, submit → handler start (p50/p99/max), and
//           the CPU seconds per 1,000 tasks per component at that trickle (one task at a time: nothing batched)
//   scale:  1, 2 and 4 runner processes on noop tasks sleeping 100 ms, tasks/s and efficiency against linear
//   backlog: the drain again with 100,000 pending tasks of another type in the table; drain rate and the
//           dispatcher's mean claim time, each as a ratio to an empty-table drain run right before it
//   rest:   REST batch submission through governance-api (POST /api/v1/tasks/batch, 1,000 tasks a request,
//           4 requests in flight), tasks/s accepted; exact when every task was answered created and is a row
//   every part: each service's peak resident memory (VmHWM), against the 250 MB goal
//   drain (both systems): CPU seconds per 1,000 tasks per component (Postgres, NATS, each service, this
//           process), where the two systems' work goes; meaningful on an otherwise quiet machine only
// Sizes can be lowered for a quick look: BENCH_DRAIN=5000 BENCH_PICKUP=200 npm run bench -- dispatch
// (BENCH_PICKUP_GAP=<ms> spaces the pickup submissions, 5 by default; BENCH_DEBUG=1 lists the slowest pickups.)
import { fork, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import {
  freePort,
  freshDatabase,
  NATS_URL,
  out,
  printPeakMemory,
  round,
  sampleMemory,
  serviceArgs,
  sleep,
  trackMemory,
  waitUntil,
  cpuMeter,
} from './bench-kit.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const DRAIN = Number(process.env.BENCH_DRAIN ?? 50_000);
const PICKUP = Number(process.env.BENCH_PICKUP ?? 1_000);
const RUNNER_CONCURRENCY = Number(process.env.BENCH_RUNNER_CONCURRENCY ?? 64);
const SCALE_CONCURRENCY = 25;
const BACKLOG = Number(process.env.BENCH_BACKLOG ?? 100_000);
const REST = Number(process.env.BENCH_REST ?? 50_000);
const REST_BATCH = 1_000;
const REST_IN_FLIGHT = 4;
const REST_GOAL = 5_000;

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];

const ports = new Map();
async function startService(app, env, nodeArgs = []) {
  const port = await freePort();
  const child = trackMemory(
    app,
    spawn(process.execPath, [...nodeArgs, ...serviceArgs(app)], {
      env: {
        PATH: process.env.PATH,
        LOG_LEVEL: 'error',
        LOG_FORMAT: 'json',
        ...env,
        METRICS_PORT: String(port),
        HTTP_PORT: '0',
        ...(env.HTTP_PORT ? { HTTP_PORT: env.HTTP_PORT } : {}),
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    }),
  );
  for (let i = 0; i < 200; i++) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/health/ready`)).ok) {
        ports.set(child, port);
        return child;
      }
    } catch {
      /* not yet */
    }
    await sleep(100);
  }
  throw new Error(`${app} did not start`);
}

const stop = (children) => {
  sampleMemory();
  return Promise.all(
    children.map(
      (c) =>
        new Promise((resolve) => {
          if (c.exitCode !== null) return resolve();
          c.once('exit', resolve);
          c.kill('SIGTERM');
          setTimeout(() => c.kill('SIGKILL'), 10_000).unref();
        }),
    ),
  );
};

/** A Juggernaut deployment in its own database and NATS namespace. */
async function juggernaut(label) {
  const db = await freshDatabase(label);
  const ns = `bench${randomBytes(4).toString('hex')}`;
  const env = { DATABASE_URL: db.url, NATS_URL, NATS_NAMESPACE: ns, DATABASE_POOL_SIZE: '8' };
  for (const app of ['governance-api', 'task-dispatcher']) {
    const m = spawnSync(process.execPath, [join(root, 'dist/apps', app, 'main.js'), 'migrate'], {
      env: { PATH: process.env.PATH, ...env },
      encoding: 'utf8',
    });
    if (m.status !== 0) throw new Error(m.stderr);
  }
  const sql = new pg.Client({ connectionString: db.url });
  await sql.connect();
  // The dispatcher and the runners hand out and run nothing until governance-api answers the policy.
  const adminKey = `bench-admin-${randomBytes(12).toString('hex')}`;
  const apiPort = await freePort();
  // BENCH_PROFILE=<dir> writes a CPU profile of each service process there (named after the service, numbered).
  let profiled = 0;
  const profile = (app) =>
    process.env.BENCH_PROFILE
      ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE}`, `--cpu-prof-name=${app}.${++profiled}.cpuprofile`]
      : [];
  const governance = await startService(
    'governance-api',
    { ...env, DATABASE_POOL_SIZE: '2', JUGGERNAUT_ADMIN_KEY: adminKey, HTTP_PORT: String(apiPort) },
    profile('governance-api'),
  );
  const children = [await startService('task-dispatcher', env, profile('task-dispatcher')), governance];
  const runners = async (n, concurrency) => {
    const started = await Promise.all(
      Array.from({ length: n }, (_, i) =>
        startService(
          'agent-runner',
          {
            ...env,
            HOSTNAME: `bench-${label}-${i}`,
            RUNNER_CONCURRENCY: String(concurrency),
            RUNNER_POLL_INTERVAL_MS: '1000',
            // BENCH_CLAIM_WAIT_MS=0: claims answered at once, runners woken by the wake signal (the earlier design)
            ...(process.env.BENCH_CLAIM_WAIT_MS ? { RUNNER_CLAIM_WAIT_MS: process.env.BENCH_CLAIM_WAIT_MS } : {}),
          },
          profile('agent-runner'),
        ),
      ),
    );
    children.push(...started);
    return started;
  };
  return {
    env,
    sql,
    ns,
    api: { url: `http://127.0.0.1:${apiPort}`, key: adminKey },
    runners,
    children,
    async close() {
      await stop(children);
      await sql.end();
      const nc = await connect({ servers: NATS_URL });
      const jsm = await jetstreamManager(nc);
      for await (const s of jsm.streams.names()) if (s.startsWith(`${ns}_`)) await jsm.streams.delete(s);
      await nc.close();
      if (!process.env.BENCH_KEEP_DB) await db.drop();
    },
  };
}

async function insertNoops(sql, n, payload = {}, type = 'noop') {
  await sql.query(
    `INSERT INTO dispatch.tasks (type, payload, status, run_at, sort_key)
     SELECT $3, $2::jsonb, 'pending', now(), now() + make_interval(secs => 5 * 60) FROM generate_series(1, $1)`,
    [n, JSON.stringify(payload), type],
  );
}

/** The dispatcher's mean time answering claims, in ms, from its /metrics. */
async function meanClaimMs(dispatcher) {
  const text = await (await fetch(`http://127.0.0.1:${ports.get(dispatcher)}/metrics`)).text();
  // Label order is the registry's: read the claim subject's line whatever comes around it.
  const value = (kind) =>
    Number(
      text
        .split('\n')
        .find(
          (l) =>
            l.startsWith(`juggernaut_request_handler_duration_seconds_${kind}{`) &&
            l.includes('subject="juggernaut.task.claim.v1"'),
        )
        ?.split(' ')
        .at(-1) ?? NaN,
    );
  return (value('sum') / value('count')) * 1000;
}

const succeeded = async (sql) =>
  (await sql.query(`SELECT count(*)::int AS n FROM dispatch.tasks WHERE status = 'succeeded'`)).rows[0].n;

/**
 * Whether no task of `type` is left to run or running, through the claim and running indexes. The
 * drains poll this instead of counting the succeeded rows, a scan of the whole table every 100 ms that
 * Postgres's CPU figure would charge to the system measured (and three times over with the backlog).
 */
const settled = async (sql, type) =>
  (
    await sql.query(
      `SELECT NOT EXISTS (SELECT 1 FROM dispatch.tasks WHERE type = $1 AND status IN ('pending', 'scheduled', 'failed'))
          AND NOT EXISTS (SELECT 1 FROM dispatch.tasks WHERE type = $1 AND status = 'running') AS done`,
      [type],
    )
  ).rows[0].done;

/** Drains DRAIN noop tasks with two runners; `backlog` pending tasks of another type sit in the table throughout. */
async function juggernautDrain(backlog = 0) {
  const j = await juggernaut(backlog ? 'backlog' : 'drain');
  try {
    if (backlog) await insertNoops(j.sql, backlog, {}, 'other-work');
    await insertNoops(j.sql, DRAIN);
    await j.sql.query('VACUUM ANALYZE dispatch.tasks');
    const t0 = performance.now();
    const cpu = cpuMeter();
    await j.runners(2, RUNNER_CONCURRENCY);
    await waitUntil(() => settled(j.sql, 'noop'), 600_000, 100);
    const secs = (performance.now() - t0) / 1000;
    const cpuSeconds = cpu.stop();
    const done = await succeeded(j.sql);
    if (done !== DRAIN) throw new Error(`not exact: ${done} of ${DRAIN} tasks succeeded`);
    if (process.env.BENCH_DEBUG) {
      const text = await (await fetch(`http://127.0.0.1:${ports.get(j.children[0])}/metrics`)).text();
      console.error(
        text
          .split('\n')
          .filter(
            (l) =>
              l.startsWith('juggernaut_request_handler_duration_seconds_sum') ||
              l.startsWith('juggernaut_request_handler_duration_seconds_count'),
          )
          .join('\n'),
      );
    }
    const left = (
      await j.sql.query(
        `SELECT count(*)::int AS n FROM dispatch.tasks WHERE type = 'other-work' AND status = 'pending'`,
      )
    ).rows[0].n;
    if (left !== backlog) throw new Error(`the other type's backlog changed: ${left} of ${backlog} left`);
    return { rate: DRAIN / secs, claimMs: await meanClaimMs(j.children[0]), cpuSeconds };
  } finally {
    await j.close();
  }
}

async function graphileDrain() {
  const db = await freshDatabase('gw');
  const sql = new pg.Client({ connectionString: db.url });
  await sql.connect();
  const { runMigrations } = await import('graphile-worker');
  await runMigrations({ connectionString: db.url, logger: undefined });
  const children = [];
  try {
    await sql.query(`SELECT graphile_worker.add_job('noop', '{}'::json) FROM generate_series(1, $1)`, [DRAIN]);
    const t0 = performance.now();
    const cpu = cpuMeter();
    for (let i = 0; i < 2; i++)
      children.push(
        trackMemory(
          'graphile-worker',
          fork(join(root, 'tools/bench/graphile-runner.mjs'), [], {
            env: { ...process.env, DATABASE_URL: db.url, CONCURRENCY: String(RUNNER_CONCURRENCY) },
            stdio: 'ignore',
          }),
        ),
      );
    // As cheap a poll as Juggernaut's (an index probe, not a count of the table): no job left.
    await waitUntil(
      async () => (await sql.query(`SELECT 1 FROM graphile_worker._private_jobs ORDER BY id LIMIT 1`)).rowCount === 0,
      600_000,
      100,
    );
    return { rate: DRAIN / ((performance.now() - t0) / 1000), cpuSeconds: cpu.stop() };
  } finally {
    await stop(children);
    await sql.end();
    await db.drop();
  }
}

async function juggernautPickup() {
  const j = await juggernaut('pickup');
  const nc = await connect({ servers: NATS_URL });
  try {
    await j.runners(2, 16);
    await sleep(500);
    const submitted = new Map();
    const cpu = cpuMeter();
    for (let i = 0; i < PICKUP; i++) {
      const t0 = Date.now();
      const r = (
        await nc.request(`${j.ns}.juggernaut.task.submit.v1`, JSON.stringify({ type: 'noop' }), { timeout: 5_000 })
      ).json();
      submitted.set(r.data.id, t0);
      await sleep(Number(process.env.BENCH_PICKUP_GAP ?? 5));
    }
    await waitUntil(async () => (await succeeded(j.sql)) === PICKUP, 60_000, 100);
    const cpuSeconds = cpu.stop();
    if (process.env.BENCH_DEBUG) {
      for (const child of j.children) {
        const text = await (await fetch(`http://127.0.0.1:${ports.get(child)}/metrics`)).text();
        console.error(
          text
            .split('\n')
            .filter((l) =>
              /juggernaut_request_handler_duration_seconds_(sum|count)|eventloop_lag_(max|p99)|gc_duration_seconds_(sum|count)/.test(
                l,
              ),
            )
            .join('\n'),
        );
      }
      const ev = await j.sql.query(
        `SELECT avg(extract(epoch FROM r.at - p.at) * 1000) AS create_to_claim_ms FROM dispatch.task_events p JOIN dispatch.task_events r ON r.task_id = p.task_id AND r.status = 'running' WHERE p.status = 'pending'`,
      );
      console.error(ev.rows);
    }
    const { rows } = await j.sql.query(`SELECT id, result->>'startedAt' AS started FROM dispatch.tasks`);
    if (process.env.BENCH_DEBUG) {
      const slow = rows
        .map((r) => ({ id: r.id, ms: Date.parse(r.started) - submitted.get(r.id) }))
        .sort((a, b) => b.ms - a.ms)
        .slice(0, 12);
      for (const s of slow) {
        const ev = await j.sql.query(
          `SELECT status, (extract(epoch FROM at) * 1000)::bigint AS at FROM dispatch.task_events WHERE task_id = $1 ORDER BY at`,
          [s.id],
        );
        const t0 = submitted.get(s.id);
        console.error(s.ms, ev.rows.map((e) => `${e.status}@${Number(e.at) - t0}`).join(' '));
      }
    }
    return {
      latencies: rows.map((r) => Math.max(0, Date.parse(r.started) - submitted.get(r.id))).sort((a, b) => a - b),
      cpuSeconds,
    };
  } finally {
    await nc.close();
    await j.close();
  }
}

async function graphilePickup() {
  const db = await freshDatabase('gwp');
  const sql = new pg.Client({ connectionString: db.url });
  await sql.connect();
  const { runMigrations } = await import('graphile-worker');
  await runMigrations({ connectionString: db.url });
  const latencies = [];
  const children = [];
  try {
    for (let i = 0; i < 2; i++) {
      const c = trackMemory(
        'graphile-worker',
        fork(join(root, 'tools/bench/graphile-runner.mjs'), [], {
          env: { ...process.env, DATABASE_URL: db.url, CONCURRENCY: '16' },
          stdio: 'ignore',
        }),
      );
      c.on('message', (m) => latencies.push(m.pickupMs));
      children.push(c);
    }
    await sleep(1500);
    const cpu = cpuMeter();
    for (let i = 0; i < PICKUP; i++) {
      await sql.query(`SELECT graphile_worker.add_job('noop', json_build_object('t0', $1::bigint))`, [Date.now()]);
      await sleep(Number(process.env.BENCH_PICKUP_GAP ?? 5));
    }
    await waitUntil(async () => latencies.length >= PICKUP, 60_000, 100);
    return { latencies: latencies.sort((a, b) => a - b), cpuSeconds: cpu.stop() };
  } finally {
    await stop(children);
    await sql.end();
    await db.drop();
  }
}

async function juggernautScale(runnerCount) {
  const j = await juggernaut(`scale${runnerCount}`);
  try {
    const tasks = runnerCount * SCALE_CONCURRENCY * 25;
    await j.runners(runnerCount, SCALE_CONCURRENCY);
    await sleep(500);
    await insertNoops(j.sql, tasks, { sleepMs: 100 });
    const t0 = performance.now();
    await j.sql.query(`NOTIFY dispatch_outbox`);
    await waitUntil(async () => (await succeeded(j.sql)) === tasks, 300_000, 50);
    return tasks / ((performance.now() - t0) / 1000);
  } finally {
    await j.close();
  }
}

/** REST batches of noop tasks through governance-api, REST_IN_FLIGHT requests at a time; tasks/s accepted and exactness. */
async function juggernautRest() {
  const j = await juggernaut('rest');
  try {
    const batches = Math.ceil(REST / REST_BATCH);
    const ids = new Set();
    let next = 0;
    let limited = 0;
    const send = async (b) => {
      const n = Math.min(REST_BATCH, REST - b * REST_BATCH);
      const tasks = Array.from({ length: n }, (_, i) => ({ type: 'noop', title: `rest ${b}.${i}` }));
      for (;;) {
        const res = await fetch(`${j.api.url}/api/v1/tasks/batch`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${j.api.key}` },
          body: JSON.stringify({ tasks }),
        });
        if (res.status === 429) {
          limited++;
          await sleep(Number(res.headers.get('retry-after') ?? 1) * 1000);
          continue;
        }
        if (res.status !== 201) throw new Error(`batch ${b}: ${res.status} ${await res.text()}`);
        const body = await res.json();
        for (const r of body.results) if (r.created) ids.add(r.id);
        return;
      }
    };
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: REST_IN_FLIGHT }, async () => {
        while (next < batches) await send(next++);
      }),
    );
    const secs = (performance.now() - t0) / 1000;
    // Durable: the answer came after the dispatcher's commit, so every answered task is a row now.
    const rows = (await j.sql.query(`SELECT count(*)::int AS n FROM dispatch.tasks WHERE type = 'noop'`)).rows[0].n;
    return { rate: REST / secs, secs, exact: ids.size === REST && rows === REST, rows, limited };
  } finally {
    await j.close();
  }
}

// BENCH_PARTS=drain,pickup,scale,backlog,rest,peer chooses parts (all by default; `peer` runs graphile-worker).
/** CPU seconds per 1,000 drained tasks, per component, with their total. */
const per1000 = (seconds, tasks = DRAIN) => {
  const each = Object.fromEntries(Object.entries(seconds).map(([k, v]) => [k, round((v * 1000) / tasks, 3)]));
  return { ...each, total: round(Object.values(seconds).reduce((a, b) => a + b, 0) * (1000 / tasks), 3) };
};
const parts = new Set((process.env.BENCH_PARTS ?? 'drain,pickup,scale,backlog,rest,peer').split(','));
let jDrain;
let gDrain;
if (parts.has('drain')) {
  const emptyDrain = await juggernautDrain();
  jDrain = emptyDrain.rate;
  out({
    bench: 'dispatch.drain',
    system: 'juggernaut',
    tasks: DRAIN,
    runners: 2,
    tasksPerSec: round(jDrain, 0),
    meanClaimMs: round(emptyDrain.claimMs, 2),
    cpuSecondsPer1000: per1000(emptyDrain.cpuSeconds),
  });
  if (parts.has('peer')) {
    const g = await graphileDrain();
    gDrain = g.rate;
    out({
      bench: 'dispatch.drain',
      system: 'graphile-worker',
      tasks: DRAIN,
      runners: 2,
      tasksPerSec: round(gDrain, 0),
      cpuSecondsPer1000: per1000(g.cpuSeconds),
    });
  }
}
if (parts.has('pickup')) {
  const { latencies: jp, cpuSeconds: jCpu } = await juggernautPickup();
  out({
    bench: 'dispatch.pickup',
    system: 'juggernaut',
    tasks: PICKUP,
    p50Ms: percentile(jp, 50),
    p99Ms: percentile(jp, 99),
    maxMs: jp.at(-1),
    cpuSecondsPer1000: per1000(jCpu, PICKUP),
  });
  if (parts.has('peer')) {
    const { latencies: gp, cpuSeconds: gCpu } = await graphilePickup();
    out({
      bench: 'dispatch.pickup',
      system: 'graphile-worker',
      tasks: PICKUP,
      p50Ms: percentile(gp, 50),
      p99Ms: percentile(gp, 99),
      maxMs: gp.at(-1),
      cpuSecondsPer1000: per1000(gCpu, PICKUP),
    });
  }
}
if (parts.has('scale')) {
  const base = await juggernautScale(1);
  out({
    bench: 'dispatch.scale',
    system: 'juggernaut',
    runners: 1,
    concurrencyPerRunner: SCALE_CONCURRENCY,
    tasksPerSec: round(base, 1),
    efficiency: 1,
  });
  for (const n of [2, 4]) {
    const rate = await juggernautScale(n);
    out({
      bench: 'dispatch.scale',
      system: 'juggernaut',
      runners: n,
      concurrencyPerRunner: SCALE_CONCURRENCY,
      tasksPerSec: round(rate, 1),
      efficiency: round(rate / (n * base), 3),
    });
  }
}
if (parts.has('backlog')) {
  // The empty-table reference is drained again right before, not taken from the drain part minutes
  // earlier: a VM's speed drifts over a whole run by more than the 10% this figure is held to.
  const empty = await juggernautDrain();
  const full = await juggernautDrain(BACKLOG);
  out({
    bench: 'dispatch.backlog',
    system: 'juggernaut',
    tasks: DRAIN,
    otherTypePending: BACKLOG,
    emptyTableTasksPerSec: round(empty.rate, 0),
    tasksPerSec: round(full.rate, 0),
    meanClaimMs: round(full.claimMs, 2),
    drainRatio: round(full.rate / empty.rate, 3),
    claimTimeRatio: round(full.claimMs / empty.claimMs, 3),
  });
}
if (parts.has('rest')) {
  const r = await juggernautRest();
  out({
    bench: 'dispatch.rest-batch',
    system: 'juggernaut',
    tasks: REST,
    tasksPerRequest: REST_BATCH,
    inFlight: REST_IN_FLIGHT,
    seconds: round(r.secs, 2),
    rateLimited: r.limited,
    exact: r.exact,
    tasksPerSec: round(r.rate, 0),
    goalMet: r.exact && r.rate >= REST_GOAL,
  });
  if (!r.exact) process.exitCode = 1;
}
printPeakMemory('dispatch');
if (jDrain && gDrain) out({ bench: 'dispatch.drain', ratio: round(jDrain / gDrain, 3) });
