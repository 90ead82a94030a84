import { redactString } from '@juggernaut/observability';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rm, stat } from 'node:fs/promises';
import { type CgroupLimit, createCheckCgroup } from './check-cgroup';
import {
  type CheckLimits,
  DEFAULT_CHECK_LIMITS,
  makeEtc,
  probeSandbox,
  sandboxArgs,
  type SandboxTools,
} from './sandbox';

export { CheckSandboxError, type CheckLimits, DEFAULT_CHECK_LIMITS } from './sandbox';

export interface CheckCommand {
  name: string;
  /** Run with `sh -c` in the workspace. */
  command: string;
}

export type CheckLimitName = 'time' | 'cpu' | 'memory' | 'processes';

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
  /** Limits the command ran into, as far as the kernel tells (also said at the end of the output). */
  limitsReached: CheckLimitName[];
}

/** How the checks were isolated from the network: always loopback only (there is no unsandboxed run). */
export type CheckNetwork = 'loopback-only';

/** The sandbox the checks ran in, and what holds each limit on this host. */
export interface CheckSandboxReport {
  isolation: 'bubblewrap';
  network: CheckNetwork;
  limits: CheckLimits & { timeoutMs: number };
  /**
   * The mechanisms that hold each limit here: `rlimit` per process (set inside the sandbox; the
   * process count is not applied by the kernel to a service running as root), `cgroup` for the whole
   * check (where this process may create one), `timer` for the wall clock.
   */
  enforcedBy: Record<CheckLimitName, Array<'timer' | 'rlimit' | 'cgroup'>>;
}

export interface CheckRun {
  ok: boolean;
  results: CheckResult[];
  network: CheckNetwork;
  sandbox: CheckSandboxReport;
}

export interface CheckRunOptions {
  timeoutMs: number;
  outputLimitBytes?: number;
  signal?: AbortSignal;
  limits?: Partial<CheckLimits>;
  /** The bubblewrap binary (DEVBOT_CHECK_BWRAP); the system's when unset. */
  bwrapPath?: string;
}

const DEFAULT_OUTPUT_LIMIT = 64 * 1024;
/** Time a command gets between SIGTERM and SIGKILL once its limit has passed. */
const KILL_GRACE_MS = 2_000;
/** What bwrap exits with when the command died of SIGXCPU (128 + 24): its CPU seconds ran out. */
const EXIT_SIGXCPU = 152;

/**
 * Runs a repository's check commands one after another in `dir`, stopping at the first failure.
 *
 * Each command runs in a bubblewrap sandbox (see sandboxArgs): it sees the clone, a private /tmp and
 * the toolchain, read-only, with a fresh /proc and only loopback; never the host's files, processes
 * or network, and never the service's environment. It is held to CPU, memory, process and time
 * limits. Where the sandbox cannot be made (no bwrap, user namespaces refused) nothing runs: this
 * throws CheckSandboxError with the reason, so an untrusted check never runs on the host.
 */
export async function runChecks(dir: string, commands: CheckCommand[], o: CheckRunOptions): Promise<CheckRun> {
  if (!Number.isFinite(o.timeoutMs) || o.timeoutMs <= 0) throw new Error('timeoutMs must be a positive number');
  for (const [i, c] of commands.entries()) {
    if (!c || typeof c.name !== 'string' || !c.name.trim())
      throw new Error(`commands[${i}].name must be a non-empty string`);
    if (typeof c.command !== 'string' || !c.command.trim())
      throw new Error(`commands[${i}].command must be a non-empty string`);
  }
  const limits = { ...DEFAULT_CHECK_LIMITS, ...o.limits };
  for (const [k, v] of Object.entries(limits))
    if (!Number.isFinite(v) || v <= 0) throw new Error(`limits.${k} must be a positive number`);
  const st = await stat(dir).catch(() => null);
  if (!st?.isDirectory()) throw new Error(`dir "${dir}" is not a directory`);
  const tools = await probeSandbox(o.bwrapPath);
  const results: CheckResult[] = [];
  const cgroupHolds = new Set<CgroupLimit>();
  for (const c of commands) {
    if (o.signal?.aborted) break;
    const r = await runOne(dir, c, o, tools, limits, cgroupHolds);
    results.push(r);
    if (!r.ok) break;
  }
  const by = (limit: CgroupLimit, rlimit: boolean) => [
    ...(rlimit ? ['rlimit' as const] : []),
    ...(cgroupHolds.has(limit) ? ['cgroup' as const] : []),
  ];
  const sandbox: CheckSandboxReport = {
    isolation: 'bubblewrap',
    network: 'loopback-only',
    limits: { ...limits, timeoutMs: o.timeoutMs },
    enforcedBy: {
      time: ['timer'],
      cpu: by('cpu', true),
      memory: by('memory', true),
      // RLIMIT_NPROC does not bind a process whose real user is root (here: the sandbox's user maps to it).
      processes: by('processes', process.getuid?.() !== 0),
    },
  };
  return {
    ok: results.length === commands.length && results.every((r) => r.ok),
    results,
    network: 'loopback-only',
    sandbox,
  };
}

async function runOne(
  dir: string,
  c: CheckCommand,
  o: CheckRunOptions,
  tools: SandboxTools,
  limits: CheckLimits,
  cgroupHolds: Set<CgroupLimit>,
): Promise<CheckResult> {
  const etc = await makeEtc();
  const cgroup = await createCheckCgroup(`jg-check-${randomBytes(6).toString('hex')}`, limits);
  for (const l of cgroup?.enforces ?? []) cgroupHolds.add(l);
  const lang = process.env['LANG'] ?? 'C.UTF-8';
  const bwrapArgs = sandboxArgs(tools, dir, etc, limits, c.command, lang);
  // With a cgroup, the first process joins it (every process of the check is then counted) and becomes bwrap.
  const [file, args] = cgroup
    ? [
        '/bin/sh',
        [
          '-c',
          'for f in "$@"; do [ "$f" = -- ] && break; echo $$ > "$f" || exit 125; shift; done; shift; exec "$@"',
          'cgroup',
          ...cgroup.procsFiles,
          '--',
          tools.bwrap,
          ...bwrapArgs,
        ],
      ]
    : [tools.bwrap, bwrapArgs];
  const tail = new OutputTail(o.outputLimitBytes ?? DEFAULT_OUTPUT_LIMIT);
  const started = Date.now();
  let timedOut = false;
  let aborted = false;
  try {
    const exitCode = await new Promise<number | null>((resolve) => {
      const child = spawn(file, args, { cwd: dir, env: {}, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
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
        // bwrap dies, and with it (--die-with-parent, its PID namespace) every process of the check.
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
        killGroup('SIGKILL');
        resolve(timedOut || aborted ? null : code);
      });
    });
    const reached = new Set<CheckLimitName>((await cgroup?.reached()) ?? []);
    if (timedOut) reached.add('time');
    if (exitCode === EXIT_SIGXCPU) reached.add('cpu');
    let output = tail.text();
    if (timedOut) output += `\n[killed: time limit of ${o.timeoutMs} ms reached]`;
    if (aborted) output += '\n[killed: the run was cancelled]';
    if (reached.has('cpu')) output += `\n[killed: CPU time limit of ${limits.cpuSeconds} s per process reached]`;
    if (reached.has('memory'))
      output += `\n[killed: memory limit of ${Math.round(limits.memoryBytes / 1024 / 1024)} MiB reached]`;
    if (reached.has('processes'))
      output += `\n[limit: process limit of ${limits.processes} reached; further processes were refused]`;
    return {
      name: c.name,
      command: c.command,
      exitCode,
      timedOut,
      durationMs: Date.now() - started,
      output: redactString(output),
      ok: exitCode === 0 && !timedOut && !aborted,
      limitsReached: [...reached],
    };
  } finally {
    await cgroup?.remove();
    await rm(etc, { recursive: true, force: true });
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
