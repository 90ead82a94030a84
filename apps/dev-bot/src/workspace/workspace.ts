import { lstat, mkdir, readFile, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join, normalize, relative, sep } from 'node:path';
import {
  type GitAuthor,
  GitError,
  type Remote,
  assertBranchName,
  cloneInto,
  freshDir,
  git,
  remoteBranchSha,
  remoteFor,
  removeDir,
} from '../git/git';

/** Anything the workspace refuses or cannot do; the message names the path (or field) and the reason. */
export class WorkspaceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WorkspaceError';
  }
}

export interface ChangeDiffFile {
  path: string;
  status: 'added' | 'modified' | 'deleted' | 'renamed';
  added: number;
  removed: number;
  oldPath?: string;
}

export interface ChangeDiff {
  patch: string;
  files: ChangeDiffFile[];
  added: number;
  removed: number;
}

export interface WorkspaceOptions {
  /** Directory under which the clone is made (one fresh subdirectory per workspace). */
  root: string;
  cloneUrl: string;
  targetBranch: string;
  /** The change branch: the only ref this workspace will ever push. */
  branch: string;
  author: GitAuthor;
  /** When set, `branch` must start with it. */
  branchPrefix?: string;
}

export interface SearchHit {
  path: string;
  line: number;
  text: string;
}

const DEFAULT_READ_BYTES = 256 * 1024;
const DEFAULT_SEARCH_RESULTS = 100;
const SEARCH_LINE_CHARS = 400;

/**
 * A fresh clone for one change. Every file operation takes a path relative to the clone and is confined to
 * it: absolute paths, `..` escapes, symlinks that resolve outside, and anything under `.git` are refused.
 * Only the change branch is ever pushed.
 */
export class Workspace {
  private constructor(
    readonly dir: string,
    private readonly realDir: string,
    private readonly targetBranch: string,
    readonly branch: string,
    private readonly remote: Remote,
    /** Where the remote branch stood when this workspace opened it (null: it did not exist). */
    private pushedSha: string | null,
  ) {}

  /** Fresh clone of cloneUrl into a new directory under root, branch `branch` from origin/targetBranch. */
  static async create(o: WorkspaceOptions): Promise<Workspace> {
    return Workspace.open(o, false);
  }

  /** Clone and check out `branch` if it exists remotely (resume after a crash); otherwise as `create`. */
  static async resume(o: WorkspaceOptions): Promise<Workspace> {
    return Workspace.open(o, true);
  }

  private static async open(o: WorkspaceOptions, resume: boolean): Promise<Workspace> {
    if (!o.cloneUrl) throw new WorkspaceError('cloneUrl is required');
    if (o.branch === o.targetBranch)
      throw new WorkspaceError(
        `branch "${o.branch}" must differ from targetBranch: the target is only changed by the merge step`,
      );
    if (o.branchPrefix && !o.branch.startsWith(o.branchPrefix))
      throw new WorkspaceError(`branch "${o.branch}" must start with "${o.branchPrefix}"`);
    const remote = remoteFor(o.cloneUrl);
    const dir = await freshDir(o.root, 'ws');
    try {
      await wrapGit(() => assertBranchName(dir, o.branch, 'branch'));
      await wrapGit(() => assertBranchName(dir, o.targetBranch, 'targetBranch'));
      await wrapGit(() => cloneInto(dir, remote, o.author));
      const target = await remoteBranchSha(dir, o.targetBranch);
      if (!target) throw new WorkspaceError(`targetBranch "${o.targetBranch}" does not exist in the repository`);
      const existing = await remoteBranchSha(dir, o.branch);
      const start = resume && existing ? `refs/remotes/origin/${o.branch}` : `refs/remotes/origin/${o.targetBranch}`;
      await wrapGit(() => git(dir, ['checkout', '--quiet', '--no-track', '-B', o.branch, start]));
      return new Workspace(dir, await realpath(dir), o.targetBranch, o.branch, remote, existing);
    } catch (err) {
      await removeDir(dir);
      throw err;
    }
  }

  /** Files (relative paths) under `path`, tracked or new, excluding ignored files and `.git`. */
  async list(path = '.'): Promise<string[]> {
    const rel = await this.confine(path, 'path');
    const r = await git(this.dir, [
      'ls-files',
      '-z',
      '--cached',
      '--others',
      '--exclude-standard',
      '--deduplicate',
      '--',
      rel || '.',
    ]);
    const names = r.stdout.split('\0').filter(Boolean);
    const present: string[] = [];
    for (const name of names) {
      if (await exists(join(this.dir, name))) present.push(name);
    }
    return present.sort();
  }

  /** A text file's content; longer files are cut at maxBytes with a note saying so. */
  async read(path: string, opts: { maxBytes?: number } = {}): Promise<string> {
    const rel = await this.confine(path, 'path');
    const abs = join(this.dir, rel);
    const st = await lstat(abs).catch(() => null);
    if (!st) throw new WorkspaceError(`path "${path}" does not exist`);
    if (st.isDirectory()) throw new WorkspaceError(`path "${path}" is a directory; use list`);
    const buf = await readFile(abs);
    if (buf.subarray(0, 8000).includes(0)) throw new WorkspaceError(`path "${path}" is a binary file`);
    const max = opts.maxBytes ?? DEFAULT_READ_BYTES;
    if (buf.length <= max) return buf.toString('utf8');
    return `${buf.subarray(0, max).toString('utf8')}\n[truncated: showing ${max} of ${buf.length} bytes]`;
  }

  /** Lines matching a regular expression (extended syntax) in tracked and new files. */
  async search(pattern: string, opts: { path?: string; maxResults?: number } = {}): Promise<SearchHit[]> {
    if (!pattern) throw new WorkspaceError('pattern must not be empty');
    const rel = await this.confine(opts.path ?? '.', 'path');
    const max = opts.maxResults ?? DEFAULT_SEARCH_RESULTS;
    const r = await git(
      this.dir,
      ['grep', '-z', '-n', '-I', '-E', '--untracked', '--no-color', '-e', pattern, '--', rel || '.'],
      { okCodes: [0, 1, 128] },
    );
    if (r.exitCode === 128)
      throw new WorkspaceError(`pattern "${pattern}" is not a valid regular expression: ${r.stderr.trim()}`);
    const hits: SearchHit[] = [];
    for (const line of r.stdout.split('\n')) {
      if (!line) continue;
      const [file, no, ...rest] = line.split('\0');
      if (file === undefined || no === undefined) continue;
      const text = rest.join('\0');
      hits.push({
        path: file,
        line: Number(no),
        text: text.length > SEARCH_LINE_CHARS ? `${text.slice(0, SEARCH_LINE_CHARS)}…` : text,
      });
      if (hits.length >= max) break;
    }
    return hits;
  }

  /** Creates or replaces a file (and its parent directories). */
  async write(path: string, content: string): Promise<void> {
    if (typeof content !== 'string') throw new WorkspaceError(`content for "${path}" must be a string`);
    const rel = await this.confine(path, 'path');
    if (!rel) throw new WorkspaceError(`path "${path}" is the workspace root, not a file`);
    const abs = join(this.dir, rel);
    const st = await lstat(abs).catch(() => null);
    if (st?.isDirectory()) throw new WorkspaceError(`path "${path}" is a directory`);
    await mkdir(dirname(abs), { recursive: true });
    // The parent may have been created just now; check again that nothing on the way is a link out.
    await this.confine(path, 'path');
    await writeFile(abs, content, 'utf8');
  }

  /** Applies a unified diff (as produced by `git diff` or `diff -u`) to the working tree. */
  async applyPatch(unifiedDiff: string): Promise<{ files: string[] }> {
    if (!unifiedDiff.trim()) throw new WorkspaceError('patch is empty');
    if (/^(new file mode|new mode) 120000/m.test(unifiedDiff))
      throw new WorkspaceError('patch creates a symbolic link; symlinks are not accepted');
    if (/^GIT binary patch/m.test(unifiedDiff))
      throw new WorkspaceError('patch contains binary data; only text patches are accepted');
    const tmp = await freshDir(tmpdir(), 'jg-patch');
    const patchFile = join(tmp, 'change.patch');
    try {
      await writeFile(patchFile, unifiedDiff.endsWith('\n') ? unifiedDiff : `${unifiedDiff}\n`, 'utf8');
      const strip = stripLevel(unifiedDiff);
      const numstat = await git(this.dir, ['apply', strip, '--numstat', '-z', '--recount', patchFile], {
        okCodes: [0, 1, 128],
      });
      if (numstat.exitCode !== 0)
        throw new WorkspaceError(`patch could not be read: ${numstat.stderr.trim() || 'not a unified diff'}`);
      const files = parseNumstatPaths(numstat.stdout);
      if (files.length === 0) throw new WorkspaceError('patch changes no files');
      for (const f of files) await this.confine(f, 'patch path');
      const check = await git(this.dir, ['apply', strip, '--check', '--recount', '--whitespace=nowarn', patchFile], {
        okCodes: [0, 1, 128],
      });
      if (check.exitCode !== 0) throw new WorkspaceError(`patch does not apply: ${check.stderr.trim()}`);
      await wrapGit(() => git(this.dir, ['apply', strip, '--recount', '--whitespace=nowarn', patchFile]));
      return { files: [...new Set(files)] };
    } finally {
      await removeDir(tmp);
    }
  }

  /** Everything this change does relative to where it forked from the target: commits and uncommitted edits. */
  async diff(): Promise<ChangeDiff> {
    const base = (
      await git(this.dir, ['merge-base', `refs/remotes/origin/${this.targetBranch}`, 'HEAD'])
    ).stdout.trim();
    // A scratch index so untracked files show up without touching the real index. It is built from
    // HEAD's tree with no stat data, so every file is compared by content: a copy of the real index
    // would carry its stat data under a newer timestamp, and git would trust it and miss a same-size
    // edit made within the same second as the index was written.
    const tmp = await freshDir(tmpdir(), 'jg-index');
    const env = { GIT_INDEX_FILE: join(tmp, 'index') };
    try {
      await git(this.dir, ['read-tree', 'HEAD'], { env });
      await git(this.dir, ['add', '-A'], { env });
      const patch = (
        await git(
          this.dir,
          ['-c', 'core.quotePath=false', 'diff', '--cached', '-M', '--no-color', '--no-ext-diff', base],
          { env },
        )
      ).stdout;
      const status = (await git(this.dir, ['diff', '--cached', '-M', '--name-status', '-z', base], { env })).stdout;
      const numstat = (await git(this.dir, ['diff', '--cached', '-M', '--numstat', '-z', base], { env })).stdout;
      return summarize(patch, status, numstat);
    } finally {
      await removeDir(tmp);
    }
  }

  /** Commits every change in the working tree; the new commit's sha, or null when there was nothing to commit. */
  async commitAll(message: string): Promise<string | null> {
    if (!message.trim()) throw new WorkspaceError('commit message must not be empty');
    await this.assertOnBranch();
    await git(this.dir, ['add', '-A']);
    const staged = await git(this.dir, ['diff', '--cached', '--quiet'], { okCodes: [0, 1] });
    if (staged.exitCode === 0) return null;
    await wrapGit(() => git(this.dir, ['commit', '--quiet', '--no-verify', '-F', '-'], { input: message }));
    return (await git(this.dir, ['rev-parse', 'HEAD'])).stdout.trim();
  }

  /**
   * Pushes the change branch, and only it. The push is leased on where the remote branch stood when this
   * workspace opened it, so a second writer of the same branch is never silently overwritten.
   */
  async push(): Promise<void> {
    await this.assertOnBranch();
    const ref = `refs/heads/${this.branch}`;
    const lease = `--force-with-lease=${ref}:${this.pushedSha ?? ''}`;
    await wrapGit(() =>
      git(this.dir, [...this.remote.auth, 'push', '--quiet', '--no-verify', lease, 'origin', `${ref}:${ref}`]),
    );
    this.pushedSha = (await git(this.dir, ['rev-parse', 'HEAD'])).stdout.trim();
  }

  async dispose(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }

  private async assertOnBranch(): Promise<void> {
    const head = await git(this.dir, ['symbolic-ref', '--quiet', 'HEAD'], { okCodes: [0, 1] });
    const current = head.stdout.trim();
    if (current !== `refs/heads/${this.branch}`) {
      throw new WorkspaceError(
        `workspace is on "${current || 'a detached HEAD'}", not the change branch "${this.branch}"; only the change branch is pushed`,
      );
    }
  }

  /**
   * Normalises a user-supplied path to one relative to the workspace, refusing absolute paths, escapes,
   * `.git`, and symlinks (anywhere on the way) that resolve outside the workspace.
   */
  private async confine(input: string, field: string): Promise<string> {
    if (typeof input !== 'string' || input.length === 0)
      throw new WorkspaceError(`${field} must be a non-empty string`);
    if (input.includes('\0')) throw new WorkspaceError(`${field} "${input}" contains a NUL byte`);
    if (isAbsolute(input) || /^[a-zA-Z]:[\\/]/.test(input))
      throw new WorkspaceError(`${field} "${input}" is absolute; paths are relative to the workspace`);
    const rel = normalize(input).replace(/[\\/]+$/, '');
    if (rel === '..' || rel.startsWith(`..${sep}`))
      throw new WorkspaceError(`${field} "${input}" escapes the workspace`);
    const clean = rel === '.' ? '' : rel;
    if (clean.split(sep).some((seg) => seg.toLowerCase() === '.git'))
      throw new WorkspaceError(`${field} "${input}" is inside .git, which is not editable`);
    // Resolve the deepest part of the path that exists: a symlink on the way must stay inside the workspace.
    let probe = join(this.dir, clean);
    for (;;) {
      const real = await realpath(probe).catch((e: NodeJS.ErrnoException) =>
        e.code === 'ENOENT' ? null : Promise.reject(e),
      );
      if (real !== null) {
        const inside = relative(this.realDir, real);
        if (inside === '..' || inside.startsWith(`..${sep}`) || isAbsolute(inside)) {
          throw new WorkspaceError(`${field} "${input}" resolves outside the workspace through a symbolic link`);
        }
        if (inside.split(sep).some((seg) => seg.toLowerCase() === '.git'))
          throw new WorkspaceError(`${field} "${input}" resolves into .git, which is not editable`);
        break;
      }
      // A dangling symlink has no realpath; refuse rather than let a write follow it.
      const st = await lstat(probe).catch(() => null);
      if (st?.isSymbolicLink()) throw new WorkspaceError(`${field} "${input}" is a symbolic link to a missing target`);
      const parent = dirname(probe);
      if (parent === probe) break;
      probe = parent;
    }
    return clean;
  }
}

async function exists(p: string): Promise<boolean> {
  return (await lstat(p).catch(() => null)) !== null;
}

async function wrapGit<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof GitError) throw new WorkspaceError(err.message);
    throw err;
  }
}

/**
 * `-p1` for git-style patches (`a/` and `b/` prefixes), `-p0` for a plain `diff -u` of paths relative to the
 * repository root, which is how patches written by hand often come.
 */
function stripLevel(patch: string): '-p0' | '-p1' {
  if (/^diff --git /m.test(patch)) return '-p1';
  const names = [...patch.matchAll(/^(?:---|\+\+\+) ("?)([^\t\n]+)/gm)]
    .map((m) => m[2]!.replace(/"$/, ''))
    .filter((n) => n !== '/dev/null');
  return names.length > 0 && names.every((n) => /^[ab]\//.test(n)) ? '-p1' : '-p0';
}

/** Paths named by `git apply --numstat -z` (a rename names both). */
function parseNumstatPaths(out: string): string[] {
  const parts = out.split('\0');
  const paths: string[] = [];
  for (let i = 0; i < parts.length; i++) {
    const entry = parts[i];
    if (!entry) continue;
    const m = /^(-|\d+)\t(-|\d+)\t(.*)$/s.exec(entry);
    if (!m) continue;
    if (m[3] === '') {
      // rename: the next two entries are the old and new path
      const from = parts[++i];
      const to = parts[++i];
      if (from) paths.push(from);
      if (to) paths.push(to);
    } else {
      paths.push(m[3]!);
    }
  }
  return paths;
}

/** Builds the change summary from `git diff --name-status -z` and `--numstat -z` of the same range. */
function summarize(patch: string, nameStatus: string, numstat: string): ChangeDiff {
  const counts = new Map<string, { added: number; removed: number }>();
  const ns = numstat.split('\0');
  for (let i = 0; i < ns.length; i++) {
    const m = /^(-|\d+)\t(-|\d+)\t(.*)$/s.exec(ns[i] ?? '');
    if (!m) continue;
    let path = m[3]!;
    if (path === '') {
      i += 2;
      path = ns[i] ?? '';
    }
    counts.set(path, { added: m[1] === '-' ? 0 : Number(m[1]), removed: m[2] === '-' ? 0 : Number(m[2]) });
  }
  const files: ChangeDiffFile[] = [];
  const st = nameStatus.split('\0');
  for (let i = 0; i < st.length;) {
    const code = st[i++];
    if (!code) continue;
    const kind = code[0];
    if (kind === 'R' || kind === 'C') {
      const oldPath = st[i++] ?? '';
      const path = st[i++] ?? '';
      const c = counts.get(path) ?? { added: 0, removed: 0 };
      files.push(kind === 'R' ? { path, status: 'renamed', oldPath, ...c } : { path, status: 'added', ...c });
      continue;
    }
    const path = st[i++] ?? '';
    const c = counts.get(path) ?? { added: 0, removed: 0 };
    const status: ChangeDiffFile['status'] = kind === 'A' ? 'added' : kind === 'D' ? 'deleted' : 'modified';
    files.push({ path, status, ...c });
  }
  return {
    patch,
    files,
    added: files.reduce((s, f) => s + f.added, 0),
    removed: files.reduce((s, f) => s + f.removed, 0),
  };
}
