// What every benchmark needs: throwaway databases on the local Postgres, NATS namespaces, free ports,
// polling and JSON output. Each benchmark script imports these instead of repeating them.
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import pg from 'pg';
import { mainOf, nodeOptionsOf } from '../stack/services.mjs';

export const ADMIN_URL = process.env.TEST_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const NATS_URL = process.env.TEST_NATS_URL ?? 'nats://127.0.0.1:4222';

/**
 * Node's arguments that start a built service as its image does (docker/Dockerfile): the Node.js options
 * of apps/service.node.env, which the build puts beside main.js, then main.js and `args`.
 */
export function serviceArgs(app, ...args) {
  return [nodeOptionsOf(app), mainOf(app), ...args];
}

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

/**
 * Where a part's CPU time goes: `cpuMeter()` snapshots the CPU seconds (user + system, from /proc) of
 * every Postgres and nats-server process on the machine, of each tracked service, of the child
 * processes named in `extra` (name → ChildProcess, e.g. a load generator) and of this process;
 * `stop()` returns the difference per component. Postgres and NATS are counted whole (their
 * background writers included), so the figures mean something only on an otherwise quiet machine,
 * which is how benchmarks are run. Linux only; elsewhere every figure is 0.
 */
const CLOCK_TICKS = 100;

function cpuTicks(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(f[11]) + Number(f[12]); // utime + stime, fields 14 and 15
  } catch {
    return undefined;
  }
}

function commOf(pid) {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return undefined;
  }
}

function cpuSnapshot(extra) {
  const ticks = new Map(); // "component\0pid" -> ticks
  let pids = [];
  try {
    pids = readdirSync('/proc').filter((p) => /^\d+$/.test(p));
  } catch {
    return ticks;
  }
  for (const pid of pids) {
    const comm = commOf(pid);
    const component = comm === 'postgres' ? 'postgres' : comm === 'nats-server' ? 'nats' : undefined;
    if (!component) continue;
    const t = cpuTicks(pid);
    if (t !== undefined) ticks.set(`${component}\0${pid}`, t);
  }
  for (const [pid, { name }] of tracked) {
    const t = cpuTicks(pid);
    if (t !== undefined) ticks.set(`${name}\0${pid}`, t);
  }
  for (const [name, child] of Object.entries(extra)) {
    const t = child.pid ? cpuTicks(child.pid) : undefined;
    if (t !== undefined) ticks.set(`${name}\0${child.pid}`, t);
  }
  const self = process.cpuUsage();
  ticks.set(`bench\0${process.pid}`, ((self.user + self.system) / 1e6) * CLOCK_TICKS);
  return ticks;
}

export function cpuMeter(extra = {}) {
  const before = cpuSnapshot(extra);
  // A process that exits during the part keeps the last reading this sampler took of it.
  const last = new Map(before);
  const timer = setInterval(() => {
    for (const [k, v] of cpuSnapshot(extra)) last.set(k, v);
  }, 250).unref();
  return {
    /** CPU seconds per component since the meter started (a process started meanwhile counts from 0). */
    stop() {
      clearInterval(timer);
      for (const [k, v] of cpuSnapshot(extra)) last.set(k, v);
      const seconds = {};
      for (const [k, v] of last) {
        const component = k.split('\0')[0];
        const spent = (v - (before.get(k) ?? 0)) / CLOCK_TICKS;
        seconds[component] = (seconds[component] ?? 0) + spent;
      }
      return Object.fromEntries(Object.entries(seconds).map(([k, v]) => [k, round(v, 1)]));
    },
  };
}
