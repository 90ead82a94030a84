import { execFile } from 'node:child_process';
import { existsSync, lstatSync, readlinkSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** Limits of every process a check starts. */
export interface CheckLimits {
  /** Memory: the cgroup's limit on the whole check where there is one; the data size of each process (RLIMIT_DATA) always. */
  memoryBytes: number;
  /** Processes and threads: the cgroup's pids limit where there is one; RLIMIT_NPROC, which the kernel does not apply to root. */
  processes: number;
  /** CPU seconds per process (RLIMIT_CPU: SIGXCPU, then SIGKILL a second later). */
  cpuSeconds: number;
  /** CPUs the whole check may use at once (the cgroup's CPU quota, where there is one). */
  cpus: number;
}

export const DEFAULT_CHECK_LIMITS: CheckLimits = {
  memoryBytes: 2048 * 1024 * 1024,
  processes: 512,
  cpuSeconds: 600,
  cpus: 1,
};

/** The uid and gid the check runs as inside its user namespace. */
const CHECK_UID = 1000;
/** Host paths a check may read: the toolchain. Everything else of the host is absent. */
const TOOLCHAIN = ['/usr'];
const ROOT_LINKS = ['/bin', '/sbin', '/lib', '/lib64', '/lib32', '/libx32'];
/** What programs need from /etc to start (dynamic linker, alternatives, time zone, certificates), nothing that names the host. */
const ETC = [
  'alternatives',
  'ld.so.cache',
  'ld.so.conf',
  'ld.so.conf.d',
  'localtime',
  'ssl',
  'ca-certificates',
  'nsswitch.conf',
  'mime.types',
];
export const SANDBOX_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** The sandbox cannot be made here: untrusted checks are not run at all. */
export class CheckSandboxError extends Error {
  override readonly name = 'CheckSandboxError';
}

/** Where the sandbox's programs are; `bwrap` may be set (DEVBOT_CHECK_BWRAP) to point elsewhere. */
export interface SandboxTools {
  bwrap: string;
  prlimit: string;
}

export function findBinary(name: string): string | null {
  for (const d of ['/usr/bin', '/bin', '/usr/sbin', '/sbin', '/usr/local/bin']) {
    const p = join(d, name);
    if (existsSync(p)) return p;
  }
  return null;
}

/**
 * The bubblewrap command line that runs `command` with `sh -c` in `dir`: new user, mount, PID,
 * network, IPC, UTS and cgroup namespaces; a root of its own holding only the toolchain (read-only),
 * a few files of /etc, a fresh /proc and /dev, a private /tmp (the check's HOME is in it) and the
 * clone, writable except its `.git`; only loopback, up; an environment of only PATH, HOME, LANG and
 * CI; no capabilities, no further user namespaces; and the rlimits applied (prlimit) before the
 * command starts. The whole tree dies with bwrap.
 */
export function sandboxArgs(
  tools: SandboxTools,
  dir: string,
  etcDir: string,
  limits: CheckLimits,
  command: string,
  lang: string,
): string[] {
  const a = [
    '--unshare-all',
    '--unshare-user',
    '--uid',
    String(CHECK_UID),
    '--gid',
    String(CHECK_UID),
    '--disable-userns',
    '--die-with-parent',
    '--new-session',
    '--hostname',
    'check',
  ];
  for (const p of TOOLCHAIN) a.push('--ro-bind', p, p);
  for (const p of ROOT_LINKS) {
    const st = lstatSync(p, { throwIfNoEntry: false });
    if (st?.isSymbolicLink()) a.push('--symlink', readlinkSync(p), p);
    else if (st?.isDirectory()) a.push('--ro-bind', p, p);
  }
  // A node installed outside /usr (nvm, a tarball in /opt) is part of the toolchain too.
  const nodePrefix = dirname(dirname(process.execPath));
  const nodeElsewhere =
    nodePrefix !== '/' && !TOOLCHAIN.some((p) => nodePrefix === p || nodePrefix.startsWith(`${p}/`));
  if (nodeElsewhere) a.push('--ro-bind', nodePrefix, nodePrefix);
  for (const f of ETC) a.push('--ro-bind-try', join('/etc', f), join('/etc', f));
  for (const f of ['passwd', 'group', 'hosts']) a.push('--ro-bind', join(etcDir, f), join('/etc', f));
  a.push('--proc', '/proc', '--dev', '/dev');
  a.push('--size', String(limits.memoryBytes), '--tmpfs', '/tmp', '--dir', '/tmp/home');
  a.push('--bind', dir, dir);
  if (existsSync(join(dir, '.git'))) a.push('--ro-bind', join(dir, '.git'), join(dir, '.git'));
  a.push('--chdir', dir, '--clearenv');
  const path = nodeElsewhere ? `${join(nodePrefix, 'bin')}:${SANDBOX_PATH}` : SANDBOX_PATH;
  for (const [k, v] of [
    ['PATH', path],
    ['HOME', '/tmp/home'],
    ['LANG', lang],
    ['CI', 'true'],
  ])
    a.push('--setenv', k!, v!);
  const memory = String(limits.memoryBytes);
  a.push(
    '--',
    tools.prlimit,
    `--nproc=${limits.processes}`,
    `--data=${memory}`,
    `--cpu=${limits.cpuSeconds}:${limits.cpuSeconds + 1}`,
    '--core=0',
    '--',
    'sh',
    '-c',
    command,
  );
  return a;
}

/** A directory with the sandbox's /etc/passwd, /etc/group and /etc/hosts (the check's own, not the host's). */
export async function makeEtc(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'jg-check-etc-'));
  await writeFile(
    join(dir, 'passwd'),
    `root:x:0:0:root:/root:/bin/sh\ncheck:x:${CHECK_UID}:${CHECK_UID}:check:/tmp/home:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n`,
  );
  await writeFile(join(dir, 'group'), `root:x:0:\ncheck:x:${CHECK_UID}:\nnogroup:x:65534:\n`);
  await writeFile(join(dir, 'hosts'), '127.0.0.1\tlocalhost check\n::1\tlocalhost ip6-localhost ip6-loopback\n');
  return dir;
}

const probes = new Map<string, Promise<void>>();

/**
 * Proves once per bwrap path that the sandbox can be made here, by making one around a command that
 * must find `.git` read-only. Throws CheckSandboxError with the reason otherwise (bwrap missing, user
 * namespaces refused: a Kubernetes pod that drops the capabilities, a seccomp profile or a sysctl
 * that forbids them). A failed probe is not remembered, so a fixed host is seen at the next run.
 */
export function probeSandbox(bwrapPath?: string): Promise<SandboxTools> {
  const bwrap = bwrapPath ?? findBinary('bwrap');
  const prlimit = findBinary('prlimit');
  if (!bwrap || !existsSync(bwrap)) {
    return Promise.reject(
      new CheckSandboxError(
        `the check sandbox is not available: bubblewrap (bwrap) was not found${bwrap ? ` at ${bwrap}` : ''}; install it (Debian: apt-get install bubblewrap). Repository checks are not run without it`,
      ),
    );
  }
  if (!prlimit)
    return Promise.reject(
      new CheckSandboxError(
        'the check sandbox is not available: prlimit (util-linux) was not found, so no limits could be set. Repository checks are not run without it',
      ),
    );
  const tools = { bwrap, prlimit };
  let probe = probes.get(bwrap);
  if (!probe) {
    probe = (async () => {
      const dir = await mkdtemp(join(tmpdir(), 'jg-sandbox-probe-'));
      const etc = await makeEtc();
      try {
        await mkdir(join(dir, '.git'));
        const args = sandboxArgs(
          tools,
          dir,
          etc,
          { ...DEFAULT_CHECK_LIMITS, memoryBytes: 64 * 1024 * 1024 },
          'touch .git/probe 2>/dev/null && exit 3; test -e /proc/1/cmdline && exit 0',
          'C.UTF-8',
        );
        await new Promise<void>((resolve, reject) => {
          execFile(bwrap, args, { timeout: 10_000, env: {} }, (err, _out, stderr) => {
            if (!err) resolve();
            else
              reject(
                new CheckSandboxError(
                  `the check sandbox is not available: ${bwrap} could not make it (${(stderr || err.message).trim().split('\n')[0]}); user namespaces may be disabled or refused here (in Kubernetes the pod needs them allowed). Repository checks are not run without it`,
                ),
              );
          });
        });
      } finally {
        await rm(dir, { recursive: true, force: true });
        await rm(etc, { recursive: true, force: true });
      }
    })();
    probes.set(bwrap, probe);
    probe.catch(() => probes.delete(bwrap));
  }
  return probe.then(() => tools);
}
