import { redactString } from '@juggernaut/observability';
import { FakeGitHub } from '@juggernaut/testing';
import { createServer } from 'node:net';
import { ForgeError, GitHubForge } from '../src/forge/forge';

const TOKEN = 'ghp_forgeTestToken0123456789abcdefghijklmn';

describe('GitHub forge over the REST API', () => {
  let gh: FakeGitHub;
  let forge: GitHubForge;

  beforeEach(async () => {
    gh = await new FakeGitHub('acme/shop', TOKEN).start();
    forge = new GitHubForge({ token: TOKEN, repository: 'acme/shop', apiUrl: gh.url, retries: 2 });
  });
  afterEach(() => gh.stop());

  it('opens a pull request with the branch, target, title and body, authenticated with the token', async () => {
    const pr = await forge.openPullRequest({
      branch: 'juggernaut/c1-fix',
      targetBranch: 'main',
      title: 'Fix sum',
      body: 'Goal: fix sum.',
    });
    expect(pr).toEqual({ number: 1, url: 'https://github.com/acme/shop/pull/1' });
    expect(gh.requests).toHaveLength(1);
    const r = gh.requests[0]!;
    expect(r).toMatchObject({
      method: 'POST',
      path: '/repos/acme/shop/pulls',
      body: { title: 'Fix sum', head: 'juggernaut/c1-fix', base: 'main', body: 'Goal: fix sum.' },
    });
    expect(r.headers['authorization']).toBe(`Bearer ${TOKEN}`);
    expect(r.headers['accept']).toBe('application/vnd.github+json');
    expect(r.headers['x-github-api-version']).toBe('2022-11-28');
    expect(gh.pulls[0]).toMatchObject({ number: 1, head: 'juggernaut/c1-fix', base: 'main', state: 'open' });
  });

  it('returns the open pull request when one already exists for the branch, without a duplicate', async () => {
    const first = await forge.openPullRequest({ branch: 'juggernaut/c1', targetBranch: 'main', title: 'A', body: 'a' });
    const again = await forge.openPullRequest({ branch: 'juggernaut/c1', targetBranch: 'main', title: 'A', body: 'a' });
    expect(again).toEqual(first);
    expect(gh.pulls).toHaveLength(1);
    expect(gh.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'POST /repos/acme/shop/pulls',
      'POST /repos/acme/shop/pulls',
      'GET /repos/acme/shop/pulls',
    ]);
    expect(gh.requests[2]!.query).toEqual({ head: 'acme:juggernaut/c1', base: 'main', state: 'open' });
  });

  it('squash-merges and returns the merge commit; a second merge is refused with GitHub’s reason', async () => {
    const pr = await forge.openPullRequest({ branch: 'juggernaut/c2', targetBranch: 'main', title: 'B', body: 'b' });
    const { commit } = await forge.merge({ number: pr.number, title: 'B (#1)', message: 'Squashed by Juggernaut.' });
    expect(commit).toMatch(/^[0-9a-f]{40}$/);
    expect(commit).toBe(gh.pulls[0]!.mergeCommit);
    expect(gh.requests.at(-1)).toMatchObject({
      method: 'PUT',
      path: '/repos/acme/shop/pulls/1/merge',
      body: { merge_method: 'squash', commit_title: 'B (#1)', commit_message: 'Squashed by Juggernaut.' },
    });
    const err = await forge.merge({ number: pr.number, title: 'B', message: 'again' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ForgeError);
    expect(err).toMatchObject({
      status: 405,
      message: 'GitHub refused to PUT /pulls/1/merge in acme/shop (HTTP 405): Pull Request is not mergeable',
    });
  });

  it('comments on the pull request', async () => {
    const pr = await forge.openPullRequest({ branch: 'juggernaut/c3', targetBranch: 'main', title: 'C', body: 'c' });
    await forge.comment({ number: pr.number, body: 'Checks failed: test' });
    expect(gh.pulls[0]!.comments).toEqual(['Checks failed: test']);
    expect(gh.requests.at(-1)).toMatchObject({ method: 'POST', path: '/repos/acme/shop/issues/1/comments' });
    await expect(forge.comment({ number: pr.number, body: ' ' })).rejects.toThrow('comment body must not be empty');
    await expect(forge.comment({ number: 0, body: 'x' })).rejects.toThrow(
      'pull request number must be a positive integer',
    );
  });

  it('reports a rejected token without ever repeating it', async () => {
    const wrong = new GitHubForge({
      token: 'ghp_wrongToken0123456789abcdefghijklmnopq',
      repository: 'acme/shop',
      apiUrl: gh.url,
    });
    const err = (await wrong
      .openPullRequest({ branch: 'juggernaut/x', targetBranch: 'main', title: 't', body: 'b' })
      .catch((e: unknown) => e)) as ForgeError;
    expect(err).toBeInstanceOf(ForgeError);
    expect(err.status).toBe(401);
    expect(err.message).toBe('GitHub refused to POST /pulls in acme/shop (HTTP 401): Bad credentials');
    expect(JSON.stringify({ message: err.message, stack: err.stack })).not.toContain('ghp_wrongToken');
    // The token is registered with the log redactor.
    expect(redactString(`token=${TOKEN}`)).toBe('token=[REDACTED]');
    expect(GitHubForge.cloneUrl('acme/shop', TOKEN)).toBe(`https://x-access-token:${TOKEN}@github.com/acme/shop.git`);
    expect(redactString(GitHubForge.cloneUrl('acme/shop', TOKEN))).not.toContain(TOKEN);
  });

  it('names GitHub’s validation errors', async () => {
    gh.failures.push({
      status: 422,
      body: {
        message: 'Validation Failed',
        errors: [{ resource: 'PullRequest', code: 'invalid', message: 'No commits between main and juggernaut/empty' }],
      },
    });
    await expect(
      forge.openPullRequest({ branch: 'juggernaut/empty', targetBranch: 'main', title: 't', body: 'b' }),
    ).rejects.toThrow(
      'GitHub refused to open a pull request in acme/shop (HTTP 422): Validation Failed; No commits between main and juggernaut/empty',
    );
  });

  it('retries a gateway error a bounded number of times', async () => {
    gh.failures.push({ status: 503, body: { message: 'Service Unavailable' } });
    const pr = await forge.openPullRequest({ branch: 'juggernaut/c4', targetBranch: 'main', title: 'D', body: 'd' });
    expect(pr.number).toBe(1);
    expect(gh.requests).toHaveLength(2);

    gh.failures.push({ status: 502 }, { status: 502 }, { status: 502 });
    await expect(forge.comment({ number: 1, body: 'x' })).rejects.toMatchObject({ status: 502 });
    expect(gh.requests).toHaveLength(5);
    expect(gh.pulls[0]!.comments).toEqual([]);
  });

  it('fails clearly when GitHub cannot be reached', async () => {
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const down = new GitHubForge({
      token: TOKEN,
      repository: 'acme/shop',
      apiUrl: `http://127.0.0.1:${port}`,
      retries: 1,
    });
    const err = (await down.comment({ number: 1, body: 'x' }).catch((e: unknown) => e)) as ForgeError;
    expect(err).toBeInstanceOf(ForgeError);
    expect(err.status).toBeNull();
    expect(err.message).toMatch(/^GitHub could not be reached for POST \/issues\/1\/comments/);
  });

  it('refuses bad configuration, naming the setting', () => {
    expect(() => new GitHubForge({ token: '', repository: 'acme/shop' })).toThrow('GitHub token must be set');
    expect(() => new GitHubForge({ token: TOKEN, repository: 'acme' })).toThrow(
      'GitHub repository "acme" must be owner/name',
    );
    expect(() => new GitHubForge({ token: TOKEN, repository: 'acme/shop', apiUrl: 'ftp://x' })).toThrow(
      'GitHub apiUrl "ftp://x" must be an http(s) URL',
    );
    expect(new GitHubForge({ token: TOKEN, repository: 'acme/shop' }).kind).toBe('github');
  });
});
