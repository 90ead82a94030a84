import { apiClient, connectTestNats, natsRpc, TestStack } from '@juggernaut/testing';
import type { NatsConnection } from '@nats-io/transport-node';
import { devBot } from '../apps/dev-bot/src/service';
import { governanceApi } from '../apps/governance-api/src/service';
import { taskDispatcher } from '../apps/task-dispatcher/src/service';

const ADMIN = 'devbot-api-admin-key-0123456789abcdef';

/**
 * Registering repositories and filing change requests through the REST API and NATS: validation,
 * roles, the dev.change task each change is carried out by, lists and filters. No model is
 * configured here, so the changes stay queued.
 */
describe('dev-bot changes and repositories through the API', () => {
  let stack: TestStack;
  let url: string;
  let nc: NatsConnection;
  const admin = () => apiClient(url, ADMIN);
  const keyFor = async (role: string, name = `devbot-${role}`) =>
    (await admin().post('/api/v1/api-keys', { name, role })).body.key as string;

  beforeAll(async () => {
    stack = await TestStack.create('devbotapi');
    url = (await stack.start(governanceApi, { JUGGERNAUT_ADMIN_KEY: ADMIN })).url;
    await stack.start(taskDispatcher);
    await stack.start(devBot);
    nc = await connectTestNats();
  });

  afterAll(async () => {
    await nc?.close();
    await stack?.close();
  });

  it('registers a repository with its checks, gate policy and forge, and shows it', async () => {
    const r = await admin().post('/api/v1/repositories', {
      name: 'shop',
      cloneUrl: '/srv/git/shop.git',
      defaultBranch: 'trunk',
      checks: [{ name: 'test', command: 'npm test' }],
      gatePolicy: { maxFiles: 5 },
      forge: { kind: 'local' },
    });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({
      name: 'shop',
      cloneUrl: '/srv/git/shop.git',
      defaultBranch: 'trunk',
      checks: [{ name: 'test', command: 'npm test' }],
      gatePolicy: { maxFiles: 5 },
      forge: { kind: 'local' },
    });
    expect((await admin().get('/api/v1/repositories/shop')).body).toMatchObject({
      name: 'shop',
      defaultBranch: 'trunk',
    });
    expect((await admin().get('/api/v1/repositories')).body.map((x: { name: string }) => x.name)).toContain('shop');

    const again = await admin().post('/api/v1/repositories', { name: 'shop', cloneUrl: '/srv/git/shop.git' });
    expect(again.body).toMatchObject({ defaultBranch: 'main', checks: [], forge: { kind: 'local' } });
    await admin().post('/api/v1/repositories', { name: 'shop', cloneUrl: '/srv/git/shop.git', defaultBranch: 'trunk' });
  });

  it('refuses bad repositories with a message naming the field, and unknown ones with 404', async () => {
    const bad = await admin().post('/api/v1/repositories', {
      name: 'Bad Name',
      cloneUrl: '-uhack',
      forge: { kind: 'github' },
      checks: [{ name: 'x' }],
    });
    expect(bad.status).toBe(400);
    const text = JSON.stringify(bad.body.message);
    for (const field of ['name', 'cloneUrl', 'forge.repository', 'checks.0.command']) expect(text).toContain(field);
    const creds = await admin().post('/api/v1/repositories', {
      name: 'leaky',
      cloneUrl: 'https://bot:hunter2@example.com/x.git',
    });
    expect(creds.status).toBe(400);
    expect(JSON.stringify(creds.body.message)).toContain('cloneUrl');
    expect((await admin().get('/api/v1/repositories/nope')).status).toBe(404);
  });

  it('files a change: 201 with the view, queued, on its own juggernaut/ branch, carried by a dev.change task', async () => {
    const operator = apiClient(url, await keyFor('operator'));
    const r = await operator.post('/api/v1/changes', {
      repository: 'shop',
      goal: 'Add a --verbose flag to the CLI.\nIt prints each step.',
    });
    expect(r.status).toBe(201);
    const change = r.body;
    expect(change).toMatchObject({
      repository: 'shop',
      targetBranch: 'trunk',
      title: 'Add a --verbose flag to the CLI.',
      status: 'queued',
      requestedBy: 'devbot-operator',
      attempts: { made: 0, max: 3 },
      diff: null,
      checks: [],
      review: null,
      pullRequest: null,
      mergeCommit: null,
      costMinor: 0,
      currency: 'USD',
    });
    expect(change.branch).toBe(`juggernaut/${change.id}-add-a-verbose-flag-to-the-cli`);
    expect(change.steps).toEqual([
      expect.objectContaining({ stage: 'queued', message: expect.stringContaining('devbot-operator') }),
    ]);
    expect(change.taskId).toEqual(expect.any(String));
    const task = (await admin().get(`/api/v1/tasks/${change.taskId}`)).body;
    expect(task).toMatchObject({
      type: 'dev.change',
      payload: { changeId: change.id },
      requiredLevel: 4,
      requiredCapabilities: ['dev-bot'],
      idempotencyKey: `change:${change.id}`,
    });

    expect((await admin().get(`/api/v1/changes/${change.id}`)).body).toMatchObject({ id: change.id, status: 'queued' });
    const other = (
      await admin().post('/api/v1/changes', {
        repository: 'shop',
        targetBranch: 'release/2',
        title: 'Bump',
        goal: 'bump the version',
      })
    ).body;
    expect(other).toMatchObject({ targetBranch: 'release/2', title: 'Bump', branch: `juggernaut/${other.id}-bump` });

    const page1 = (await admin().get('/api/v1/changes?repository=shop&limit=1')).body;
    expect(page1.items.map((c: { id: string }) => c.id)).toEqual([other.id]);
    const page2 = (await admin().get(`/api/v1/changes?repository=shop&limit=1&cursor=${page1.nextCursor}`)).body;
    expect(page2.items.map((c: { id: string }) => c.id)).toEqual([change.id]);
    expect((await admin().get('/api/v1/changes?status=merged')).body.items).toEqual([]);
    expect((await admin().get('/api/v1/changes?status=queued')).body.items).toHaveLength(2);
  });

  it('refuses bad change requests: fields named, unknown repository 404, viewers 403', async () => {
    const bad = await admin().post('/api/v1/changes', {
      repository: '../etc',
      targetBranch: 'a..b',
      goal: '',
      extra: 1,
    });
    expect(bad.status).toBe(400);
    for (const field of ['repository', 'targetBranch', 'goal', 'extra'])
      expect(JSON.stringify(bad.body.message)).toContain(field);
    const missing = await admin().post('/api/v1/changes', { repository: 'unknown', goal: 'do it' });
    expect(missing.status).toBe(404);
    expect(missing.body.message).toContain('unknown');
    const viewer = apiClient(url, await keyFor('viewer'));
    expect((await viewer.post('/api/v1/changes', { repository: 'shop', goal: 'x' })).status).toBe(403);
    expect((await viewer.post('/api/v1/repositories', { name: 'x', cloneUrl: '/x' })).status).toBe(403);
    expect(
      (
        await apiClient(url, await keyFor('operator', 'devbot-operator-2')).post('/api/v1/repositories', {
          name: 'x',
          cloneUrl: '/x',
        })
      ).status,
    ).toBe(403);
    expect((await viewer.get('/api/v1/changes')).status).toBe(200);
    expect((await admin().get('/api/v1/changes/7d1f0c9e-5a57-4c39-9c3e-0a6cf0c5a001')).status).toBe(404);
    expect((await admin().get('/api/v1/changes?cursor=garbage')).status).toBe(400);
  });

  it('answers the same over NATS request/reply, refusing invalid payloads with the field', async () => {
    const rpc = natsRpc(nc, stack.namespace);
    const view = await rpc.call('juggernaut.change.create.v1', { repository: 'shop', goal: 'rename a function' });
    expect(view).toMatchObject({ status: 'queued', requestedBy: null });
    expect(await rpc.call('juggernaut.change.get.v1', { id: view.id })).toMatchObject({ id: view.id });
    const refused = await rpc.error('juggernaut.change.create.v1', { repository: 'shop' });
    expect(refused.status).toBe(400);
    expect(refused.message).toContain('goal');
  });
});
