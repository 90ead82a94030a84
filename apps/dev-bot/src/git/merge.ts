import {
  type GitAuthor,
  GitError,
  assertBranchName,
  cloneInto,
  freshDir,
  git,
  type Remote,
  isRejectedPush,
  remoteBranchSha,
  remoteFor,
  removeDir,
} from './git';

/** A merge, checkout or revert that could not be done; nothing was pushed. */
export class MergeError extends Error {
  constructor(
    message: string,
    readonly reason: 'conflict' | 'nothing-to-merge' | 'missing-ref' | 'push-rejected' | 'git',
  ) {
    super(message);
    this.name = 'MergeError';
  }
}

interface RemoteOptions {
  /** Directory under which a scratch clone is made (and removed afterwards). */
  root: string;
  cloneUrl: string;
}

export interface SquashMergeOptions extends RemoteOptions {
  targetBranch: string;
  branch: string;
  message: string;
  author: GitAuthor;
  /** How many times a push refused because the target moved on is retried (fetch, re-apply). Default 5. */
  maxAttempts?: number;
}

export interface RevertOptions extends RemoteOptions {
  targetBranch: string;
  commit: string;
  message: string;
  author: GitAuthor;
  maxAttempts?: number;
}

const DEFAULT_ATTEMPTS = 5;

/**
 * Squashes `branch` into `targetBranch` as one commit and pushes the target. The push is a plain
 * fast-forward push; when another merge landed first it is refused, and the squash is redone on the new
 * target tip, a bounded number of times. A conflict throws and nothing is pushed.
 */
export async function squashMerge(o: SquashMergeOptions): Promise<{ commit: string }> {
  requireMessage(o.message);
  return withClone(o, async (dir, remote) => {
    await assertBranchName(dir, o.branch, 'branch');
    await assertBranchName(dir, o.targetBranch, 'targetBranch');
    await cloneInto(dir, remote, o.author);
    return pushWithRetry(dir, remote, o.targetBranch, o.maxAttempts, async () => {
      if (!(await remoteBranchSha(dir, o.branch)))
        throw new MergeError(`branch "${o.branch}" does not exist in the repository`, 'missing-ref');
      const merge = await git(dir, ['merge', '--squash', '--no-commit', `refs/remotes/origin/${o.branch}`], {
        okCodes: [0, 1, 128],
      });
      if (merge.exitCode !== 0) {
        const files = await conflictedFiles(dir);
        throw new MergeError(
          `merging "${o.branch}" into "${o.targetBranch}" conflicts${files.length ? ` in ${files.join(', ')}` : ''}: ${(merge.stdout + merge.stderr).trim()}`,
          'conflict',
        );
      }
      const staged = await git(dir, ['diff', '--cached', '--quiet'], { okCodes: [0, 1] });
      if (staged.exitCode === 0)
        throw new MergeError(`branch "${o.branch}" has nothing to merge into "${o.targetBranch}"`, 'nothing-to-merge');
      await git(dir, ['commit', '--quiet', '--no-verify', '-F', '-'], { input: o.message });
    });
  });
}

/** A detached checkout of one commit, e.g. to run the checks again on a merge result. */
export async function checkoutCommit(
  o: RemoteOptions & { commit: string },
): Promise<{ dir: string; dispose(): Promise<void> }> {
  requireSha(o.commit);
  const dir = await freshDir(o.root, 'checkout');
  try {
    await cloneInto(dir, remoteFor(o.cloneUrl), { name: 'checkout', email: 'checkout@localhost' });
    const r = await git(dir, ['checkout', '--quiet', '--detach', `${o.commit}^{commit}`], { okCodes: [0, 1, 128] });
    if (r.exitCode !== 0) throw new MergeError(`commit "${o.commit}" is not in the repository`, 'missing-ref');
    return { dir, dispose: () => removeDir(dir) };
  } catch (err) {
    await removeDir(dir);
    throw translate(err);
  }
}

/** Reverts one commit on the target branch with a new commit, pushed fast-forward with the same retry. */
export async function revertCommit(o: RevertOptions): Promise<{ commit: string }> {
  requireMessage(o.message);
  requireSha(o.commit);
  return withClone(o, async (dir, remote) => {
    await assertBranchName(dir, o.targetBranch, 'targetBranch');
    await cloneInto(dir, remote, o.author);
    return pushWithRetry(dir, remote, o.targetBranch, o.maxAttempts, async () => {
      const known = await git(dir, ['merge-base', '--is-ancestor', o.commit, 'HEAD'], { okCodes: [0, 1, 128] });
      if (known.exitCode !== 0)
        throw new MergeError(`commit "${o.commit}" is not on "${o.targetBranch}"`, 'missing-ref');
      const parents =
        (await git(dir, ['rev-list', '--parents', '-n', '1', o.commit])).stdout.trim().split(' ').length - 1;
      const args = ['revert', '--no-commit', ...(parents > 1 ? ['-m', '1'] : []), o.commit];
      const r = await git(dir, args, { okCodes: [0, 1, 128] });
      if (r.exitCode !== 0) {
        const files = await conflictedFiles(dir);
        throw new MergeError(
          `reverting ${o.commit} on "${o.targetBranch}" conflicts${files.length ? ` in ${files.join(', ')}` : ''}: ${(r.stdout + r.stderr).trim()}`,
          'conflict',
        );
      }
      const staged = await git(dir, ['diff', '--cached', '--quiet'], { okCodes: [0, 1] });
      if (staged.exitCode === 0)
        throw new MergeError(`reverting ${o.commit} changes nothing on "${o.targetBranch}"`, 'nothing-to-merge');
      await git(dir, ['commit', '--quiet', '--no-verify', '-F', '-'], { input: o.message });
    });
  });
}

/**
 * Puts the clone on the remote target tip, lets `apply` make one commit, and pushes it without force. A push
 * refused because the target moved on starts over from the new tip.
 */
async function pushWithRetry(
  dir: string,
  remote: Remote,
  target: string,
  maxAttempts = DEFAULT_ATTEMPTS,
  apply: () => Promise<void>,
): Promise<{ commit: string }> {
  for (let attempt = 1; ; attempt++) {
    await git(dir, [...remote.auth, 'fetch', '--quiet', '--prune', 'origin']);
    if (!(await remoteBranchSha(dir, target)))
      throw new MergeError(`targetBranch "${target}" does not exist in the repository`, 'missing-ref');
    await git(dir, ['reset', '--quiet', '--merge']).catch(() => undefined);
    await git(dir, ['checkout', '--quiet', '--force', '--no-track', '-B', target, `refs/remotes/origin/${target}`]);
    await git(dir, ['clean', '-fdq']);
    await apply();
    const commit = (await git(dir, ['rev-parse', 'HEAD'])).stdout.trim();
    try {
      await git(dir, [
        ...remote.auth,
        'push',
        '--quiet',
        '--no-verify',
        'origin',
        `refs/heads/${target}:refs/heads/${target}`,
      ]);
      return { commit };
    } catch (err) {
      if (!isRejectedPush(err)) throw err;
      if (attempt >= maxAttempts) {
        throw new MergeError(
          `"${target}" kept moving: push refused ${attempt} times; nothing was pushed`,
          'push-rejected',
        );
      }
      // Back off a little, with jitter, so racing mergers do not collide in lockstep.
      await new Promise((r) => setTimeout(r, 50 * attempt + Math.floor(Math.random() * 100)));
    }
  }
}

async function withClone<T>(o: RemoteOptions, fn: (dir: string, remote: Remote) => Promise<T>): Promise<T> {
  if (!o.cloneUrl) throw new MergeError('cloneUrl is required', 'git');
  const remote = remoteFor(o.cloneUrl);
  const dir = await freshDir(o.root, 'merge');
  try {
    return await fn(dir, remote);
  } catch (err) {
    throw translate(err);
  } finally {
    await removeDir(dir);
  }
}

async function conflictedFiles(dir: string): Promise<string[]> {
  const r = await git(dir, ['diff', '--name-only', '--diff-filter=U'], { okCodes: [0, 1, 128] });
  return r.stdout.split('\n').filter(Boolean);
}

function translate(err: unknown): unknown {
  if (err instanceof GitError) return new MergeError(err.message, 'git');
  return err;
}

function requireMessage(message: string): void {
  if (typeof message !== 'string' || !message.trim()) throw new MergeError('message must not be empty', 'git');
}

function requireSha(commit: string): void {
  if (typeof commit !== 'string' || !/^[0-9a-f]{7,40}$/i.test(commit))
    throw new MergeError(`commit "${commit}" is not a commit id`, 'git');
}
