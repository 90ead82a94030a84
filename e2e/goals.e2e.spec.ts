import type { GoalV1, RequestSubject, RequestSubjectMap } from '@juggernaut/contracts';
import type { NatsConnection } from '@nats-io/transport-node';
import { apiClient, connectTestNats, TestStack } from '@juggernaut/testing';
import { governanceApi } from '../apps/governance-api/src/service';
import { taskDispatcher } from '../apps/task-dispatcher/src/service';

const ADMIN = 'goals-admin-key-0123456789abcdef';

/** Goals through the REST API: success criteria, budget, progress rolled up from their tasks, audited changes. */
describe('goals', () => {
  let stack: TestStack;
  let nc: NatsConnection;
  let url: string;
  let api: ReturnType<typeof apiClient>;
  const wire = (s: string) => `${stack.namespace}.${s}`;
  /** The raw reply envelope, read without narrowing: `data` on success, `error` on refusal. */
  type Envelope<T> = { ok: boolean; data: T; error: { status: number; message: string | string[] } };
  const rpc = async <S extends RequestSubject>(subject: S, body: unknown) =>
    (await nc.request(wire(subject), JSON.stringify(body), { timeout: 5_000 })).json<
      Envelope<RequestSubjectMap[S]['reply']>
    >();
  const goal = (over: Record<string, unknown> = {}) => ({
    title: 'First $1,000 of monthly recurring revenue',
    description: 'Subscriptions for the scanner',
    successCriteria: ['MRR >= 100000 minor units'],
    budgetMinor: 250_000,
    currency: 'USD',
    ...over,
  });

  beforeAll(async () => {
    stack = await TestStack.create('goals');
    url = (await stack.start(governanceApi, { JUGGERNAUT_ADMIN_KEY: ADMIN })).url;
    api = apiClient(url, ADMIN);
    await stack.start(taskDispatcher);
    nc = await connectTestNats();
  });

  afterAll(async () => {
    await nc?.close();
    await stack?.close();
  });

  it('creates a goal with its criteria and budget, and audits who created it', async () => {
    const created = await api.post('/api/v1/goals', goal());
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ ...goal(), status: 'active', dueAt: null, createdBy: 'bootstrap-admin' });
    const read = await api.get(`/api/v1/goals/${created.body.id}`);
    expect(read.body).toMatchObject({
      id: created.body.id,
      progress: { total: 0, succeeded: 0, fraction: 0, byStatus: {} },
    });
    const audit = await api.get(`/api/v1/audit?action=goal.create&resourceId=${created.body.id}`);
    expect(audit.body.items).toHaveLength(1);
    expect(audit.body.items[0]).toMatchObject({
      actor: 'bootstrap-admin',
      resourceType: 'goals',
      after: { id: created.body.id, budgetMinor: 250_000 },
    });
  });

  it('refuses a bad goal naming the field, a viewer writing, and an unknown goal', async () => {
    const bad = await api.post('/api/v1/goals', goal({ budgetMinor: -1 }));
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain('budgetMinor');
    const noCriteria = await api.post('/api/v1/goals', { title: 'x' });
    expect(noCriteria.status).toBe(400);
    expect(JSON.stringify(noCriteria.body)).toContain('successCriteria');
    const viewer = apiClient(
      url,
      (await api.post('/api/v1/api-keys', { name: 'goal-viewer', role: 'viewer' })).body.key,
    );
    expect((await viewer.post('/api/v1/goals', goal())).status).toBe(403);
    expect((await viewer.get('/api/v1/goals')).status).toBe(200);
    expect((await api.get('/api/v1/goals/6f1c7d2e-0000-4000-8000-000000000000')).status).toBe(404);
    expect((await api.patch('/api/v1/goals/6f1c7d2e-0000-4000-8000-000000000000', { status: 'achieved' })).status).toBe(
      404,
    );
  });

  it('rolls progress up from the tasks under the goal', async () => {
    const id = (await api.post('/api/v1/goals', goal({ title: 'progress' }))).body.id as string;
    const type = 'goal.work';
    for (let i = 0; i < 3; i++)
      expect((await api.post('/api/v1/tasks', { type, goalId: id, title: `step ${i}` })).status).toBe(201);
    await api.post('/api/v1/tasks', { type }); // not under the goal
    const claimed = await rpc('juggernaut.task.claim.v1', {
      workerId: 'goal-worker',
      level: 5,
      capabilities: [],
      types: [type],
      max: 1,
    });
    const task = claimed.data.tasks[0]!;
    const finished = await rpc('juggernaut.task.finish.v1', {
      workerId: 'goal-worker',
      results: [{ taskId: task.id, claimToken: task.claimToken, outcome: 'succeeded', result: {} }],
    });
    expect(finished.data.accepted).toHaveLength(1);

    const read = await api.get(`/api/v1/goals/${id}`);
    expect(read.body.progress).toMatchObject({ total: 3, succeeded: 1, byStatus: { succeeded: 1, pending: 2 } });
    expect(read.body.progress.fraction).toBeCloseTo(1 / 3, 10);
    const detail = await api.get<{ tasks: Array<{ title: string }> }>(`/api/v1/goals/${id}/progress`);
    expect(detail.body.tasks.map((t) => t.title)).toEqual(['step 0', 'step 1', 'step 2']);
    expect(detail.body).toMatchObject({ total: 3, succeeded: 1, tasksTruncated: false });
  });

  it('counts every task of a large goal, listing only the newest thousand', async () => {
    const id = (await api.post('/api/v1/goals', goal({ title: 'large' }))).body.id as string;
    for (let chunk = 0; chunk < 21; chunk++) {
      const replies = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          rpc('juggernaut.task.submit.v1', { type: 'goal.bulk', goalId: id, title: `bulk ${chunk * 50 + i}` }),
        ),
      );
      expect(replies.every((r) => r.ok)).toBe(true);
    }
    const read = await api.get(`/api/v1/goals/${id}`);
    expect(read.body.progress).toMatchObject({ total: 1_050, succeeded: 0, fraction: 0, byStatus: { pending: 1_050 } });
    const detail = await api.get(`/api/v1/goals/${id}/progress`);
    expect(detail.body).toMatchObject({ total: 1_050, tasksTruncated: true });
    expect(detail.body.tasks).toHaveLength(1_000);
    expect(await rpc('juggernaut.task.count.v1', { goalId: id })).toEqual({
      ok: true,
      data: { total: 1_050, byStatus: { pending: 1_050 } },
    });
    expect((await rpc('juggernaut.task.count.v1', { goalId: 'not-a-uuid' })).ok).toBe(false);
  });

  it('changes a goal with its before and after audited, filters by status, and answers planners over NATS', async () => {
    const id = (await api.post('/api/v1/goals', goal({ title: 'to be achieved' }))).body.id as string;
    const changed = await api.patch(`/api/v1/goals/${id}`, { status: 'achieved', budgetMinor: 300_000 });
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({ status: 'achieved', budgetMinor: 300_000, title: 'to be achieved' });
    const audit = await api.get(`/api/v1/audit?action=goal.update&resourceId=${id}`);
    expect(audit.body.items[0]).toMatchObject({
      before: { status: 'active', budgetMinor: 250_000 },
      after: { status: 'achieved', budgetMinor: 300_000 },
    });

    const achieved = await api.get<{ items: GoalV1[] }>('/api/v1/goals?status=achieved');
    expect(achieved.body.items.map((g) => g.id)).toContain(id);
    expect(achieved.body.items.every((g) => g.status === 'achieved')).toBe(true);
    expect((await api.get('/api/v1/goals?status=done')).status).toBe(400);

    const got = await rpc('juggernaut.goal.get.v1', { id });
    expect(got).toMatchObject({
      ok: true,
      data: { id, status: 'achieved', successCriteria: ['MRR >= 100000 minor units'] },
    });
    const missing = await rpc('juggernaut.goal.get.v1', { id: '6f1c7d2e-0000-4000-8000-000000000000' });
    expect(missing).toMatchObject({ ok: false, error: { status: 404 } });
  });

  it('pages through goals newest first', async () => {
    for (let i = 0; i < 3; i++) await api.post('/api/v1/goals', goal({ title: `page ${i}` }));
    const first = await api.get<{ items: GoalV1[]; nextCursor: string }>('/api/v1/goals?limit=2');
    expect(first.body.items).toHaveLength(2);
    const second = await api.get<{ items: GoalV1[] }>(
      `/api/v1/goals?limit=2&cursor=${encodeURIComponent(first.body.nextCursor)}`,
    );
    const ids = [...first.body.items, ...second.body.items].map((g) => g.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(first.body.items[0].title).toBe('page 2');
  });
});
