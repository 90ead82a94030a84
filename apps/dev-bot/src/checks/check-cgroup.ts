import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readFile, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** What a check's cgroup limits; each is applied only where this process may write the controller. */
export interface CgroupLimits {
  memoryBytes: number;
  processes: number;
  cpus: number;
}

export type CgroupLimit = 'memory' | 'processes' | 'cpu';

/**
 * A cgroup of its own for one check run (cgroup v1 controllers, or v2 where this process's cgroup
 * delegates them). Its `cgroup.procs` files take the sandbox's first process before it starts the
 * command, so everything the check starts is counted. Where the cgroup filesystem is read-only (a
 * Kubernetes pod, a non-root user without delegation) there is none, and the rlimits set inside the
 * sandbox are what holds.
 */
export interface CheckCgroup {
  /** The limits this cgroup enforces. */
  readonly enforces: CgroupLimit[];
  /** Files the sandbox's first process writes its pid into. */
  readonly procsFiles: string[];
  /** Limits the processes ran into: the kernel's own counters (an OOM kill, a refused fork). */
  reached(): Promise<Array<'memory' | 'processes'>>;
  /** Kills anything left in it and removes it. */
  remove(): Promise<void>;
}

interface Mount {
  version: 1 | 2;
  /** Controllers of a v1 hierarchy; empty for v2. */
  controllers: string[];
  root: string;
  point: string;
}

function mounts(): Mount[] {
  const out: Mount[] = [];
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const [left, right] = line.split(' - ');
    if (!left || !right) continue;
    const f = left.split(' ');
    const [fstype, , options] = right.split(' ');
    if (fstype === 'cgroup2') out.push({ version: 2, controllers: [], root: f[3]!, point: f[4]! });
    else if (fstype === 'cgroup')
      out.push({ version: 1, controllers: (options ?? '').split(','), root: f[3]!, point: f[4]! });
  }
  return out;
}

/** This process's cgroup path per v1 controller, and its v2 path under the key ''. */
function ownCgroups(): Map<string, string> {
  const own = new Map<string, string>();
  for (const line of readFileSync('/proc/self/cgroup', 'utf8').split('\n')) {
    const m = /^\d+:([^:]*):(.*)$/.exec(line);
    if (!m) continue;
    if (m[1] === '') own.set('', m[2]!);
    else for (const c of m[1]!.split(',')) own.set(c, m[2]!);
  }
  return own;
}

function dirOf(mount: Mount, path: string): string {
  const rel = mount.root !== '/' && path.startsWith(mount.root) ? path.slice(mount.root.length) : path;
  return join(mount.point, rel);
}

async function tryMkdir(dir: string): Promise<boolean> {
  try {
    await mkdir(dir);
    return true;
  } catch {
    return false;
  }
}

/** A fresh cgroup named `name` with the limits this process can set, or null when it can set none. */
export async function createCheckCgroup(name: string, limits: CgroupLimits): Promise<CheckCgroup | null> {
  let all: Mount[];
  let own: Map<string, string>;
  try {
    all = mounts();
    own = ownCgroups();
  } catch {
    return null;
  }
  const v1 = (controller: string) => all.find((m) => m.version === 1 && m.controllers.includes(controller));
  const made: string[] = [];
  const enforces: CgroupLimit[] = [];
  const counters: Array<() => Promise<Array<'memory' | 'processes'>>> = [];
  const setV1 = async (controller: string, file: string, value: string): Promise<string | null> => {
    const mount = v1(controller);
    const path = own.get(controller);
    if (!mount || path === undefined) return null;
    const dir = join(dirOf(mount, path), name);
    if (!(await tryMkdir(dir))) return null;
    made.push(dir);
    try {
      await writeFile(join(dir, file), value);
      return dir;
    } catch {
      return null;
    }
  };
  try {
    const v2 = all.find((m) => m.version === 2);
    const v2Path = own.get('');
    const v2Parent = v2 && v2Path !== undefined ? dirOf(v2, v2Path) : null;
    const delegated =
      v2Parent && existsSync(join(v2Parent, 'cgroup.subtree_control'))
        ? (await readFile(join(v2Parent, 'cgroup.subtree_control'), 'utf8').catch(() => '')).split(/\s+/)
        : [];
    if (
      v2Parent &&
      delegated.includes('pids') &&
      delegated.includes('memory') &&
      (await tryMkdir(join(v2Parent, name)))
    ) {
      const dir = join(v2Parent, name);
      made.push(dir);
      await writeFile(join(dir, 'pids.max'), String(limits.processes));
      await writeFile(join(dir, 'memory.max'), String(limits.memoryBytes));
      await writeFile(join(dir, 'memory.swap.max'), '0').catch(() => undefined);
      enforces.push('memory', 'processes');
      if (delegated.includes('cpu')) {
        await writeFile(join(dir, 'cpu.max'), `${Math.round(limits.cpus * 100_000)} 100000`);
        enforces.push('cpu');
      }
      counters.push(async () => {
        const hits: Array<'memory' | 'processes'> = [];
        if (eventCount(await readFile(join(dir, 'memory.events'), 'utf8').catch(() => ''), 'oom_kill') > 0)
          hits.push('memory');
        if (eventCount(await readFile(join(dir, 'pids.events'), 'utf8').catch(() => ''), 'max') > 0)
          hits.push('processes');
        return hits;
      });
      return cgroupOf(enforces, [join(dir, 'cgroup.procs')], made, counters, 2);
    }
    const pids = await setV1('pids', 'pids.max', String(limits.processes));
    if (pids) {
      enforces.push('processes');
      counters.push(async () =>
        eventCount(await readFile(join(pids, 'pids.events'), 'utf8').catch(() => ''), 'max') > 0 ? ['processes'] : [],
      );
    }
    const memory = await setV1('memory', 'memory.limit_in_bytes', String(limits.memoryBytes));
    if (memory) {
      // Swap would let a check go past the limit; where the kernel keeps no swap account this file is absent.
      await writeFile(join(memory, 'memory.memsw.limit_in_bytes'), String(limits.memoryBytes)).catch(() => undefined);
      enforces.push('memory');
      counters.push(async () =>
        eventCount(await readFile(join(memory, 'memory.oom_control'), 'utf8').catch(() => ''), 'oom_kill') > 0
          ? ['memory']
          : [],
      );
    }
    const cpu = await setV1('cpu', 'cpu.cfs_period_us', '100000');
    if (cpu) {
      try {
        await writeFile(join(cpu, 'cpu.cfs_quota_us'), String(Math.round(limits.cpus * 100_000)));
        enforces.push('cpu');
      } catch {
        // the quota could not be set: the rlimit on CPU seconds still holds
      }
    }
    const procsFiles = [pids, memory, enforces.includes('cpu') ? cpu : null]
      .filter((d): d is string => !!d)
      .map((d) => join(d, 'cgroup.procs'));
    if (procsFiles.length === 0) {
      await removeDirs(made);
      return null;
    }
    return cgroupOf(enforces, procsFiles, made, counters, 1);
  } catch {
    await removeDirs(made);
    return null;
  }
}

function cgroupOf(
  enforces: CgroupLimit[],
  procsFiles: string[],
  made: string[],
  counters: Array<() => Promise<Array<'memory' | 'processes'>>>,
  version: 1 | 2,
): CheckCgroup {
  return {
    enforces,
    procsFiles,
    reached: async () => [...new Set((await Promise.all(counters.map((c) => c()))).flat())],
    remove: async () => {
      for (const dir of made) {
        if (version === 2) await writeFile(join(dir, 'cgroup.kill'), '1').catch(() => undefined);
        else {
          const pids = (await readFile(join(dir, 'cgroup.procs'), 'utf8').catch(() => ''))
            .split('\n')
            .filter(Boolean)
            .map(Number);
          for (const pid of pids) {
            try {
              process.kill(pid, 'SIGKILL');
            } catch {
              // already gone
            }
          }
        }
      }
      await removeDirs(made);
    },
  };
}

/** Removes cgroup directories, retrying while the last processes in them finish exiting. */
async function removeDirs(dirs: string[]): Promise<void> {
  for (const dir of [...dirs].reverse()) {
    for (let i = 0; i < 50; i++) {
      try {
        await rmdir(dir);
        break;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') break;
        await new Promise((r) => setTimeout(r, 20));
      }
    }
  }
}

function eventCount(text: string, key: string): number {
  const m = new RegExp(`^${key} (\\d+)$`, 'm').exec(text);
  return m ? Number(m[1]) : 0;
}
