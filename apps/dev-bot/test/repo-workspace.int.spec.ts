import { existsSync, mkdirSync, readFileSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Workspace, WorkspaceError } from '../src/workspace/workspace';
import { AUTHOR, type SampleRepo, sampleRepo, sh } from './repo-fixture';

describe('workspace over a real git remote', () => {
  let repo: SampleRepo;
  let ws: Workspace;

  beforeEach(async () => {
    repo = sampleRepo();
    ws = await Workspace.create({
      root: repo.root,
      cloneUrl: repo.remote,
      targetBranch: 'main',
      branch: 'juggernaut/c1-sum',
      author: AUTHOR,
    });
  });
  afterEach(async () => {
    await ws.dispose();
    repo.cleanup();
  });

  it('clones into a fresh directory under root on the change branch', async () => {
    expect(ws.dir.startsWith(repo.root)).toBe(true);
    expect(sh(ws.dir, 'symbolic-ref', 'HEAD')).toBe('refs/heads/juggernaut/c1-sum');
    expect(await ws.list()).toEqual(['README.md', 'package.json', 'src/sum.js', 'test/sum.test.js']);
    expect(await ws.list('src')).toEqual(['src/sum.js']);
    // Paths are paths, not git pathspec magic.
    expect(await ws.list(':(exclude)src')).toEqual([]);
    expect(await ws.search('sum', { path: ':/' })).toEqual([]);
    const other = await Workspace.create({
      root: repo.root,
      cloneUrl: repo.remote,
      targetBranch: 'main',
      branch: 'juggernaut/c2',
      author: AUTHOR,
    });
    expect(other.dir).not.toBe(ws.dir);
    await other.dispose();
    expect(existsSync(other.dir)).toBe(false);
  });

  it('reads, writes and searches files', async () => {
    expect(await ws.read('src/sum.js')).toContain('return a + b;');
    await ws.write('src/new/deep.js', 'const answer = 42;\n');
    expect(readFileSync(join(ws.dir, 'src/new/deep.js'), 'utf8')).toBe('const answer = 42;\n');
    expect(await ws.list('src')).toEqual(['src/new/deep.js', 'src/sum.js']);
    const hits = await ws.search('answer|return a');
    expect(hits).toEqual([
      { path: 'src/new/deep.js', line: 1, text: 'const answer = 42;' },
      { path: 'src/sum.js', line: 2, text: '  return a + b;' },
    ]);
    expect(await ws.search('return', { path: 'test' })).toEqual([]);
    expect(await ws.search('s', { maxResults: 2 })).toHaveLength(2);
    await expect(ws.search('(')).rejects.toThrow(/pattern "\(" is not a valid regular expression/);
    expect(await ws.read('README.md', { maxBytes: 8 })).toBe('# sample\n[truncated: showing 8 of 28 bytes]');
    await expect(ws.read('missing.js')).rejects.toThrow('path "missing.js" does not exist');
    await expect(ws.read('src')).rejects.toThrow('path "src" is a directory');
    writeFileSync(join(ws.dir, 'logo.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 1, 2]));
    await expect(ws.read('logo.png')).rejects.toThrow('path "logo.png" is a binary file');
    await expect(ws.write('src', 'x')).rejects.toThrow('path "src" is a directory');
  });

  describe('confinement', () => {
    const refused = async (p: Promise<unknown>, message: RegExp) => {
      await expect(p).rejects.toBeInstanceOf(WorkspaceError);
      await expect(p).rejects.toThrow(message);
    };

    it('refuses absolute paths and .. escapes', async () => {
      await refused(ws.read('/etc/passwd'), /path "\/etc\/passwd" is absolute/);
      await refused(ws.write('/tmp/jg-escape.txt', 'x'), /is absolute/);
      await refused(ws.read('../../../etc/passwd'), /path "..\/..\/..\/etc\/passwd" escapes the workspace/);
      await refused(ws.write('src/../../outside.txt', 'x'), /escapes the workspace/);
      await refused(ws.list('..'), /escapes the workspace/);
      await refused(ws.search('root', { path: '../' }), /escapes the workspace/);
      expect(existsSync(join(ws.dir, '..', 'outside.txt'))).toBe(false);
    });

    it('refuses symlinks that resolve outside, for reading and writing', async () => {
      const outside = join(repo.base, 'outside');
      mkdirSync(outside);
      writeFileSync(join(outside, 'secret.txt'), 'top secret');
      symlinkSync('/etc/passwd', join(ws.dir, 'passwd'));
      symlinkSync(outside, join(ws.dir, 'out'));
      symlinkSync(join(outside, 'nothing-yet'), join(ws.dir, 'dangling'));
      await refused(ws.read('passwd'), /path "passwd" resolves outside the workspace through a symbolic link/);
      await refused(ws.read('out/secret.txt'), /resolves outside the workspace/);
      await refused(ws.write('out/planted.txt', 'x'), /resolves outside the workspace/);
      await refused(ws.write('out/new/dir/planted.txt', 'x'), /resolves outside the workspace/);
      await refused(ws.write('dangling', 'x'), /symbolic link to a missing target/);
      expect(existsSync(join(outside, 'planted.txt'))).toBe(false);
      expect(existsSync(join(outside, 'new'))).toBe(false);
      expect(existsSync(join(outside, 'nothing-yet'))).toBe(false);
      // A link that stays inside is fine.
      symlinkSync('src', join(ws.dir, 'lib'));
      expect(await ws.read('lib/sum.js')).toContain('sum');
    });

    it('refuses anything under .git', async () => {
      await refused(
        ws.write('.git/hooks/pre-commit', '#!/bin/sh\nexit 0\n'),
        /path ".git\/hooks\/pre-commit" is inside .git/,
      );
      await refused(ws.read('.git/config'), /is inside .git/);
      await refused(ws.write('src/.GIT/config', 'x'), /is inside .git/);
      symlinkSync('.git', join(ws.dir, 'meta'));
      await refused(ws.write('meta/config', 'x'), /resolves into .git/);
      expect(existsSync(join(ws.dir, '.git/hooks/pre-commit'))).toBe(false);
    });

    it('refuses patches that touch paths outside, .git, or create symlinks', async () => {
      const escape = ['--- a/../outside.txt', '+++ b/../outside.txt', '@@ -0,0 +1 @@', '+x', ''].join('\n');
      await refused(ws.applyPatch(escape), /patch path "..\/outside.txt" escapes the workspace/);
      const intoGit = [
        'diff --git a/.git/config b/.git/config',
        '--- a/.git/config',
        '+++ b/.git/config',
        '@@ -1 +1 @@',
        '-x',
        '+y',
        '',
      ].join('\n');
      await refused(ws.applyPatch(intoGit), /patch path ".git\/config" is inside .git/);
      const link = [
        'diff --git a/l b/l',
        'new file mode 120000',
        '--- /dev/null',
        '+++ b/l',
        '@@ -0,0 +1 @@',
        '+/etc/passwd',
        '\\ No newline at end of file',
        '',
      ].join('\n');
      await refused(ws.applyPatch(link), /patch creates a symbolic link/);
      expect(existsSync(join(repo.base, 'outside.txt'))).toBe(false);
    });
  });

  it('applies a unified diff and reports a non-applying one clearly', async () => {
    const patch = [
      'diff --git a/src/sum.js b/src/sum.js',
      '--- a/src/sum.js',
      '+++ b/src/sum.js',
      '@@ -1,5 +1,9 @@',
      ' function sum(a, b) {',
      '   return a + b;',
      ' }',
      ' ',
      '-module.exports = { sum };',
      '+function product(a, b) {',
      '+  return a * b;',
      '+}',
      '+',
      '+module.exports = { sum, product };',
      'diff --git a/src/extra.js b/src/extra.js',
      'new file mode 100644',
      '--- /dev/null',
      '+++ b/src/extra.js',
      '@@ -0,0 +1 @@',
      "+module.exports = 'extra';",
      '',
    ].join('\n');
    expect(await ws.applyPatch(patch)).toEqual({ files: ['src/sum.js', 'src/extra.js'] });
    expect(await ws.read('src/sum.js')).toContain('module.exports = { sum, product };');
    expect(await ws.read('src/extra.js')).toBe("module.exports = 'extra';\n");

    // A plain diff of repository-relative paths (no a/ b/ prefixes) applies as well.
    const plain = [
      '--- src/extra.js',
      '+++ src/extra.js',
      '@@ -1 +1 @@',
      "-module.exports = 'extra';",
      "+module.exports = 'plain';",
      '',
    ].join('\n');
    expect(await ws.applyPatch(plain)).toEqual({ files: ['src/extra.js'] });
    expect(await ws.read('src/extra.js')).toBe("module.exports = 'plain';\n");
    const plainEscape = ['--- ../x.js', '+++ ../x.js', '@@ -0,0 +1 @@', '+x', ''].join('\n');
    await expect(ws.applyPatch(plainEscape)).rejects.toThrow(/patch path "..\/x.js" escapes the workspace/);

    const stale = [
      '--- a/src/sum.js',
      '+++ b/src/sum.js',
      '@@ -1,3 +1,3 @@',
      ' function sum(a, b) {',
      '-  return a - b;',
      '+  return b - a;',
      ' }',
      '',
    ].join('\n');
    await expect(ws.applyPatch(stale)).rejects.toThrow(/patch does not apply: .*src\/sum\.js/s);
    await expect(ws.applyPatch('this is not a diff')).rejects.toThrow(/patch could not be read: .*No valid patches/);
    await expect(ws.applyPatch('')).rejects.toThrow('patch is empty');
    // A failed patch leaves the tree as it was.
    expect(await ws.read('src/sum.js')).toContain('return a + b;');
  });

  it('summarizes the change against the target, committed and uncommitted, including new and deleted files', async () => {
    expect(await ws.diff()).toEqual({ patch: '', files: [], added: 0, removed: 0 });
    await ws.write('src/sum.js', 'function sum(a, b) {\n  return b + a;\n}\n\nmodule.exports = { sum };\n');
    await ws.commitAll('Swap operands');
    await ws.write('src/new.js', 'one\ntwo\n');
    sh(ws.dir, 'rm', '--quiet', 'README.md');
    sh(ws.dir, 'mv', 'test/sum.test.js', 'test/sum.spec.js');
    const d = await ws.diff();
    expect(d.files).toEqual(
      expect.arrayContaining([
        { path: 'src/sum.js', status: 'modified', added: 1, removed: 1 },
        { path: 'src/new.js', status: 'added', added: 2, removed: 0 },
        { path: 'README.md', status: 'deleted', added: 0, removed: 3 },
        { path: 'test/sum.spec.js', status: 'renamed', oldPath: 'test/sum.test.js', added: 0, removed: 0 },
      ]),
    );
    expect(d.files).toHaveLength(4);
    expect(d.added).toBe(3);
    expect(d.removed).toBe(4);
    expect(d.patch).toContain('+++ b/src/new.js');
    expect(d.patch).toContain('-  return a + b;');
    // The real index was not touched by the summary.
    expect(sh(ws.dir, 'status', '--porcelain')).toContain('?? src/new.js');
  });

  it('sees a same-size edit whose timestamps match the index (git would trust the stat data of a copied index)', async () => {
    const file = join(ws.dir, 'src/sum.js');
    const index = statSync(join(ws.dir, '.git', 'index'));
    const before = readFileSync(file, 'utf8');
    await ws.write('src/sum.js', before.replace('a + b', 'a - b'));
    // Same size, and the file's times set to the index's: only the content tells the edit apart.
    utimesSync(file, index.atime, index.mtime);
    await new Promise((r) => setTimeout(r, 1_100));
    const d = await ws.diff();
    expect(d.files).toEqual([{ path: 'src/sum.js', status: 'modified', added: 1, removed: 1 }]);
    expect(await ws.commitAll('Subtract')).toMatch(/^[0-9a-f]{40}$/);
  });

  it('commits everything, returns null when nothing changed, and pushes only the change branch', async () => {
    expect(await ws.commitAll('nothing')).toBeNull();
    await ws.write('src/sum.js', 'module.exports = { sum: (a, b) => a + b };\n');
    const sha = await ws.commitAll('Shorter sum');
    expect(sha).toMatch(/^[0-9a-f]{40}$/);
    expect(sh(ws.dir, 'log', '-1', '--format=%an <%ae>|%s')).toBe(`${AUTHOR.name} <${AUTHOR.email}>|Shorter sum`);
    await ws.push();
    expect(repo.fileAt('juggernaut/c1-sum', 'src/sum.js')).toBe('module.exports = { sum: (a, b) => a + b };');
    expect(repo.log('main')).toEqual(['seed']);

    // A second push after another commit is a fast-forward of the same branch.
    await ws.write('README.md', 'changed\n');
    await ws.commitAll('Readme');
    await ws.push();
    expect(repo.log('juggernaut/c1-sum')).toEqual(['Readme', 'Shorter sum', 'seed']);

    // Whatever is checked out, push only ever sends the change branch.
    sh(ws.dir, 'checkout', '--quiet', '-B', 'main', 'origin/main');
    await ws.write('README.md', 'sneaky\n');
    sh(ws.dir, 'commit', '--quiet', '-am', 'sneaky');
    await expect(ws.push()).rejects.toThrow(
      /workspace is on "refs\/heads\/main", not the change branch "juggernaut\/c1-sum"/,
    );
    await expect(ws.commitAll('more')).rejects.toBeInstanceOf(WorkspaceError);
    expect(repo.log('main')).toEqual(['seed']);
  });

  it('refuses a change branch equal to the target, outside the prefix, or not a branch name', async () => {
    const base = { root: repo.root, cloneUrl: repo.remote, targetBranch: 'main', author: AUTHOR };
    await expect(Workspace.create({ ...base, branch: 'main' })).rejects.toThrow(
      /branch "main" must differ from targetBranch/,
    );
    await expect(Workspace.create({ ...base, branch: 'feature/x', branchPrefix: 'juggernaut/' })).rejects.toThrow(
      /must start with "juggernaut\/"/,
    );
    await expect(Workspace.create({ ...base, branch: 'juggernaut/bad..name' })).rejects.toThrow(
      /branch "juggernaut\/bad..name" is not a valid branch name/,
    );
    await expect(Workspace.create({ ...base, branch: 'juggernaut/x', targetBranch: 'nope' })).rejects.toThrow(
      /targetBranch "nope" does not exist/,
    );
    await expect(
      Workspace.create({ ...base, branch: 'juggernaut/x', cloneUrl: join(repo.base, 'missing.git') }),
    ).rejects.toThrow(/git clone failed/);
  });

  it('resumes a pushed change branch and refuses to overwrite a branch someone else moved', async () => {
    await ws.write('src/a.js', 'a\n');
    await ws.commitAll('first');
    await ws.push();
    const resumed = await Workspace.resume({
      root: repo.root,
      cloneUrl: repo.remote,
      targetBranch: 'main',
      branch: 'juggernaut/c1-sum',
      author: AUTHOR,
    });
    try {
      expect(await resumed.read('src/a.js')).toBe('a\n');
      await resumed.write('src/b.js', 'b\n');
      await resumed.commitAll('second');
      await resumed.push();
      expect(repo.log('juggernaut/c1-sum')).toEqual(['second', 'first', 'seed']);
      // The first workspace is now behind: its push must not clobber the resumed work.
      await ws.write('src/c.js', 'c\n');
      await ws.commitAll('stale');
      await expect(ws.push()).rejects.toThrow(/git push failed/);
      expect(repo.log('juggernaut/c1-sum')).toEqual(['second', 'first', 'seed']);
    } finally {
      await resumed.dispose();
    }
    // Resuming a branch that was never pushed starts from the target.
    const fresh = await Workspace.resume({
      root: repo.root,
      cloneUrl: repo.remote,
      targetBranch: 'main',
      branch: 'juggernaut/never',
      author: AUTHOR,
    });
    expect(await fresh.list()).toEqual(['README.md', 'package.json', 'src/sum.js', 'test/sum.test.js']);
    await fresh.dispose();
  });
});
