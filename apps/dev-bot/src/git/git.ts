import { redactString, registerSecret } from '@juggernaut/observability';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, mkdir } from 'node:fs/promises';
import { join } from 'node:path';

/** A git command that failed; the message carries git's own words (credentials in URLs redacted). */
export class GitError extends Error {
  constructor(
    message: string,
    readonly args: string[],
    readonly exitCode: number | null,
    readonly stderr: string,
  ) {
    super(redactString(message));
    this.name = 'GitError';
  }
}

export interface GitAuthor {
  name: string;
  email: string;
}

export interface GitResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

/**
 * git runs with a minimal environment: no system or global config (so a host's hooks, credential helpers or
 * aliases never apply), no prompts, and none of the service's secrets.
 */
function gitEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env['PATH'] ?? '/usr/local/bin:/usr/bin:/bin',
    HOME: process.env['HOME'] ?? '/tmp',
    LANG: 'C',
    LC_ALL: 'C',
    GIT_TERMINAL_PROMPT: '0',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_ASKPASS: '/bin/false',
    ...extra,
  };
}

/** A git call that hangs (an unresponsive remote) is killed after this long. */
const GIT_TIMEOUT_MS = 10 * 60_000;

const HARDENING = [
  '-c',
  'core.hooksPath=/dev/null',
  '-c',
  'core.fsmonitor=false',
  '-c',
  'protocol.ext.allow=never',
  '--literal-pathspecs',
];

/** Runs git; resolves for every exit code listed in `okCodes` (default only 0), rejects with GitError otherwise. */
export function git(
  cwd: string,
  args: string[],
  o: { okCodes?: number[]; input?: string; env?: Record<string, string>; maxBuffer?: number; timeoutMs?: number } = {},
): Promise<GitResult> {
  const okCodes = o.okCodes ?? [0];
  return new Promise((resolve, reject) => {
    const child = execFile(
      'git',
      [...HARDENING, ...args],
      {
        cwd,
        env: gitEnv(o.env),
        maxBuffer: o.maxBuffer ?? 64 * 1024 * 1024,
        encoding: 'utf8',
        timeout: o.timeoutMs ?? GIT_TIMEOUT_MS,
        killSignal: 'SIGKILL',
      },
      (err, stdout, stderr) => {
        const code = (err as { code?: unknown } | null)?.code;
        const exitCode = err ? (typeof code === 'number' ? code : -1) : 0;
        if (!err || okCodes.includes(exitCode)) {
          resolve({ stdout, stderr, exitCode });
          return;
        }
        const killed = (err as { killed?: boolean }).killed === true;
        const detail = killed
          ? `no answer within ${(o.timeoutMs ?? GIT_TIMEOUT_MS) / 1000} s`
          : (stderr || stdout || err.message).trim();
        reject(
          new GitError(
            `git ${args.find((a, i) => !a.startsWith('-') && args[i - 1] !== '-c')} failed (exit ${exitCode}): ${detail}`,
            args,
            exitCode,
            stderr,
          ),
        );
      },
    );
    if (o.input !== undefined) child.stdin?.end(o.input);
  });
}

/** A fresh empty directory under root, created (with root) if needed. */
export async function freshDir(root: string, prefix: string): Promise<string> {
  await mkdir(root, { recursive: true });
  return mkdtemp(join(root, `${prefix}-`));
}

export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

/**
 * A remote as git is given it. Credentials in an http(s) clone URL (`https://user:token@host/...`) are taken
 * out of the URL and sent as an Authorization header on each call that talks to the remote, so they are never
 * written into the clone's `.git/config`, where the checks running in the clone could read them.
 */
export interface Remote {
  url: string;
  /** `-c` options carrying the credentials, for clone, fetch and push only. */
  auth: string[];
}

export function remoteFor(cloneUrl: string): Remote {
  let u: URL;
  try {
    u = new URL(cloneUrl);
  } catch {
    return { url: cloneUrl, auth: [] }; // a local path or scp-like address
  }
  if (!/^https?:$/.test(u.protocol) || (!u.username && !u.password)) return { url: cloneUrl, auth: [] };
  const user = decodeURIComponent(u.username);
  const password = decodeURIComponent(u.password);
  registerSecret(password);
  const basic = Buffer.from(`${user}:${password}`).toString('base64');
  registerSecret(basic);
  u.username = '';
  u.password = '';
  return { url: u.toString(), auth: ['-c', `http.extraHeader=Authorization: Basic ${basic}`] };
}

/** Clones the remote into dir (which must be empty) and sets the committer identity for this clone only. */
export async function cloneInto(dir: string, remote: Remote, author: GitAuthor): Promise<void> {
  await git(dir, [...remote.auth, 'clone', '--quiet', '--no-tags', '--', remote.url, '.']);
  await git(dir, ['config', 'user.name', author.name]);
  await git(dir, ['config', 'user.email', author.email]);
  await git(dir, ['config', 'commit.gpgsign', 'false']);
}

/** The commit a remote-tracking ref points at, or null when the remote has no such branch. */
export async function remoteBranchSha(dir: string, branch: string): Promise<string | null> {
  const r = await git(dir, ['rev-parse', '--verify', '--quiet', `refs/remotes/origin/${branch}^{commit}`], {
    okCodes: [0, 1],
  });
  return r.exitCode === 0 ? r.stdout.trim() : null;
}

/** Refuses names git would not accept as a branch (and therefore anything that is not a plain branch name). */
export async function assertBranchName(cwd: string, branch: string, field: string): Promise<void> {
  const r = await git(cwd, ['check-ref-format', '--branch', branch], { okCodes: [0, 1, 128] });
  if (r.exitCode !== 0 || branch.startsWith('-') || branch !== branch.trim() || branch === 'HEAD') {
    throw new GitError(`${field} "${branch}" is not a valid branch name`, ['check-ref-format'], r.exitCode, r.stderr);
  }
}

/** True when a push was refused because the remote moved on (someone else pushed first). */
export function isRejectedPush(err: unknown): boolean {
  if (!(err instanceof GitError)) return false;
  return /\[rejected\]|non-fast-forward|fetch first|failed to update ref|cannot lock ref|stale info|\[remote rejected\]/i.test(
    err.stderr,
  );
}
