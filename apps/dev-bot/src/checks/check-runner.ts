import { Logger } from '@nestjs/common';
import { redactString } from '@juggernaut/observability';
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface CheckCommand {
  name: string;
  /** Run with `sh -c` in the workspace. */
  command: string;
}

export interface CheckResult {
  name: string;
  command: string;
  /** null when the command was killed (time limit or abort). */
  exitCode: number | null;
  timedOut: boolean;
  durationMs: number;
  /** The tail of stdout and stderr interleaved, capped, with secrets redacted. */
  output: string;
  ok: boolean;
}

/** How the checks were isolated from the network. */
export type CheckNetwork = 'loopback-only' | 'unrestricted';

export interface CheckRun {
  ok: boolean;
  results: CheckResult[];
  network: CheckNetwork;
}

export interface CheckRunOptions {
  timeoutMs: number;
  outputLimitBytes?: number;
  signal?: AbortSignal;
}

const DEFAULT_OUTPUT_LIMIT = 64 * 1024;
/** Time a command gets between SIGTERM and SIGKILL once its limit has passed. */
const KILL_GRACE_MS = 2_000;
const logger = new Logger('CheckRunner');

/**
 * Runs a repository's check commands one after another in `dir`, stopping at the first failure.
 *
 * Each command sees only PATH, HOME (a fresh temporary directory), LANG and CI=true: never the service's
 * environment. Where the platform allows it, commands run in their own user, mount, network and PID
 * namespaces with only loopback up, so they can talk to servers they start themselves and nothing else,
 * `.git` is read-only, and the whole process tree dies with the command. Otherwise they run with the host's
 * network and a writable `.git`, and a warning is logged; the run says which.
 */
export async function runChecks(dir: string, commands: CheckCommand[], o: CheckRunOptions): Promise<CheckRun> {
  if (!Number.isFinite(o.timeoutMs) || o.timeoutMs <= 0) throw new Error('timeoutMs must be a positive number');
  for (const [i, c] of commands.entries()) {
    if (!c || typeof c.name !== 'string' || !c.name.trim()) throw new Error(`commands[${i}].name must be a non-empty string`);
    if (typeof c.command !== 'string' || !c.command.trim()) throw new Error(`commands[${i}].command must be a non-empty string`);
  }
  const st = await stat(dir).catch(() => null);
  if (!st?.isDirectory()) throw new Error(`dir "${dir}" is not a directory`);
  const sandbox = await detectSandbox();
  if (!sandbox) logger.warn('network namespaces are not available here: checks run with the host network');
  const results: CheckResult[] = [];
  for (const c of commands) {
    if (o.signal?.aborted) break;
    const r = await runOne(dir, c, o, sandbox);
    results.push(r);
    if (!r.ok) break;
  }
  return { ok: results.length === commands.length && results.every((r) => r.ok), results, network: sandbox ? 'loopback-only' : 'unrestricted' };
}

interface Sandbox {
  unshare: string;
  ip: string;
  mount: string;
}

let sandboxProbe: Promise<Sandbox | null> | undefined;

/**
 * The command line that runs `command` sandboxed. An outer user+mount namespace makes `.git` read-only (so
 * a check cannot plant hooks, filters or moved refs for the service's own git calls to pick up); the inner
 * user namespace locks that mount, and adds the network namespace with only loopback up and a PID namespace
 * whose end takes every process of the check with it.
 */
function sandboxed(sb: Sandbox, command: string): [string, string[]] {
  const outer = `if [ -d .git ]; then ${sb.mount} --bind .git .git && ${sb.mount} -o remount,bind,ro .git || exit 125; fi; exec ${sb.unshare} -rnpm --fork --kill-child sh -c "$2" check "$1"`;
  const inner = `${sb.ip} link set lo up && exec sh -c "$1"`;
  return [sb.unshare, ['-rm', 'sh', '-c', outer, 'check', command, inner]];
}

/** Whether the namespaces work here and loopback can be brought up inside them (probed once). */
export function detectSandbox(): Promise<Sandbox | null> {
  sandboxProbe ??= (async () => {
    const unshare = findBinary('unshare');
    const ip = findBinary('ip');
    const mount = findBinary('mount');
    if (!unshare || !ip || !mount) return null;
    const sb = { unshare, ip, mount };
    const dir = await mkdtemp(join(tmpdir(), 'jg-sandbox-probe-'));
    try {
      await mkdir(join(dir, '.git'));
      const [file, args] = sandboxed(sb, 'touch .git/probe 2>/dev/null && exit 3; exit 0');
      const ok = await new Promise<boolean>((resolve) => {
        execFile(file, args, { cwd: dir, timeout: 10_000, env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' } }, (err) => resolve(!err));
      });
      return ok ? sb : null;
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  })();
  return sandboxProbe;
}

function findBinary(name: string): string | null {
  for (const d of ['/usr/bin', '/bin', '/usr/sbin', '/sbin', '/usr/local/bin']) {
    const p = join(d, name);
    if (existsSync(p)) return p;
  }
  return null;
}

async function runOne(dir: string, c: CheckCommand, o: CheckRunOptions, sandbox: Sandbox | null): Promise<CheckResult> {
  const home = await mkdtemp(join(tmpdir(), 'jg-check-home-'));
  const env: NodeJS.ProcessEnv = {
    PATH: process.env['PATH'] ?? '/usr/local/bin:/usr/bin:/bin',
    HOME: home,
    LANG: process.env['LANG'] ?? 'C.UTF-8',
    CI: 'true',
  };
  const [file, args] = sandbox ? sandboxed(sandbox, c.command) : ['sh', ['-c', c.command]];
  const tail = new OutputTail(o.outputLimitBytes ?? DEFAULT_OUTPUT_LIMIT);
  const started = Date.now();
  let timedOut = false;
  let aborted = false;
  try {
    const exitCode = await new Promise<number | null>((resolve) => {
      const child = spawn(file, args, { cwd: dir, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
      const killGroup = (signal: NodeJS.Signals) => {
        if (child.pid === undefined) return;
        try {
          process.kill(-child.pid, signal);
        } catch {
          // the group is already gone
        }
      };
      let killTimer: NodeJS.Timeout | undefined;
      const stop = () => {
        killGroup('SIGTERM');
        killTimer ??= setTimeout(() => killGroup('SIGKILL'), KILL_GRACE_MS);
      };
      const limit = setTimeout(() => {
        timedOut = true;
        stop();
      }, o.timeoutMs);
      const onAbort = () => {
        aborted = true;
        stop();
      };
      o.signal?.addEventListener('abort', onAbort, { once: true });
      child.stdout.on('data', (b: Buffer) => tail.push(b));
      child.stderr.on('data', (b: Buffer) => tail.push(b));
      child.on('error', (err) => {
        tail.push(Buffer.from(`\n${err.message}\n`));
      });
      child.on('close', (code) => {
        clearTimeout(limit);
        if (killTimer) clearTimeout(killTimer);
        o.signal?.removeEventListener('abort', onAbort);
        // Anything the command left running in its group goes with it.
        killGroup('SIGKILL');
        resolve(timedOut || aborted ? null : code);
      });
    });
    let output = tail.text();
    if (timedOut) output += `\n[killed: time limit of ${o.timeoutMs} ms reached]`;
    if (aborted) output += '\n[killed: the run was cancelled]';
    return {
      name: c.name,
      command: c.command,
      exitCode,
      timedOut,
      durationMs: Date.now() - started,
      output: redactString(output),
      ok: exitCode === 0 && !timedOut && !aborted,
    };
  } finally {
    await rm(home, { recursive: true, force: true });
  }
}

/** Keeps the last `limit` bytes of a stream of chunks. */
class OutputTail {
  private chunks: Buffer[] = [];
  private size = 0;
  private dropped = 0;

  constructor(private readonly limit: number) {}

  push(b: Buffer): void {
    this.chunks.push(b);
    this.size += b.length;
    while (this.size > this.limit && this.chunks.length > 0) {
      const first = this.chunks[0]!;
      const excess = this.size - this.limit;
      if (first.length <= excess) {
        this.chunks.shift();
        this.size -= first.length;
        this.dropped += first.length;
      } else {
        this.chunks[0] = first.subarray(excess);
        this.size -= excess;
        this.dropped += excess;
      }
    }
  }

  text(): string {
    const body = Buffer.concat(this.chunks).toString('utf8');
    return this.dropped > 0 ? `[${this.dropped} earlier bytes omitted]\n${body}` : body;
  }
}
