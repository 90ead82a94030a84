import { execFileSync } from 'node:child_process';
import { redactString } from '@juggernaut/observability';
import { runChecks } from '../src/checks/check-runner';
import { squashMerge } from '../src/git/merge';
import { Workspace } from '../src/workspace/workspace';
import { GitHttpServer } from './repo-git-http';
import { AUTHOR, type SampleRepo, sampleRepo } from './repo-fixture';

const TOKEN = 'ghs_credTestToken0123456789abcdefghijklmn';

describe('a remote over HTTP with a token in the clone URL', () => {
  let repo: SampleRepo;
  let server: GitHttpServer;

  beforeEach(async () => {
    repo = sampleRepo();
    server = await new GitHttpServer(repo.base, 'x-access-token', TOKEN).start();
  });
  afterEach(async () => {
    await server.stop();
    repo.cleanup();
  });

  const url = (token = TOKEN) => `http://x-access-token:${token}@127.0.0.1:${server.port}/remote.git`;

  it('clones, pushes and merges with the token, which never lands in the clone or the checks', async () => {
    const ws = await Workspace.create({
      root: repo.root,
      cloneUrl: url(),
      targetBranch: 'main',
      branch: 'juggernaut/http',
      author: AUTHOR,
    });
    try {
      // Nothing under .git holds the token in any form.
      const basic = Buffer.from(`x-access-token:${TOKEN}`).toString('base64');
      const found = execFileSync('sh', ['-c', `grep -rl -e '${TOKEN}' -e '${basic}' .git || true`], {
        cwd: ws.dir,
        encoding: 'utf8',
      });
      expect(found).toBe('');
      expect(execFileSync('git', ['config', 'remote.origin.url'], { cwd: ws.dir, encoding: 'utf8' }).trim()).toBe(
        `http://127.0.0.1:${server.port}/remote.git`,
      );
      const checks = await runChecks(
        ws.dir,
        [{ name: 'look', command: `cat .git/config; grep -r '${TOKEN.slice(0, 12)}' .git && exit 9; exit 0` }],
        { timeoutMs: 10_000 },
      );
      expect(checks.ok).toBe(true);

      await ws.write('src/http.js', 'module.exports = "over http";\n');
      await ws.commitAll('Over HTTP');
      await ws.push();
    } finally {
      await ws.dispose();
    }
    expect(repo.fileAt('juggernaut/http', 'src/http.js')).toBe('module.exports = "over http";');
    const { commit } = await squashMerge({
      root: repo.root,
      cloneUrl: url(),
      targetBranch: 'main',
      branch: 'juggernaut/http',
      message: 'Over HTTP (#1)',
      author: AUTHOR,
    });
    expect(repo.log('main')).toEqual(['Over HTTP (#1)', 'seed']);
    expect(commit).toMatch(/^[0-9a-f]{40}$/);
    // Every request the server saw carried the credentials as a header.
    expect(
      server.requests.every(
        (r) => r.headers['authorization'] === `Basic ${Buffer.from(`x-access-token:${TOKEN}`).toString('base64')}`,
      ),
    ).toBe(true);
    expect(server.requests.some((r) => r.url.includes('git-receive-pack'))).toBe(true);
  });

  it('fails clearly on a wrong token without repeating it', async () => {
    const wrong = 'ghs_wrongToken0123456789abcdefghijklmnopq';
    const err = (await Workspace.create({
      root: repo.root,
      cloneUrl: url(wrong),
      targetBranch: 'main',
      branch: 'juggernaut/x',
      author: AUTHOR,
    }).catch((e: unknown) => e)) as Error;
    expect(err.message).toMatch(/git clone failed/);
    expect(err.message).not.toContain(wrong);
    expect(redactString(`token ${wrong}`)).not.toContain(wrong);
  });
});
