import type { NatsConnection } from '@nats-io/transport-node';
import { apiClient, connectTestNats, natsRpc, TestStack } from '@juggernaut/testing';
import { Client } from 'pg';
import { devBot } from '../apps/dev-bot/src/service';
import { experimentTracker } from '../apps/experiment-tracker/src/service';
import { governanceApi } from '../apps/governance-api/src/service';
import { revenueLedger } from '../apps/revenue-ledger/src/service';
import { taskDispatcher } from '../apps/task-dispatcher/src/service';

const ADMIN = 'least-privilege-admin-key-0123456789';
const UNKNOWN = '7d1f0c9e-5a57-4c39-9c3e-0a6cf0c5a001';

/**
 * Issue 14 ("least privilege for real") across services: what governance-api forwards to the
 * dispatcher, experiment-tracker, revenue-ledger and dev-bot. Text that cannot be stored is refused
 * before anything is forwarded; a forwarded change is never made without its audit entry; agent
 * keys submit only what the policy lets them, as themselves; readers never see the secrets in
 * tasks and change timelines; forged cursors and bad task-type names are 400s.
 */
/** The fields of an audit entry these tests read. */
type AuditEntry = {
  id: string;
  action: string;
  resourceId: string | null;
  at: string;
  details: { intentId?: string } & Record<string, unknown>;
};

describe('least privilege across services', () => {
  let stack: TestStack;
  let url: string;
  let nc: NatsConnection;
  let pg: Client;
  let agent: ReturnType<typeof apiClient>;
  let operator: ReturnType<typeof apiClient>;
  let viewer: ReturnType<typeof apiClient>;
  const admin = () => apiClient(url, ADMIN);
  const count = async (sql: string, params: unknown[] = []) => Number((await pg.query(sql, params)).rows[0].n);
  const experiment = (name: string, hypothesis = 'A shorter form converts more visitors.') => ({
    name,
    hypothesis,
    primaryMetric: 'conversion',
    budgetMinor: 50_000,
    variants: [
      { key: 'control', weight: 1, control: true },
      { key: 'b', weight: 1 },
    ],
  });
  const keyFor = async (role: string, name: string) =>
    apiClient(url, (await admin().post('/api/v1/api-keys', { name, role })).body.key);

  beforeAll(async () => {
    stack = await TestStack.create('leastpriv');
    url = (await stack.start(governanceApi, { JUGGERNAUT_ADMIN_KEY: ADMIN, JUGGERNAUT_MONITOR_INTERVAL_MS: '3600000' }))
      .url;
    await stack.start(taskDispatcher);
    await stack.start(revenueLedger);
    await stack.start(experimentTracker);
    await stack.start(devBot);
    nc = await connectTestNats();
    pg = new Client({ connectionString: stack.db.url });
    await pg.connect();
    agent = await keyFor('agent', 'agent-smith');
    operator = await keyFor('operator', 'ops-olga');
    viewer = await keyFor('viewer', 'viewer-vic');
  });

  afterAll(async () => {
    await pg?.end();
    await nc?.close();
    await stack?.close();
  });

  describe('text that cannot be stored', () => {
    it('refuses a lone surrogate in tasks and experiments with 400 naming the field, before anything is forwarded or audited', async () => {
      const tasks = await count('SELECT count(*) AS n FROM dispatch.tasks');
      const experiments = await count('SELECT count(*) AS n FROM experiments.experiments');
      const audit = await count('SELECT count(*) AS n FROM governance.audit_log');
      const cases: Array<[string, string, string]> = [
        ['/api/v1/tasks', '{"type":"noop","title":"\\ud800"}', 'title'],
        ['/api/v1/tasks', '{"type":"noop","payload":{"notes":{"text":"ok \\udc00"}}}', 'payload.notes.text'],
        [
          '/api/v1/experiments',
          JSON.stringify(experiment('surrogate', 'h')).replace('"h"', '"h\\ud83d"'),
          'hypothesis',
        ],
      ];
      for (const [path, body, field] of cases) {
        const r = await agent.call('POST', path, body);
        expect({ path, field, status: r.status }).toEqual({ path, field, status: 400 });
        expect(r.body.message).toEqual([`${field} must not contain a lone UTF-16 surrogate (such as \\ud800)`]);
      }
      expect(await count('SELECT count(*) AS n FROM dispatch.tasks')).toBe(tasks);
      expect(await count('SELECT count(*) AS n FROM experiments.experiments')).toBe(experiments);
      expect(await count('SELECT count(*) AS n FROM governance.audit_log')).toBe(audit);
    });

    it('refuses them on the NATS subjects of other services too, naming the field', async () => {
      const rpc = natsRpc(nc, stack.namespace);
      const submit = await rpc.error('juggernaut.task.submit.v1', { type: 'noop', title: 'x\ud800' });
      expect(submit).toEqual({
        status: 400,
        message: JSON.stringify('title must not contain a lone UTF-16 surrogate (such as \\ud800)'),
      });
      expect(
        (await rpc.error('juggernaut.task.submit.v1', { type: 'noop', payload: { ['k\udfff']: 1 } })).message,
      ).toContain('payload.k\\\\udfff must not contain');
    });
  });

  describe('a change another service makes is never made without its audit entry', () => {
    it('writes the intent before forwarding: when it cannot be written, the request is refused and no task exists', async () => {
      await pg.query(`CREATE FUNCTION governance.refuse_marked_audit() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF NEW.details::text LIKE '%refuse-audit-marker%' THEN RAISE EXCEPTION 'audit log unavailable (test)'; END IF;
          RETURN NEW;
        END $$`);
      await pg.query(
        `CREATE TRIGGER refuse_marked_audit BEFORE INSERT ON governance.audit_log FOR EACH ROW EXECUTE FUNCTION governance.refuse_marked_audit()`,
      );
      try {
        const refused = await operator.post('/api/v1/tasks', { type: 'noop', title: 'refuse-audit-marker' });
        expect(refused.status).toBe(503);
        expect(refused.body.message).toContain('nothing was changed');
        const draft = await operator.post('/api/v1/experiments', experiment('refuse-audit-marker'));
        expect(draft.status).toBe(503);
        expect(await count(`SELECT count(*) AS n FROM dispatch.tasks WHERE title = 'refuse-audit-marker'`)).toBe(0);
        expect(
          await count(`SELECT count(*) AS n FROM experiments.experiments WHERE name = 'refuse-audit-marker'`),
        ).toBe(0);
      } finally {
        await pg.query('DROP TRIGGER refuse_marked_audit ON governance.audit_log');
      }
    });

    it('records the intent, then the outcome pointing at it; a refusal by the owning service is recorded as refused', async () => {
      const created = await operator.post('/api/v1/tasks', { type: 'noop', title: 'audited task' });
      expect(created.status).toBe(201);
      const entries = (await admin().get<{ items: AuditEntry[] }>('/api/v1/audit?resourceType=tasks&actor=ops-olga'))
        .body.items;
      const outcome = entries.find((e) => e.action === 'http.post' && e.resourceId === created.body.id)!;
      expect(outcome).toMatchObject({
        after: { id: created.body.id },
        details: { route: 'POST /api/v1/tasks', intentId: expect.any(String) },
      });
      const intent = entries.find((e) => e.id === outcome.details.intentId)!;
      expect(intent).toMatchObject({
        action: 'http.post.intent',
        details: { body: { type: 'noop', title: 'audited task' } },
      });
      expect(new Date(intent.at).getTime()).toBeLessThanOrEqual(new Date(outcome.at).getTime());

      const missing = await operator.post(`/api/v1/tasks/${UNKNOWN}/cancel`, {});
      expect(missing.status).toBe(404);
      const about = (await admin().get<{ items: AuditEntry[] }>(`/api/v1/audit?resourceId=${UNKNOWN}`)).body.items;
      expect(about.map((e) => e.action).sort()).toEqual(['http.post.intent', 'http.post.refused']);
      expect(about.find((e) => e.action === 'http.post.refused')!.details).toMatchObject({
        status: 404,
        intentId: about.find((e) => e.action === 'http.post.intent')!.id,
      });
    });
  });

  describe('agents act only within their role', () => {
    it('refuses dev.change, goal.plan and level-5 tasks from agent keys with 403 naming the rule; other tasks pass', async () => {
      const devChange = await agent.post('/api/v1/tasks', {
        type: 'dev.change',
        requiredLevel: 4,
        payload: { repository: 'shop', goal: 'x', requestedBy: 'bootstrap-admin' },
      });
      expect(devChange.status).toBe(403);
      expect(devChange.body.message).toContain('permissions.taskSubmitters');
      expect(devChange.body.message).toContain('"dev.change"');
      const plan = await agent.post('/api/v1/tasks', { type: 'goal.plan', payload: { goal: 'take over' } });
      expect(plan.status).toBe(403);
      expect(plan.body.message).toContain('"goal.plan"');
      const l5 = await agent.post('/api/v1/tasks', {
        type: 'agent.goal',
        requiredLevel: 5,
        payload: { goal: 'plan everything' },
      });
      expect(l5.status).toBe(403);
      expect(l5.body.message).toContain('permissions.agentMaxSubmitLevel');
      expect(
        await count(
          `SELECT count(*) AS n FROM dispatch.tasks WHERE type IN ('dev.change', 'goal.plan') OR required_level = 5`,
        ),
      ).toBe(0);
      expect(
        (await agent.post('/api/v1/tasks', { type: 'agent.goal', requiredLevel: 3, payload: { goal: 'research' } }))
          .status,
      ).toBe(201);
      expect((await agent.post('/api/v1/changes', { repository: 'shop', goal: 'x' })).status).toBe(403);
      // nor through a batch: one task the key may not submit refuses the batch, naming it
      const batch = await agent.post('/api/v1/tasks/batch', {
        tasks: [
          { type: 'noop', title: 'fine' },
          { type: 'dev.change', payload: { repository: 'shop', goal: 'x' } },
        ],
      });
      expect(batch.status).toBe(403);
      expect(batch.body.message).toContain('tasks.1: policy rule permissions.taskSubmitters');
      expect(
        await count(
          `SELECT count(*) AS n FROM dispatch.tasks WHERE type IN ('dev.change', 'goal.plan') OR required_level = 5 OR title = 'fine'`,
        ),
      ).toBe(0);
    });

    it('sets who requested a task from the key, never from the body', async () => {
      const change = await operator.post('/api/v1/tasks', {
        type: 'dev.change',
        requiredLevel: 4,
        requiredCapabilities: ['dev-bot'],
        payload: { repository: 'shop', goal: 'tidy up', requestedBy: 'bootstrap-admin' },
      });
      expect(change.status).toBe(201);
      expect((await admin().get(`/api/v1/tasks/${change.body.id}`)).body.payload).toEqual({
        repository: 'shop',
        goal: 'tidy up',
        requestedBy: 'ops-olga',
      });
      const other = await agent.post('/api/v1/tasks', {
        type: 'agent.goal',
        payload: { goal: 'g', requestedBy: 'ops-olga' },
      });
      expect((await admin().get(`/api/v1/tasks/${other.body.id}`)).body.payload).toEqual({
        goal: 'g',
        requestedBy: 'agent-smith',
      });
      const plain = await agent.post('/api/v1/tasks', { type: 'noop', payload: { sleepMs: 1 } });
      expect((await admin().get(`/api/v1/tasks/${plain.body.id}`)).body.payload).toEqual({ sleepMs: 1 });
      const batch = await operator.post('/api/v1/tasks/batch', {
        tasks: [
          {
            type: 'dev.change',
            requiredLevel: 4,
            payload: { repository: 'shop', goal: 'batched', requestedBy: 'agent-smith' },
          },
        ],
      });
      expect(batch.status).toBe(201);
      expect((await admin().get(`/api/v1/tasks/${batch.body.results[0].id}`)).body.payload.requestedBy).toBe(
        'ops-olga',
      );
    });

    it('follows the policy when an admin opens a type to agents, and at once', async () => {
      const current = (await admin().get('/api/v1/policies')).body;
      const settings = {
        budgets: current.budgets,
        approvals: current.approvals,
        permissions: { ...current.permissions, taskSubmitters: { 'dev.change': ['admin', 'operator', 'agent'] } },
      };
      expect((await admin().put('/api/v1/policies', settings)).status).toBe(200);
      const allowed = await agent.post('/api/v1/tasks', {
        type: 'dev.change',
        requiredLevel: 4,
        payload: { repository: 'shop', goal: 'allowed now' },
      });
      expect(allowed.status).toBe(201);
      expect((await admin().get(`/api/v1/tasks/${allowed.body.id}`)).body.payload.requestedBy).toBe('agent-smith');
      // the other default (goal.plan) still stands
      expect((await agent.post('/api/v1/tasks', { type: 'goal.plan', payload: { goal: 'x' } })).status).toBe(403);
      const closed = {
        ...settings,
        permissions: {
          ...settings.permissions,
          taskSubmitters: { 'dev.change': ['admin', 'operator'] },
          agentMaxSubmitLevel: 2,
        },
      };
      expect((await admin().put('/api/v1/policies', closed)).status).toBe(200);
      expect(
        (
          await agent.post('/api/v1/tasks', {
            type: 'dev.change',
            requiredLevel: 4,
            payload: { repository: 'shop', goal: 'closed again' },
          })
        ).status,
      ).toBe(403);
      expect(
        (await agent.post('/api/v1/tasks', { type: 'agent.goal', requiredLevel: 3, payload: { goal: 'too high now' } }))
          .body.message,
      ).toContain('up to level 2');
    });
  });

  describe('what readers see of stored data', () => {
    it('redacts task payloads and results for every reader, in GET /tasks, /tasks/:id and its events', async () => {
      let deep: Record<string, unknown> = { apiKey: 'sk-deep-0123456789abcdefghij' };
      for (let i = 0; i < 10; i++) deep = { d: deep };
      const created = await operator.post('/api/v1/tasks', {
        type: 'secretive',
        title: 'deploy with DB_PASSWORD=title-secret',
        payload: { password: 'hunter2', deep, note: 'call with bearer abcdefghijklmnopqrstuv' },
      });
      expect(created.status).toBe(201);
      const rpc = natsRpc(nc, stack.namespace);
      const [claimed] = (
        await rpc.call('juggernaut.task.claim.v1', {
          workerId: 'w',
          level: 1,
          capabilities: [],
          types: ['secretive'],
          max: 1,
        })
      ).tasks;
      expect(claimed.id).toBe(created.body.id);
      await rpc.call('juggernaut.task.finish.v1', {
        workerId: 'w',
        results: [
          {
            taskId: claimed.id,
            claimToken: claimed.claimToken,
            outcome: 'succeeded',
            result: { token: 'result-secret', log: 'GITHUB_TOKEN=ghp_abcdefghijklmnopqrstuvwxyz0123' },
          },
        ],
      });
      const one = JSON.stringify((await viewer.get(`/api/v1/tasks/${created.body.id}`)).body);
      const page = JSON.stringify((await viewer.get('/api/v1/tasks?type=secretive')).body);
      const events = JSON.stringify((await viewer.get(`/api/v1/tasks/${created.body.id}/events`)).body);
      for (const secret of [
        'hunter2',
        'sk-deep-0123456789abcdefghij',
        'abcdefghijklmnopqrstuv',
        'title-secret',
        'result-secret',
        'ghp_abcdefghijklmnopqrstuvwxyz0123',
      ]) {
        expect({
          secret,
          one: one.includes(secret),
          page: page.includes(secret),
          events: events.includes(secret),
        }).toEqual({ secret, one: false, page: false, events: false });
      }
      expect(JSON.parse(one)).toMatchObject({
        status: 'succeeded',
        payload: { password: '[REDACTED]' },
        result: { token: '[REDACTED]' },
      });
    });

    it('redacts dev-bot change timelines read through /changes', async () => {
      expect((await admin().post('/api/v1/repositories', { name: 'shop', cloneUrl: '/srv/git/shop.git' })).status).toBe(
        201,
      );
      const slack = 'xoxb-1234567890-0987654321-AbCdEfGhIjKlMnOp';
      const filed = await operator.post('/api/v1/changes', {
        repository: 'shop',
        goal: `Post the release note with ${slack}`,
      });
      expect(filed.status).toBe(201);
      const read = JSON.stringify((await viewer.get(`/api/v1/changes/${filed.body.id}`)).body);
      const listed = JSON.stringify((await viewer.get('/api/v1/changes?repository=shop')).body);
      expect(read).toContain('[REDACTED]');
      expect(read).not.toContain(slack);
      expect(listed).not.toContain(slack);
      expect(JSON.stringify(filed.body)).not.toContain(slack);
    });
  });

  describe('400s and 404s', () => {
    const forged = (id: string) =>
      Buffer.from(JSON.stringify({ at: '2026-01-01T00:00:00Z', id })).toString('base64url');

    it('answers 400 to cursors that are not cursors of the list, over REST and NATS', async () => {
      for (const path of ['/api/v1/ledger/transactions', '/api/v1/changes', '/api/v1/tasks', '/api/v1/experiments']) {
        for (const cursor of [forged('x; DROP TABLE'), 'garbage', `${forged('1')}!!`]) {
          const r = await viewer.get(`${path}?cursor=${encodeURIComponent(cursor)}`);
          expect({ path, cursor, status: r.status }).toEqual({ path, cursor, status: 400 });
        }
      }
      expect((await viewer.get(`/api/v1/ledger/transactions?cursor=${forged(UNKNOWN)}`)).status).toBe(400);
      expect((await viewer.get(`/api/v1/changes?cursor=${forged('12')}`)).status).toBe(400);
      // real cursors still page
      const page = (await viewer.get('/api/v1/tasks?limit=1')).body;
      expect((await viewer.get(`/api/v1/tasks?limit=1&cursor=${page.nextCursor}`)).status).toBe(200);
      const rpc = natsRpc(nc, stack.namespace);
      expect((await rpc.error('juggernaut.ledger.transaction.list.v1', { cursor: forged('x') })).status).toBe(400);
      expect((await rpc.error('juggernaut.change.list.v1', { cursor: forged('x') })).status).toBe(400);
    });

    it('answers 400 to task-type limits for a name that is not a task type', async () => {
      for (const type of ['Not%20A%20Type', 'DROP%3BTABLE', '1abc', 'a'.repeat(101)]) {
        const r = await admin().put(`/api/v1/task-types/${type}/limits`, { maxConcurrency: 2 });
        expect({ type, status: r.status }).toEqual({ type, status: 400 });
        expect(JSON.stringify(r.body.message)).toContain('type must be');
      }
      expect(await count(`SELECT count(*) AS n FROM dispatch.type_limits WHERE type !~ '^[a-z][a-z0-9_.-]*$'`)).toBe(0);
      expect((await admin().put('/api/v1/task-types/report.weekly/limits', { maxConcurrency: 2 })).status).toBe(200);
    });

    it('answers 404 to the progress of a goal that does not exist', async () => {
      expect((await viewer.get(`/api/v1/goals/${UNKNOWN}/progress`)).status).toBe(404);
      const goal = (await admin().post('/api/v1/goals', { title: 'real', successCriteria: ['x'] })).body.id;
      expect((await viewer.get(`/api/v1/goals/${goal}/progress`)).body).toMatchObject({ goalId: goal, total: 0 });
    });
  });
});
