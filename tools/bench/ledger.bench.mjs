#!/usr/bin/env node
// Ledger ingestion benchmark. The built revenue-ledger runs as its own process on a fresh database and
// NATS namespace; a separate publisher process sends revenue and cost events to JetStream as fast as
// they are accepted (10% re-published duplicates, 1% invalid). The clock runs from the first publish
// until every valid event is posted and every invalid one dead-lettered. `exact` means: each valid
// event posted once (count), revenue and cost sums per currency exact, kept balances equal to their
// postings, every invalid message dead-lettered, and every posting announced on ledger.posted.
// The same events are then applied by a minimal peer (one INSERT ... ON CONFLICT per event, each in
// its own transaction) for a ratio. Prints one JSON line per figure, each ending with its rate (eventsPerSec); the last
// one checks the goal (exact, at least 10,000 events/s and 4x the peer in the same run) and ends with the ratio.
// Each system's line carries cpuSeconds: CPU seconds per component (Postgres, NATS, the service or consumer, the
// publisher, the bench) over the measured span; meaningful on an otherwise quiet machine only.
//   BENCH_LEDGER_EVENTS=100000 (messages published, duplicates and invalid included)  BENCH_PARTS=juggernaut,peer (add backlog: drain rate of events published while the ledger was stopped)
import { fork, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { jetstreamManager, RetentionPolicy, StorageType } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import pg from 'pg';
import {
  cleanupNamespace,
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

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const EVENTS = Number(process.env.BENCH_LEDGER_EVENTS ?? 100_000);
const parts = new Set((process.env.BENCH_PARTS ?? 'juggernaut,peer').split(','));

async function startLedger(env) {
  const port = await freePort();
  // BENCH_PROFILE=<dir> writes a CPU profile of the ledger there.
  const profile = process.env.BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE}`] : [];
  const child = spawn(process.execPath, [...profile, ...serviceArgs('revenue-ledger')], {
    env: { PATH: process.env.PATH, LOG_LEVEL: 'error', LOG_FORMAT: 'json', ...env, METRICS_PORT: String(port) },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  trackMemory('revenue-ledger', child);
  for (let i = 0; i < 200; i++) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/health/ready`)).ok) return Object.assign(child, { port });
    } catch {
      /* not yet */
    }
    await sleep(100);
  }
  throw new Error('revenue-ledger did not start');
}

function stop(child) {
  sampleMemory();
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', resolve);
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 15_000).unref();
  });
}

/** Starts the publisher process with its events generated, and returns a function that starts publishing. */
async function publisher(ns) {
  const child = fork(join(here, 'ledger-publisher.mjs'), [], {
    env: { ...process.env, NATS_URL, NATS_NAMESPACE: ns, EVENTS: String(EVENTS) },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  await new Promise((resolve) => child.on('message', (m) => m.ready && resolve()));
  const done = new Promise((resolve) => child.on('message', (m) => m.done && resolve(m.expected)));
  return { go: () => child.send('go'), done, child };
}

async function streamMessages(jsm, stream) {
  try {
    return (await jsm.streams.info(stream)).state.messages;
  } catch {
    return 0;
  }
}

/**
 * `backlog` measures draining: the events are published while the ledger is stopped, and the clock
 * starts when it is ready again (what it can apply, without the publisher competing for the CPU).
 */
async function benchJuggernaut(backlog = false) {
  const db = await freshDatabase('ledger');
  const ns = `bench${randomBytes(4).toString('hex')}`;
  // LEDGER_* variables set for the benchmark reach the service (to compare batch settings).
  const tuning = Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('LEDGER_')));
  const env = { DATABASE_URL: db.url, NATS_URL, NATS_NAMESPACE: ns, DATABASE_POOL_SIZE: '8', ...tuning };
  const m = spawnSync(process.execPath, [join(root, 'dist/apps/revenue-ledger/main.js'), 'migrate'], {
    env: { PATH: process.env.PATH, ...env },
    encoding: 'utf8',
  });
  if (m.status !== 0) throw new Error(m.stderr || m.stdout);
  let ledger = await startLedger(env);
  const sql = new pg.Client({ connectionString: db.url });
  await sql.connect();
  const nc = await connect({ servers: NATS_URL });
  const jsm = await jetstreamManager(nc);
  try {
    const pub = await publisher(ns);
    let t0 = performance.now();
    let cpu = cpuMeter({ publisher: pub.child });
    if (backlog) await stop(ledger);
    pub.go();
    const expected = await pub.done;
    if (backlog) {
      ledger = await startLedger(env);
      t0 = performance.now();
      cpu = cpuMeter();
    }
    const posted = async () => Number((await sql.query(`SELECT count(*) AS n FROM ledger.transactions`)).rows[0].n);
    await waitUntil(
      async () =>
        (await posted()) >= expected.unique &&
        (await streamMessages(jsm, `${ns}_JUGGERNAUT_DEADLETTER`)) >= expected.invalid,
      900_000,
      100,
    );
    const seconds = (performance.now() - t0) / 1000;
    const cpuSeconds = cpu.stop();
    if (process.env.BENCH_DEBUG) {
      const text = await (await fetch(`http://127.0.0.1:${ledger.port}/metrics`)).text();
      console.error(
        text
          .split('\n')
          .filter((l) => /^juggernaut_ledger_batch_(size|duration_seconds)_(sum|count)/.test(l))
          .join('\n'),
      );
    }
    // Give late duplicates (already counted) a moment to be acknowledged, then check everything.
    await waitUntil(async () => {
      const infos = await Promise.all(
        ['revenue-ledger-revenue', 'revenue-ledger-cost'].map((d) =>
          jsm.consumers.info(`${ns}_JUGGERNAUT_INBOUND`, `${ns}_${d}`),
        ),
      );
      return infos.every((i) => i.num_pending === 0 && i.num_ack_pending === 0);
    }, 120_000);
    await waitUntil(async () => (await streamMessages(jsm, `${ns}_JUGGERNAUT_EVENTS`)) >= expected.unique, 120_000);
    const sums = (
      await sql.query(
        `SELECT a.type, p.currency, sum(p.amount_minor)::text AS total FROM ledger.postings p JOIN ledger.accounts a ON a.id = p.account_id
       WHERE a.type IN ('revenue', 'expense') GROUP BY 1, 2`,
      )
    ).rows;
    const sumOf = (type, currency) =>
      -(type === 'revenue' ? 1 : -1) * Number(sums.find((s) => s.type === type && s.currency === currency)?.total ?? 0);
    const drift = (
      await sql.query(
        `SELECT count(*)::int AS n FROM ledger.balances b
       LEFT JOIN (SELECT account_id, currency, sum(amount_minor) AS total FROM ledger.postings GROUP BY 1, 2) s USING (account_id, currency)
       WHERE b.balance_minor <> coalesce(s.total, 0)`,
      )
    ).rows[0].n;
    const checks = {
      count: (await posted()) === expected.unique,
      revenue: Object.entries(expected.revenue).every(([c, v]) => sumOf('revenue', c) === v),
      cost: Object.entries(expected.cost).every(([c, v]) => sumOf('expense', c) === v),
      balances: drift === 0,
      deadLettered: (await streamMessages(jsm, `${ns}_JUGGERNAUT_DEADLETTER`)) === expected.invalid,
      announced: (await streamMessages(jsm, `${ns}_JUGGERNAUT_EVENTS`)) === expected.unique,
    };
    const exact = Object.values(checks).every(Boolean);
    return {
      result: {
        bench: backlog ? 'ledger.drain' : 'ledger.ingest',
        system: 'juggernaut',
        events: expected.published,
        unique: expected.unique,
        duplicates: expected.duplicates,
        invalid: expected.invalid,
        seconds: round(seconds, 2),
        publishedPerSec: round(expected.published / expected.publishSeconds, 0),
        ...(exact ? {} : { checks }),
        cpuSeconds,
        exact,
        eventsPerSec: round(expected.published / seconds, 0),
      },
    };
  } finally {
    await stop(ledger);
    await sql.end();
    await nc.close();
    await cleanupNamespace(ns);
    await db.drop();
  }
}

async function benchPeer() {
  const db = await freshDatabase('naive');
  const ns = `bench${randomBytes(4).toString('hex')}`;
  const nc = await connect({ servers: NATS_URL });
  const jsm = await jetstreamManager(nc);
  const sql = new pg.Client({ connectionString: db.url });
  await sql.connect();
  let consumer;
  try {
    await jsm.streams.add({
      name: `${ns}_JUGGERNAUT_INBOUND`,
      subjects: [`${ns}.juggernaut.revenue.recorded.v1`, `${ns}.juggernaut.cost.recorded.v1`],
      retention: RetentionPolicy.Limits,
      storage: StorageType.File,
    });
    consumer = fork(join(here, 'ledger-naive-consumer.mjs'), [], {
      env: { ...process.env, DATABASE_URL: db.url, NATS_URL, NATS_NAMESPACE: ns },
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    await new Promise((resolve) => consumer.on('message', (m) => m.ready && resolve()));
    const pub = await publisher(ns);
    const t0 = performance.now();
    const cpu = cpuMeter({ publisher: pub.child, 'naive-consumer': consumer });
    pub.go();
    const expected = await pub.done;
    const count = async (table) => Number((await sql.query(`SELECT count(*) AS n FROM ${table}`)).rows[0].n);
    await waitUntil(
      async () =>
        (await count('naive_events')) >= expected.unique && (await count('naive_dead_letters')) >= expected.invalid,
      1_800_000,
    );
    const seconds = (performance.now() - t0) / 1000;
    const cpuSeconds = cpu.stop();
    const sums = (
      await sql.query(`SELECT kind, currency, sum(amount_minor)::text AS total FROM naive_events GROUP BY 1, 2`)
    ).rows;
    const sumOf = (kind, currency) => Number(sums.find((s) => s.kind === kind && s.currency === currency)?.total ?? 0);
    const exact =
      (await count('naive_events')) === expected.unique &&
      (await count('naive_dead_letters')) === expected.invalid &&
      Object.entries(expected.revenue).every(([c, v]) => sumOf('revenue', c) === v) &&
      Object.entries(expected.cost).every(([c, v]) => sumOf('cost', c) === v);
    return {
      result: {
        bench: 'ledger.ingest',
        system: 'naive-consumer',
        events: expected.published,
        seconds: round(seconds, 2),
        cpuSeconds,
        exact,
        eventsPerSec: round(expected.published / seconds, 0),
      },
    };
  } finally {
    if (consumer) await stop(consumer);
    await sql.end();
    await nc.close();
    await cleanupNamespace(ns);
    await db.drop();
  }
}

let juggernaut;
let peer;
if (parts.has('juggernaut')) {
  juggernaut = (await benchJuggernaut()).result;
  out(juggernaut);
}
if (parts.has('backlog')) out((await benchJuggernaut(true)).result);
if (parts.has('peer')) {
  peer = (await benchPeer()).result;
  out(peer);
}
// The goal (issue 17): at least GOAL_RATE events/s, exact, and GOAL_RATIO times the naive consumer's rate in the
// same run. An inexact run of either system fails the goal however fast it was.
const GOAL_RATE = 10_000;
const GOAL_RATIO = 4;
if (juggernaut && peer) {
  const ratio = round(juggernaut.eventsPerSec / peer.eventsPerSec, 2);
  const exact = juggernaut.exact && peer.exact;
  out({
    bench: 'ledger.ingest',
    exact,
    goalEventsPerSec: GOAL_RATE,
    goalRatio: GOAL_RATIO,
    goalMet: exact && juggernaut.eventsPerSec >= GOAL_RATE && ratio >= GOAL_RATIO,
    eventsPerSec: juggernaut.eventsPerSec,
    ratio,
  });
}
printPeakMemory('ledger');
