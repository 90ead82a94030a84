import { chmodSync, existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runChecks } from '../src/checks/check-runner';
import { MergeError, checkoutCommit, revertCommit, squashMerge } from '../src/git/merge';
import { Workspace } from '../src/workspace/workspace';
import { AUTHOR, type SampleRepo, sampleRepo, sh } from './repo-fixture';

describe('squash merge, checkout and revert against a real remote', () => {
  let repo: SampleRepo;

  beforeEach(() => {
    repo = sampleRepo();
  });
  afterEach(() => repo.cleanup());

  /** Pushes a change branch with the given commits (each a map of path to content). */
  async function pushBranch(branch: string, commits: Array<Record<string, string>>): Promise<void> {
    const ws = await Workspace.create({
      root: repo.root,
      cloneUrl: repo.remote,
      targetBranch: 'main',
      branch,
      author: AUTHOR,
    });
    try {
      for (const [i, files] of commits.entries()) {
        for (const [p, c] of Object.entries(files)) await ws.write(p, c);
        await ws.commitAll(`${branch} step ${i + 1}`);
      }
      await ws.push();
    } finally {
      await ws.dispose();
    }
  }

  const base = () => ({ root: repo.root, cloneUrl: repo.remote, targetBranch: 'main', author: AUTHOR });

  it('lands a multi-commit branch as one commit on the target and leaves nothing behind', async () => {
    await pushBranch('juggernaut/c1-product', [
      { 'src/product.js': 'module.exports = (a, b) => a * b;\n' },
      { 'README.md': '# sample\n\nNow with product.\n' },
    ]);
    const { commit } = await squashMerge({
      ...base(),
      branch: 'juggernaut/c1-product',
      message: 'Add product (#1)\n\nSquashed.',
    });
    expect(commit).toMatch(/^[0-9a-f]{40}$/);
    const clone = repo.inspect();
    expect(sh(clone, 'rev-parse', 'origin/main')).toBe(commit);
    expect(sh(clone, 'log', '--format=%s|%an|%P', 'origin/main').split('\n')).toEqual([
      `Add product (#1)|${AUTHOR.name}|${sh(clone, 'rev-parse', 'origin/main~1')}`,
      expect.stringMatching(/^seed\|/),
    ]);
    expect(repo.fileAt('main', 'src/product.js')).toBe('module.exports = (a, b) => a * b;');
    expect(repo.fileAt('main', 'README.md')).toContain('Now with product.');
    expect(readdirSync(repo.root).filter((n) => n.startsWith('merge-'))).toEqual([]);
  });

  it('throws on a conflict and pushes nothing', async () => {
    await pushBranch('juggernaut/c1', [{ 'src/sum.js': 'module.exports = { sum: (a, b) => a + b };\n' }]);
    await pushBranch('juggernaut/c2', [{ 'src/sum.js': 'module.exports = { sum: (x, y) => y + x };\n' }]);
    await squashMerge({ ...base(), branch: 'juggernaut/c1', message: 'c1' });
    const before = repo.log('main');
    const err = await squashMerge({ ...base(), branch: 'juggernaut/c2', message: 'c2' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MergeError);
    expect((err as MergeError).reason).toBe('conflict');
    expect((err as MergeError).message).toMatch(/merging "juggernaut\/c2" into "main" conflicts in src\/sum\.js/);
    expect(repo.log('main')).toEqual(before);
  });

  it('refuses a missing branch, a branch with nothing new, and an empty message', async () => {
    await expect(squashMerge({ ...base(), branch: 'juggernaut/missing', message: 'x' })).rejects.toThrow(
      'branch "juggernaut/missing" does not exist',
    );
    await pushBranch('juggernaut/empty', []);
    await expect(squashMerge({ ...base(), branch: 'juggernaut/empty', message: 'x' })).rejects.toThrow(
      'has nothing to merge',
    );
    await expect(squashMerge({ ...base(), branch: 'juggernaut/empty', message: ' ' })).rejects.toThrow(
      'message must not be empty',
    );
    expect(repo.log('main')).toEqual(['seed']);
  });

  it('checks out a merge result so the checks can run on it, and reverts it to restore the tree', async () => {
    const seedTree = sh(repo.inspect(), 'rev-parse', 'origin/main^{tree}');
    await pushBranch('juggernaut/broken', [
      { 'src/sum.js': 'module.exports = { sum: (a, b) => a - b };\n', 'src/extra.js': 'x\n' },
    ]);
    const merged = await squashMerge({ ...base(), branch: 'juggernaut/broken', message: 'Break sum' });

    const co = await checkoutCommit({ root: repo.root, cloneUrl: repo.remote, commit: merged.commit });
    expect(sh(co.dir, 'rev-parse', 'HEAD')).toBe(merged.commit);
    expect(readFileSync(join(co.dir, 'src/sum.js'), 'utf8')).toContain('a - b');
    const checks = await runChecks(co.dir, [{ name: 'test', command: 'npm test --silent' }], { timeoutMs: 60_000 });
    expect(checks.ok).toBe(false);
    await co.dispose();
    expect(existsSync(co.dir)).toBe(false);

    const reverted = await revertCommit({
      ...base(),
      commit: merged.commit,
      message: `Revert "Break sum"\n\nPost-merge checks failed.`,
    });
    const clone = repo.inspect();
    expect(sh(clone, 'log', '--format=%s', 'origin/main').split('\n')).toEqual([
      'Revert "Break sum"',
      'Break sum',
      'seed',
    ]);
    expect(sh(clone, 'rev-parse', 'origin/main')).toBe(reverted.commit);
    expect(sh(clone, 'rev-parse', 'origin/main^{tree}')).toBe(seedTree);

    const after = await checkoutCommit({ root: repo.root, cloneUrl: repo.remote, commit: reverted.commit });
    expect(
      (await runChecks(after.dir, [{ name: 'test', command: 'npm test --silent' }], { timeoutMs: 60_000 })).ok,
    ).toBe(true);
    await after.dispose();
  });

  it('reverts a commit that is no longer the tip, keeping later work', async () => {
    await pushBranch('juggernaut/a', [{ 'src/a.js': 'a\n' }]);
    await pushBranch('juggernaut/b', [{ 'src/b.js': 'b\n' }]);
    const a = await squashMerge({ ...base(), branch: 'juggernaut/a', message: 'A' });
    await squashMerge({ ...base(), branch: 'juggernaut/b', message: 'B' });
    await revertCommit({ ...base(), commit: a.commit, message: 'Revert A' });
    const clone = repo.inspect();
    expect(sh(clone, 'ls-tree', '-r', '--name-only', 'origin/main').split('\n')).toEqual([
      'README.md',
      'package.json',
      'src/b.js',
      'src/sum.js',
      'test/sum.test.js',
    ]);
  });

  it('refuses to check out or revert what is not there', async () => {
    await expect(
      checkoutCommit({ root: repo.root, cloneUrl: repo.remote, commit: 'deadbeefdeadbeefdeadbeefdeadbeefdeadbeef' }),
    ).rejects.toThrow(/is not in the repository/);
    await expect(checkoutCommit({ root: repo.root, cloneUrl: repo.remote, commit: 'main; rm -rf /' })).rejects.toThrow(
      /is not a commit id/,
    );
    await expect(
      revertCommit({ ...base(), commit: 'deadbeefdeadbeefdeadbeefdeadbeefdeadbeef', message: 'x' }),
    ).rejects.toThrow(/is not on "main"/);
  });

  it('lands two racing merges to the same target, both, with a linear history', async () => {
    const branches = ['juggernaut/r1', 'juggernaut/r2', 'juggernaut/r3', 'juggernaut/r4'];
    // All touch README.md in different places plus their own file: each merge must be redone on the other's result.
    const readme = (i: number) =>
      [
        '# sample',
        '',
        'A sample project.',
        '',
        ...[0, 1, 2, 3].flatMap((j) => [j === i ? `section ${j}: changed` : `section ${j}`, '', 'text', '']),
        '',
      ].join('\n');
    await pushBranch('juggernaut/sections', [{ 'README.md': readme(-1) }]);
    await squashMerge({ ...base(), branch: 'juggernaut/sections', message: 'Sections' });
    for (const [i, b] of branches.entries())
      await pushBranch(b, [{ [`src/f${i}.js`]: `${i}\n`, 'README.md': readme(i) }]);

    const results = await Promise.allSettled(
      branches.map((b) => squashMerge({ ...base(), branch: b, message: `Merge ${b}`, maxAttempts: 10 })),
    );
    expect(results.map((r) => (r.status === 'rejected' ? String(r.reason) : r.status))).toEqual([
      'fulfilled',
      'fulfilled',
      'fulfilled',
      'fulfilled',
    ]);

    const clone = repo.inspect();
    const subjects = sh(clone, 'log', '--format=%s', 'origin/main').split('\n');
    expect(subjects.slice(0, 4).sort()).toEqual(branches.map((b) => `Merge ${b}`).sort());
    expect(subjects.slice(4)).toEqual(['Sections', 'seed']);
    // Linear: no merge commits, every commit has one parent.
    expect(sh(clone, 'rev-list', '--min-parents=2', 'origin/main')).toBe('');
    const readmeNow = sh(clone, 'show', 'origin/main:README.md');
    for (const i of [0, 1, 2, 3]) {
      expect(readmeNow).toContain(`section ${i}: changed`);
      expect(sh(clone, 'show', `origin/main:src/f${i}.js`)).toBe(String(i));
    }
    // Refused pushes may leave unreferenced objects behind; nothing may be broken.
    expect(sh(repo.remote, 'fsck', '--strict', '--no-dangling')).toBe('');
  });

  /**
   * A server-side hook that, on the first push only, lands someone else's commit on main just before the
   * pushed update is applied, so that update is refused exactly as in a race.
   */
  function raceOnFirstPush(): void {
    const hook = join(repo.remote, 'hooks', 'pre-receive');
    writeFileSync(
      hook,
      [
        '#!/bin/sh',
        'cat > /dev/null',
        // Outside the push quarantine, so the other commit lands for real.
        'unset GIT_QUARANTINE_PATH GIT_OBJECT_DIRECTORY GIT_ALTERNATE_OBJECT_DIRECTORIES',
        `[ -e "${join(repo.base, 'raced')}" ] && exit 0`,
        `touch "${join(repo.base, 'raced')}"`,
        'tree=$(git rev-parse refs/heads/main^{tree})',
        'c=$(echo moved | GIT_AUTHOR_NAME=o GIT_AUTHOR_EMAIL=o@x GIT_COMMITTER_NAME=o GIT_COMMITTER_EMAIL=o@x git commit-tree "$tree" -p refs/heads/main)',
        'git update-ref refs/heads/main "$c"',
        'exit 0',
        '',
      ].join('\n'),
    );
    chmodSync(hook, 0o755);
  }

  it('retries on the new tip when the target moved between fetch and push', async () => {
    await pushBranch('juggernaut/one', [{ 'src/one.js': '1\n' }]);
    raceOnFirstPush();
    const { commit } = await squashMerge({ ...base(), branch: 'juggernaut/one', message: 'one' });
    expect(repo.log('main')).toEqual(['one', 'moved', 'seed']);
    expect(sh(repo.inspect(), 'rev-parse', 'origin/main')).toBe(commit);
  });

  it('gives up cleanly after the bounded retries, pushing nothing', async () => {
    await pushBranch('juggernaut/one', [{ 'src/one.js': '1\n' }]);
    raceOnFirstPush();
    const err = await squashMerge({ ...base(), branch: 'juggernaut/one', message: 'one', maxAttempts: 1 }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(MergeError);
    expect((err as MergeError).reason).toBe('push-rejected');
    expect((err as MergeError).message).toContain('push refused 1 times; nothing was pushed');
    expect(repo.log('main')).toEqual(['moved', 'seed']);
  });
});
