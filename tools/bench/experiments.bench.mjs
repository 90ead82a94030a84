#!/usr/bin/env node
// Experiment tracker benchmark. The built experiment-tracker runs as its own process on a fresh
// database and NATS namespace. Figures (one JSON line each):
//   ingest   — exposures and conversions published to JetStream as fast as they are accepted (10% of
//              units exposed twice, 0.75% invalid: malformed, or naming a variant the experiment does
//              not have), timed from the first publish until every distinct unit and conversion is
//              counted; `exact` checks the counts and that every invalid message was dead-lettered.
//   ingest.drain — the same traffic for a second experiment published while the tracker is stopped,
//              timed from its restart until the backlog is accounted for (no publisher on the CPU).
//   assign   — assignment over NATS request/reply: sequential latency, and throughput at 64 in flight.
//   results  — results of the experiment holding all that traffic, with every statistic on (CUPED on
//              the exposures' covariate, post-stratification on four strata, percentile capping, a
//              ratio and a named mean metric, Benjamini–Hochberg, power): the first read after the
//              ingest (it scans every unit) and the p50 of the reads after it (the statistics are
//              kept while the experiment's data versions are unchanged); `exact` checks the units
//              and converted units the results count. Then reads after new data: before each, three
//              new units' exposures and two conversions are written (SQL, as another replica's
//              ingest would); the read brings the kept units up to date with those rows only.
//              `afterNewData.exact`: each such read counts the units and converted units in the
//              database, and the 10th and 20th equal, in every figure, a read that loads every unit
//              again (forced by raising the any-experiment data version).
//   evaluate — the rules run on demand over the same experiment (decision stored each time).
//   BENCH_EXPOSURES=50000  BENCH_ASSIGN=5000  (EXPERIMENTS_INGEST_* reach the tracker)
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import pg from 'pg';
import { printPeakMemory, sampleMemory, serviceArgs, trackMemory } from './bench-kit.mjs';

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
let startTracker;
async function stopTracker() {
  const child = tracker;
  if (child && child.exitCode === null && child.signalCode === null) {
    await new Promise((resolve) => {
      const kill = setTimeout(() => child.kill('SIGKILL'), 15_000);
      child.once('exit', () => {
        clearTimeout(kill);
        resolve();
      });
      child.kill('SIGTERM');
    });
  }
}
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
    // EXPERIMENTS_* variables set for the benchmark reach the service (to compare batch settings).
    ...Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('EXPERIMENTS_INGEST_'))),
  };
  await run([main, 'migrate'], env);
  startTracker = async () => {
    tracker = trackMemory(
      'experiment-tracker',
      spawn(
        process.execPath,
        [
          // BENCH_PROFILE=<dir> writes a CPU profile of each tracker process there.
          ...(process.env.BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE}`] : []),
          ...serviceArgs('experiment-tracker'),
        ],
        { env, stdio: ['ignore', 'ignore', 'inherit'] },
      ),
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
  };
  await startTracker();

  const createExperiment = async (name) => {
    const created = await rpc('juggernaut.experiment.create.v1', {
      name,
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
      // Every statistic on.
      analysis: { cuped: true, postStratify: true, correction: 'benjamini-hochberg' },
      metrics: [
        { key: 'revenue_per_unit', capping: { type: 'percentile', value: 0.99 } },
        {
          key: 'revenue_per_order',
          kind: 'ratio',
          numerator: 'revenue',
          denominator: 'orders',
          capping: { type: 'percentile', value: 0.99 },
        },
        { key: 'items', kind: 'mean', numerator: 'items' },
      ],
      power: { minimumDetectableEffect: 0.05, plannedUnitsPerVariant: 40_000 },
    });
    await rpc('juggernaut.experiment.start.v1', { id: created.id, by: 'bench' });
    return created.id;
  };
  // One experiment for the live ingest (and the results), one for the backlog drain.
  const id = await createExperiment('bench');
  const drainId = await createExperiment('bench-drain');

  // --- ingest ----------------------------------------------------------------------------------
  const js = jetstream(nc);
  const jsm = await jetstreamManager(nc);
  const now = new Date().toISOString();
  const variants = ['control', 'b', 'c'];
  /** An experiment's traffic: every unit exposed, a tenth twice, a fifth converting; invalid ones mixed in. */
  const traffic = (experimentId) => {
    const messages = [];
    let conversions = 0;
    let invalid = 0;
    for (let i = 0; i < EXPOSURES; i++) {
      const variantKey = variants[i % 10 < 5 ? 0 : i % 10 < 8 ? 1 : 2];
      const unitId = `u${i}`;
      const exposure = {
        experimentId,
        variantKey,
        unitId,
        occurredAt: now,
        covariate: (i * 7919) % 97,
        stratum: `s${i % 4}`,
      };
      messages.push(['juggernaut.experiment.exposure.v1', JSON.stringify(exposure)]);
      if (i % 5 === 0) {
        conversions++;
        const conversion = {
          experimentId,
          variantKey,
          unitId,
          occurredAt: now,
          valueMinor: 1000 + (i % 7) * 100 + (i % 997 === 0 ? 500_000 : 0),
          metrics: { items: 1 + (i % 5) },
        };
        messages.push(['juggernaut.experiment.conversion.v1', JSON.stringify(conversion)]);
      }
      if (i % 10 === 0) messages.push(['juggernaut.experiment.exposure.v1', JSON.stringify(exposure)]);
      // Invalid: a malformed payload (refused by validation), and a variant the experiment does not
      // have (refused by the batch that checks it, the others in its batch applied).
      if (i % 200 === 0) {
        invalid++;
        messages.push([
          'juggernaut.experiment.exposure.v1',
          JSON.stringify({ experimentId, variantKey, unitId: 7, occurredAt: 'never', stratum: `bad${i}` }),
        ]);
      }
      if (i % 400 === 100) {
        invalid++;
        messages.push([
          'juggernaut.experiment.conversion.v1',
          JSON.stringify({ experimentId, variantKey: 'nope', unitId, occurredAt: now }),
        ]);
      }
    }
    return { messages, conversions, invalid };
  };
  /** Publishes with a window of 2,000 unacknowledged messages; returns the seconds it took. */
  const publishAll = async (messages) => {
    const t0 = performance.now();
    let inflight = 0;
    let wake;
    let failure;
    const acked = () => {
      inflight--;
      const w = wake;
      wake = undefined;
      w?.();
    };
    for (const [subject, body] of messages) {
      inflight++;
      js.publish(wire(subject), body).then(acked, (e) => {
        failure = e;
        acked();
      });
      while (inflight >= 2_000) await new Promise((resolve) => (wake = resolve));
      if (failure) throw failure;
    }
    while (inflight > 0) await new Promise((resolve) => (wake = resolve));
    if (failure) throw failure;
    return (performance.now() - t0) / 1000;
  };
  const db = new pg.Client({ connectionString: dbUrl });
  await db.connect();
  const deadLetterStream = `${namespace}_JUGGERNAUT_DEADLETTER`;
  const deadLettered = async () =>
    (await jsm.streams.info(deadLetterStream).catch(() => ({ state: { messages: 0 } }))).state.messages;
  /** The dead letters of an experiment's messages: how many, and how many distinct messages they hold. */
  const deadLettersOf = async (experimentId) => {
    const name = `read_${randomBytes(4).toString('hex')}`;
    await jsm.consumers.add(deadLetterStream, {
      name,
      ack_policy: AckPolicy.None,
      deliver_policy: DeliverPolicy.All,
      inactive_threshold: 30_000_000_000,
    });
    const letters = [];
    try {
      const consumer = await js.consumers.get(deadLetterStream, name);
      const pending = (await consumer.info()).num_pending;
      while (letters.length < pending) {
        const batch = await consumer.fetch({ max_messages: Math.min(500, pending - letters.length), expires: 2_000 });
        let n = 0;
        for await (const m of batch) {
          letters.push(m.json());
          n++;
        }
        if (n === 0) break;
      }
    } finally {
      await jsm.consumers.delete(deadLetterStream, name).catch(() => undefined);
    }
    const mine = letters.filter((l) => l.data.includes(experimentId));
    return { letters: mine.length, distinct: new Set(mine.map((l) => l.data)).size };
  };
  const countRows = async (experimentId) =>
    (
      await db.query(
        `SELECT (SELECT count(*)::int FROM experiments.exposures WHERE experiment_id = $1) AS units,
                (SELECT count(*)::int FROM experiments.conversions WHERE experiment_id = $1) AS conversions`,
        [experimentId],
      )
    ).rows[0];
  /**
   * Waits until every distinct unit, conversion and invalid message of the traffic is accounted for.
   * Exact: every valid message counted once (the rows) and every invalid one dead-lettered (the
   * distinct dead letters of the experiment; a redelivered one may be dead-lettered twice, printed).
   */
  const settle = async (experimentId, t, deadBefore, t0) => {
    for (;;) {
      const counted = await countRows(experimentId);
      const dead = (await deadLettered()) - deadBefore;
      if (counted.units >= EXPOSURES && counted.conversions >= t.conversions && dead >= t.invalid) break;
      if (performance.now() - t0() > 600_000) break;
      await sleep(20);
    }
    const seconds = (performance.now() - t0()) / 1000;
    // Redeliveries after the count could only add rows the keys refuse: look once more.
    await sleep(500);
    const counted = await countRows(experimentId);
    const dead = await deadLettersOf(experimentId);
    const exact = counted.units === EXPOSURES && counted.conversions === t.conversions && dead.distinct === t.invalid;
    return { seconds, exact, counted, dead };
  };
  const figure = (name, t, seconds, extra, settled) =>
    out({
      figure: name,
      messages: t.messages.length,
      distinctUnits: EXPOSURES,
      conversions: t.conversions,
      invalid: t.invalid,
      messagesPerSecond: round(t.messages.length / seconds),
      ...extra,
      totalSeconds: round(seconds, 2),
      deadLetters: settled.dead.letters,
      exact: settled.exact,
      ...(settled.exact ? {} : { counted: settled.counted, distinctDeadLettered: settled.dead.distinct }),
    });

  // Live: the clock runs from the first publish until the last message is accounted for (the
  // publisher shares the machine with the tracker).
  const live = traffic(id);
  const liveStart = performance.now();
  const publishSeconds = await publishAll(live.messages);
  const liveSettled = await settle(id, live, 0, () => liveStart);
  figure('ingest', live, liveSettled.seconds, { publishSeconds: round(publishSeconds, 2) }, liveSettled);

  // Drain: the traffic is published while the tracker is stopped; the clock runs from the start of
  // the first batch it writes after its restart (its consumers start before it reports ready) until
  // the backlog is accounted for: what it applies without the publisher on the CPU.
  const backlog = traffic(drainId);
  const deadBefore = await deadLettered();
  await stopTracker();
  await publishAll(backlog.messages);
  const restarted = startTracker();
  // The first batch's transaction start (received_at), on the database's clock, is the clock's start.
  let drainStart;
  for (;;) {
    const { rows } = await db.query(
      `SELECT extract(epoch FROM clock_timestamp() - min(received_at))::float8 AS lag FROM (
         SELECT received_at FROM experiments.exposures WHERE experiment_id = $1
         UNION ALL SELECT received_at FROM experiments.conversions WHERE experiment_id = $1) r`,
      [drainId],
    );
    if (rows[0].lag !== null) {
      drainStart = performance.now() - rows[0].lag * 1000;
      break;
    }
    await sleep(10);
  }
  await restarted;
  const drainSettled = await settle(drainId, backlog, deadBefore, () => drainStart);
  figure('ingest.drain', backlog, drainSettled.seconds, {}, drainSettled);
  await db.end();

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
  // The assign figures above changed no analysed data: the first read here is the first since the
  // ingest, so it scans every unit; the reads after it find the data versions unchanged.
  const res = [];
  let last;
  for (let i = 0; i < 21; i++) {
    const t = performance.now();
    last = await rpc('juggernaut.experiment.results.v1', { id });
    res.push(performance.now() - t);
  }
  const [firstRead, ...reads] = res;
  const resultUnits = last.variants.reduce((s, v) => s + v.units, 0);
  const resultConversions = last.variants.reduce((s, v) => s + v.conversions, 0);
  const revenue = last.metrics.find((m) => m.key === 'revenue_per_unit');

  // Reads after new data, each checked against a read of every unit.
  const withoutClock = (r) => JSON.stringify({ ...r, computedAt: null });
  const fresh = new pg.Client({ connectionString: dbUrl });
  await fresh.connect();
  const afterNew = [];
  let afterNewExact = true;
  let extra = 0;
  for (let i = 0; i < 20; i++) {
    const newUnits = [0, 1, 2].map((k) => `n${i}-${k}`);
    await fresh.query(
      `INSERT INTO experiments.exposures (experiment_id, unit_id, variant_key, occurred_at, covariate, stratum)
       SELECT $1::uuid, u, (ARRAY['control', 'b', 'c'])[1 + k % 3], now(), k * 13 % 97, 's' || (k % 4)
       FROM unnest($2::text[]) WITH ORDINALITY AS t(u, k)`,
      [id, newUnits],
    );
    await fresh.query(
      `INSERT INTO experiments.conversions (experiment_id, conversion_id, unit_id, variant_key, value_minor, occurred_at, metrics)
       VALUES ($1, $2, $3, 'control', 1500, now(), '{"items": 2}'), ($1, $4, $5, 'b', 900, now(), '{"items": 1}')`,
      [id, `x${i}-0`, `u${i * 2 + 1}`, `x${i}-1`, newUnits[1]],
    );
    extra += 3;
    const t = performance.now();
    const incremental = await rpc('juggernaut.experiment.results.v1', { id });
    afterNew.push(performance.now() - t);
    const [counted] = (
      await fresh.query(
        `SELECT (SELECT count(*)::int FROM experiments.exposures WHERE experiment_id = $1) AS units,
                (SELECT count(DISTINCT c.unit_id)::int FROM experiments.conversions c JOIN experiments.exposures x
                   ON x.experiment_id = c.experiment_id AND x.unit_id = c.unit_id WHERE c.experiment_id = $1) AS converted`,
        [id],
      )
    ).rows;
    const units = incremental.variants.reduce((s, v) => s + v.units, 0);
    const converted = incremental.variants.reduce((s, v) => s + v.conversions, 0);
    if (units !== EXPOSURES + extra || units !== counted.units || converted !== counted.converted)
      afterNewExact = false;
    // After the 10th and the 20th: a read of every unit (forced by raising the any-experiment data
    // version) must equal the read brought up to date by the changes, in every figure. Only then:
    // a load of every unit leaves garbage that the next read's collection would be timed with.
    if (i % 10 === 9) {
      await fresh.query(
        `UPDATE experiments.data_versions SET version = version + 1 WHERE experiment_id = '00000000-0000-0000-0000-000000000000'`,
      );
      const every = await rpc('juggernaut.experiment.results.v1', { id });
      if (withoutClock(incremental) !== withoutClock(every)) afterNewExact = false;
    }
  }
  await fresh.end();
  out({
    figure: 'results',
    units: resultUnits,
    variants: 3,
    statistics: {
      cuped: revenue.cuped !== null,
      strata: revenue.stratification?.strata ?? 0,
      cap: revenue.capping?.cap ?? null,
      metrics: last.metrics.length,
      correction: last.correction,
      power: revenue.variants.some((v) => v.power !== null),
    },
    firstReadMs: round(firstRead, 1),
    p50Ms: round(pct(reads, 0.5), 1),
    maxMs: round(Math.max(...reads), 1),
    exact: resultUnits === EXPOSURES && resultConversions === live.conversions,
    afterNewData: {
      reads: afterNew.length,
      p50Ms: round(pct(afterNew, 0.5), 1),
      maxMs: round(Math.max(...afterNew), 1),
      exact: afterNewExact,
    },
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
  await stopTracker();
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
