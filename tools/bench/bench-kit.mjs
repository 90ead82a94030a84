// What every benchmark needs: throwaway databases on the local Postgres, NATS namespaces, free ports,
// polling and JSON output. Each benchmark script imports these instead of repeating them.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import pg from 'pg';

export const ADMIN_URL = process.env.TEST_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const NATS_URL = process.env.TEST_NATS_URL ?? 'nats://127.0.0.1:4222';

export const out = (o) => console.log(JSON.stringify(o));
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
export const round = (n, d = 2) => Math.round(n * 10 ** d) / 10 ** d;

export async function admin(sql) {
  const c = new pg.Client({ connectionString: ADMIN_URL });
  await c.connect();
  try {
    return await c.query(sql);
  } finally {
    await c.end();
  }
}

/** A new database on the admin server, with `drop()` to remove it (connections and all). */
export async function freshDatabase(label) {
  const name = `jg_bench_${label}_${randomBytes(3).toString('hex')}`;
  await admin(`CREATE DATABASE ${name}`);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      await admin(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${name}' AND pid <> pg_backend_pid()`,
      );
      await admin(`DROP DATABASE IF EXISTS ${name}`);
    },
  };
}

export function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
}

export async function waitUntil(check, timeoutMs, everyMs = 50) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await sleep(everyMs);
  }
  throw new Error('benchmark timed out');
}

/** Deletes every stream of a NATS namespace. */
export async function cleanupNamespace(ns) {
  const nc = await connect({ servers: NATS_URL });
  const jsm = await jetstreamManager(nc);
  for await (const s of jsm.streams.names()) if (s.startsWith(`${ns}_`)) await jsm.streams.delete(s);
  await nc.close();
}

/**
 * Peak resident memory of the services a benchmark starts. `trackMemory(name, child)` registers a
 * process; its /proc high-water mark (VmHWM: the most resident memory it ever held) is read every
 * 250 ms while it lives and once more by `sampleMemory()` (call it before stopping processes).
 * `printPeakMemory(bench)` prints one line per service name (the largest of its processes, over
 * every part of the run) and a last line against the 250 MB goal.
 */
export const MEMORY_LIMIT_MB = 250;
const tracked = new Map(); // pid -> { name, child }
const peakKb = new Map(); // service name -> { kb, processes }
let memoryTimer;

function readHwmKb(pid) {
  try {
    const m = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined; // gone, or no /proc (not Linux)
  }
}

export function sampleMemory() {
  for (const [pid, { name, child }] of tracked) {
    if (child.exitCode !== null || child.signalCode !== null) {
      tracked.delete(pid);
      continue;
    }
    const kb = readHwmKb(pid);
    if (kb === undefined) continue;
    const p = peakKb.get(name);
    if (kb > p.kb) p.kb = kb;
  }
}

export function trackMemory(name, child) {
  if (!child.pid) return child;
  tracked.set(child.pid, { name, child });
  const p = peakKb.get(name) ?? { kb: 0, processes: 0 };
  p.processes++;
  peakKb.set(name, p);
  memoryTimer ??= setInterval(sampleMemory, 250).unref();
  return child;
}

export function printPeakMemory(bench) {
  sampleMemory();
  let max = 0;
  for (const [service, p] of [...peakKb].sort(([a], [b]) => a.localeCompare(b))) {
    const mb = round(p.kb / 1024, 1);
    max = Math.max(max, mb);
    out({ bench: `${bench}.memory`, service, processes: p.processes, peakRssMb: mb });
  }
  if (peakKb.size)
    out({ bench: `${bench}.memory`, peakRssMb: max, limitMb: MEMORY_LIMIT_MB, withinLimit: max <= MEMORY_LIMIT_MB });
}
