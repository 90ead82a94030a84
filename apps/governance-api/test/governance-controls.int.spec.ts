import type {
  ApprovalV1,
  PolicyDocumentV1,
  RequestSubject,
  RequestSubjectMap,
  StreamSubjectMap,
} from '@juggernaut/contracts';
import type { NatsConnection } from '@nats-io/transport-node';
import { apiClient, connectTestNats, eventually, readStream, TestStack } from '@juggernaut/testing';
import { Client } from 'pg';
import { governanceApi } from '../src/service';

const ADMIN_KEY = 'test-admin-key-controls-0123456789';

/** Policies, approvals, audit, key lifecycle and rate limiting, through REST and NATS. */
/** The fields of an audit entry these tests read. */
type AuditEntry = { action: string; before: { version: number }; after: { version: number } };

describe('governance controls against real Postgres and NATS', () => {
  let stack: TestStack;
  let url: string;
  let metricsUrl: string;
  let nc: NatsConnection;
  let pg: Client;
  let operatorKey: string;
  let agentKey: string;
  let viewerKey: string;
  const admin = () => apiClient(url, ADMIN_KEY);
  const wire = (s: string) => `${stack.namespace}.${s}`;
  /** The raw reply envelope, read without narrowing: `data` on success, `error` on refusal. */
  type Envelope<T> = { ok: boolean; data: T; error: { status: number; message: string | string[] } };
  const rpc = async <S extends RequestSubject>(subject: S, body: unknown) =>
    (await nc.request(wire(subject), JSON.stringify(body), { timeout: 5_000 })).json<
      Envelope<RequestSubjectMap[S]['reply']>
    >();

  beforeAll(async () => {
    stack = await TestStack.create('controls');
    ({ url, metricsUrl } = await stack.start(governanceApi, {
      JUGGERNAUT_ADMIN_KEY: ADMIN_KEY,
      JUGGERNAUT_APPROVAL_SWEEP_MS: '100',
    }));
    nc = await connectTestNats();
    pg = new Client({ connectionString: stack.db.url });
    await pg.connect();
    const mk = async (role: string) =>
      (await admin().post('/api/v1/api-keys', { name: `${role}-1`, role })).body.key as string;
    operatorKey = await mk('operator');
    agentKey = await mk('agent');
    viewerKey = await mk('viewer');
  });

  afterAll(async () => {
    await pg?.end();
    await nc?.close();
    await stack?.close();
  });

  describe('policies', () => {
    const settings = {
      budgets: {
        currency: 'USD',
        globalDailyCapMinor: 100_000,
        perLevelDailyCapMinor: { '3': 5_000 },
        perTaskCapMinor: 2_000,
      },
      permissions: { taskTypes: { 'experiment.run': 4 }, tools: { 'git.merge': 5 } },
      approvals: { spendAboveMinor: 1_000, toolsRequiringApproval: ['git.merge'], ttlSeconds: 3600 },
    };

    it('serves the policy in force over REST and NATS: a fresh install starts from the safe defaults (daily caps, approval above $100), kill switch off', async () => {
      const rest = await apiClient(url, viewerKey).get('/api/v1/policies');
      expect(rest.status).toBe(200);
      expect(rest.body).toMatchObject({
        version: 2,
        updatedBy: 'system:safe-defaults',
        killSwitch: { engaged: false },
        budgets: { currency: 'USD', globalDailyCapMinor: 5_000, perWorkerDailyCapMinor: 1_000, perTaskCapMinor: 200 },
        approvals: { spendAboveMinor: 10_000 },
      });
      const nats = await rpc('juggernaut.policy.get.v1', {});
      expect(nats).toMatchObject({ ok: true, data: { version: 2 } });
    });

    it('lets only an admin change it; each change is a new version pushed on policy.changed at once', async () => {
      const before = (await admin().get('/api/v1/policies')).body.version as number;
      expect((await apiClient(url, operatorKey).put('/api/v1/policies', settings)).status).toBe(403);
      expect((await apiClient(url, viewerKey).put('/api/v1/policies/kill-switch', { engaged: true })).status).toBe(403);

      const pushed: PolicyDocumentV1[] = [];
      const sub = nc.subscribe(wire('juggernaut.policy.changed.v1'), {
        callback: (_e, m) => {
          pushed.push(m.json<PolicyDocumentV1>());
        },
      });
      const updated = await admin().put('/api/v1/policies', settings);
      expect(updated.status).toBe(200);
      expect(updated.body).toMatchObject({
        ...settings,
        version: before + 1,
        updatedBy: 'bootstrap-admin',
        killSwitch: { engaged: false },
      });
      const engaged = await admin().put('/api/v1/policies/kill-switch', { engaged: true, reason: 'drill' });
      expect(engaged.body).toMatchObject({
        version: before + 2,
        killSwitch: { engaged: true, reason: 'drill' },
        budgets: settings.budgets,
      });
      // the core subscriber (as the dispatcher and runners listen) sees both versions, in order
      await eventually(() => pushed.length >= 2);
      sub.unsubscribe();
      expect(pushed.map((d) => d.version)).toEqual([before + 1, before + 2]);
      expect(pushed[1].killSwitch).toEqual({ engaged: true, reason: 'drill' });
      // engaging again is not a change
      expect((await admin().put('/api/v1/policies/kill-switch', { engaged: true, reason: 'drill' })).body.version).toBe(
        before + 2,
      );
      const released = await admin().put('/api/v1/policies/kill-switch', { engaged: false });
      expect(released.body.killSwitch).toEqual({ engaged: false });

      const history = await admin().get<PolicyDocumentV1[]>('/api/v1/policies/versions?limit=3');
      expect(history.body.map((d) => d.version)).toEqual([before + 3, before + 2, before + 1]);
      expect((await admin().get(`/api/v1/policies/versions/${before + 1}`)).body.budgets).toEqual(settings.budgets);
      expect((await admin().get('/api/v1/policies/versions/99999')).status).toBe(404);

      const events = await readStream<StreamSubjectMap['juggernaut.policy.changed.v1']>(
        nc,
        `${stack.namespace}_JUGGERNAUT_EVENTS`,
        wire('juggernaut.policy.changed.v1'),
      );
      expect(events.map((e) => e.version)).toEqual([before + 1, before + 2, before + 3]);
      const metrics = (await apiClient(metricsUrl).get<string>('/metrics')).body;
      expect(metrics).toMatch(new RegExp(`juggernaut_policy_version\\{[^}]*\\} ${before + 3}`));
      expect(metrics).toMatch(/juggernaut_kill_switch_engaged\{[^}]*\} 0/);
    });

    it('refuses an invalid policy with 400 naming the field, and keeps the version', async () => {
      const version = (await admin().get('/api/v1/policies')).body.version;
      const bad = await admin().put('/api/v1/policies', {
        ...settings,
        permissions: { taskTypes: { noop: 9 }, tools: {} },
      });
      expect(bad.status).toBe(400);
      expect(JSON.stringify(bad.body.message)).toContain('taskTypes');
      expect((await admin().put('/api/v1/policies', { ...settings, killSwitch: { engaged: true } })).status).toBe(400);
      expect((await admin().get('/api/v1/policies')).body.version).toBe(version);
    });
  });

  describe('approvals', () => {
    const ask = (over: Record<string, unknown> = {}) => ({
      taskId: '7d1f0c9e-5a57-4c39-9c3e-0a6cf0c5a001',
      workerId: 'runner-1',
      action: 'tool:payments.send',
      argsHash: 'sha256:aaaaaaaaaaaaaaaa',
      args: { to: 'acme', amountMinor: 50_000 },
      amountMinor: 50_000,
      reason: 'above threshold',
      ...over,
    });

    it('is requested over NATS once per task, action and argument hash, and announced', async () => {
      const first = await rpc('juggernaut.approval.request.v1', ask());
      expect(first.ok).toBe(true);
      expect(first.data).toMatchObject({
        status: 'pending',
        action: 'tool:payments.send',
        taskId: ask().taskId,
        amountMinor: 50_000,
      });
      const again = await rpc('juggernaut.approval.request.v1', ask());
      expect(again.data.id).toBe(first.data.id);
      const other = await rpc('juggernaut.approval.request.v1', ask({ argsHash: 'sha256:bbbbbbbbbbbbbbbb' }));
      expect(other.data.id).not.toBe(first.data.id);
      expect((await rpc('juggernaut.approval.get.v1', { id: first.data.id })).data.status).toBe('pending');

      const requested = await eventually(async () => {
        const got = await readStream<StreamSubjectMap['juggernaut.approval.requested.v1']>(
          nc,
          `${stack.namespace}_JUGGERNAUT_EVENTS`,
          wire('juggernaut.approval.requested.v1'),
        );
        return got.length >= 2 ? got : undefined;
      });
      expect(requested.filter((e) => e.id === first.data.id)).toHaveLength(1);
      expect((await apiClient(metricsUrl).get<string>('/metrics')).body).toMatch(
        /juggernaut_approvals_pending\{[^}]*\} [1-9]/,
      );
    });

    it('answers hostile payloads with errors, never a stored approval', async () => {
      for (const body of [
        {},
        ask({ amountMinor: -1 }),
        ask({ amountMinor: 1e30 }),
        ask({ argsHash: "x'; DROP TABLE" }),
        ask({ extra: 1 }),
        ask({ args: 'str' }),
      ]) {
        const r = await rpc('juggernaut.approval.request.v1', body);
        expect(r.ok).toBe(false);
        expect(r.error.status).toBe(400);
      }
      expect((await rpc('juggernaut.approval.get.v1', { id: 'not-a-uuid' })).error.status).toBe(400);
      expect(
        (await rpc('juggernaut.approval.get.v1', { id: '00000000-0000-4000-8000-000000000000' })).error.status,
      ).toBe(404);
    });

    it('moves pending to approved or rejected once, by an admin or operator who did not ask, with who and why', async () => {
      const a = (await apiClient(url, agentKey).post('/api/v1/approvals', ask({ argsHash: 'sha256:cccccccccccccccc' })))
        .body;
      expect(a.status).toBe('pending');
      expect((await apiClient(url, agentKey).post(`/api/v1/approvals/${a.id}/approve`, {})).status).toBe(403);
      expect((await apiClient(url, viewerKey).post(`/api/v1/approvals/${a.id}/approve`, {})).status).toBe(403);
      expect((await apiClient(url, operatorKey).post(`/api/v1/approvals/${a.id}/reject`, {})).status).toBe(400);
      const approved = await apiClient(url, operatorKey).post(`/api/v1/approvals/${a.id}/approve`, {
        reason: 'looked fine',
      });
      expect(approved.status).toBe(200);
      expect(approved.body).toMatchObject({
        status: 'approved',
        decidedBy: 'operator-1',
        decisionReason: 'looked fine',
      });
      expect(approved.body.decidedAt).toBeDefined();
      expect((await admin().post(`/api/v1/approvals/${a.id}/reject`, { reason: 'too late' })).status).toBe(409);

      const b = (await admin().post('/api/v1/approvals', ask({ argsHash: 'sha256:dddddddddddddddd' }))).body;
      expect((await admin().post(`/api/v1/approvals/${b.id}/approve`, {})).status).toBe(403); // its own request
      const rejected = await apiClient(url, operatorKey).post(`/api/v1/approvals/${b.id}/reject`, { reason: 'no' });
      expect(rejected.body).toMatchObject({ status: 'rejected', decidedBy: 'operator-1', decisionReason: 'no' });

      const listed = await apiClient(url, viewerKey).get<{ items: ApprovalV1[] }>('/api/v1/approvals?status=rejected');
      expect(listed.body.items.map((x) => x.id)).toEqual([b.id]);
      const decided = await eventually(async () => {
        const got = await readStream<StreamSubjectMap['juggernaut.approval.decided.v1']>(
          nc,
          `${stack.namespace}_JUGGERNAUT_EVENTS`,
          wire('juggernaut.approval.decided.v1'),
        );
        return got.length >= 2 ? got : undefined;
      });
      expect(decided.map((e) => [e.id, e.status])).toEqual(
        expect.arrayContaining([
          [a.id, 'approved'],
          [b.id, 'rejected'],
        ]),
      );
    });

    it('expires a pending approval when its time passes (never approving it), and announces the decision', async () => {
      const a = (await rpc('juggernaut.approval.request.v1', ask({ argsHash: 'sha256:eeeeeeeeeeeeeeee' }))).data;
      // move its deadline into the past instead of waiting out the policy's TTL
      await pg.query(`UPDATE governance.approvals SET expires_at = now() - interval '1 second' WHERE id = $1`, [a.id]);
      const expired = await eventually(async () => {
        const got = (await admin().get(`/api/v1/approvals/${a.id}`)).body;
        return got.status !== 'pending' ? got : undefined;
      });
      expect(expired).toMatchObject({ status: 'expired', decidedBy: 'system:approval-expiry' });
      expect((await apiClient(url, operatorKey).post(`/api/v1/approvals/${a.id}/approve`, {})).status).toBe(409);
      await eventually(async () => {
        const got = await readStream<StreamSubjectMap['juggernaut.approval.decided.v1']>(
          nc,
          `${stack.namespace}_JUGGERNAUT_EVENTS`,
          wire('juggernaut.approval.decided.v1'),
        );
        return got.some((e) => e.id === a.id && e.status === 'expired');
      });
    });
  });

  describe('audit log', () => {
    it('records governance decisions and key changes with who, before and after, filterable', async () => {
      const policy = await admin().get<{ items: AuditEntry[] }>('/api/v1/audit?action=policy');
      expect(policy.status).toBe(200);
      const update = policy.body.items.find((e) => e.action === 'policy.update')!;
      expect(update).toMatchObject({ actor: 'bootstrap-admin', actorRole: 'admin', resourceType: 'policies' });
      expect(update.before.version + 1).toBe(update.after.version);
      const kill = await admin().get('/api/v1/audit?action=kill_switch.engage');
      expect(kill.body.items).toHaveLength(1);
      expect(kill.body.items[0].after.killSwitch).toEqual({ engaged: true, reason: 'drill' });
      const approvals = await admin().get('/api/v1/audit?resourceType=approvals&action=approval.approve');
      expect(approvals.body.items[0]).toMatchObject({
        actor: 'operator-1',
        before: { status: 'pending' },
        after: { status: 'approved' },
      });
      const expiry = await admin().get('/api/v1/audit?actor=system:approval-expiry');
      expect(expiry.body.items.length).toBeGreaterThan(0);
      const keys = await admin().get('/api/v1/audit?action=api_key.create');
      expect(keys.body.items.length).toBeGreaterThanOrEqual(3);
      expect(JSON.stringify(keys.body)).not.toMatch(/jg_[A-Za-z0-9_-]{16,}/);
      expect((await apiClient(url, viewerKey).get('/api/v1/audit')).status).toBe(403);
    });

    it('records every other mutating call with the route, the request and the result', async () => {
      const log = await apiClient(url, agentKey).post('/api/v1/logs', {
        workerId: 'w',
        action: 'audited',
        message: 'm',
      });
      const entries = await admin().get(`/api/v1/audit?action=http.post&resourceId=${log.body.id}`);
      expect(entries.body.items[0]).toMatchObject({
        actor: 'agent-1',
        resourceType: 'logs',
        details: { route: 'POST /api/v1/logs' },
      });
      expect(entries.body.items[0].after.id).toBe(log.body.id);
      // a refused call changed nothing and adds nothing
      const count = async () => Number((await pg.query('SELECT count(*) FROM governance.audit_log')).rows[0].count);
      const n = await count();
      await apiClient(url, agentKey).post('/api/v1/logs', { workerId: 1 });
      expect(await count()).toBe(n);
    });

    it('pages with a cursor and refuses a forged one with 400', async () => {
      const first = await admin().get('/api/v1/audit?limit=2');
      const second = await admin().get(`/api/v1/audit?limit=2&cursor=${first.body.nextCursor}`);
      expect(second.body.items[0].id).not.toBe(first.body.items[0].id);
      const forged = Buffer.from(JSON.stringify({ at: '2026-01-01T00:00:00Z', id: 'x; DROP TABLE' })).toString(
        'base64url',
      );
      expect((await admin().get(`/api/v1/audit?cursor=${forged}`)).status).toBe(400);
    });

    it('is append-only in the database: updates, deletes and truncation are refused', async () => {
      await expect(pg.query(`UPDATE governance.audit_log SET actor = 'someone-else'`)).rejects.toThrow(/append-only/);
      await expect(pg.query(`DELETE FROM governance.audit_log`)).rejects.toThrow(/append-only/);
      await expect(pg.query(`TRUNCATE governance.audit_log`)).rejects.toThrow(/append-only/);
      expect(
        Number(
          (await pg.query(`SELECT count(*) FROM governance.audit_log WHERE actor = 'someone-else'`)).rows[0].count,
        ),
      ).toBe(0);
    });
  });

  describe('API key lifecycle', () => {
    it('expires a key at the time set, and clears an expiry', async () => {
      const k = (await admin().post('/api/v1/api-keys', { name: 'short-lived', role: 'viewer' })).body;
      expect((await apiClient(url, k.key).get('/api/v1/policies')).status).toBe(200);
      const past = new Date(Date.now() - 1000).toISOString();
      expect((await admin().patch(`/api/v1/api-keys/${k.id}`, { expiresAt: past })).body.expiresAt).toBe(past);
      expect((await apiClient(url, k.key).get('/api/v1/policies')).status).toBe(401);
      expect((await admin().patch(`/api/v1/api-keys/${k.id}`, { expiresAt: null })).body.expiresAt).toBeNull();
      expect((await apiClient(url, k.key).get('/api/v1/policies')).status).toBe(200);
      expect((await admin().post('/api/v1/api-keys', { name: 'x', role: 'viewer', expiresAt: past })).status).toBe(400);
      expect((await admin().patch(`/api/v1/api-keys/${k.id}`, {})).status).toBe(400);
      const audit = await admin().get(`/api/v1/audit?action=api_key.expire&resourceId=${k.id}`);
      expect(audit.body.items).toHaveLength(2);
    });
  });

  describe('rate limiting', () => {
    it('answers 429 with Retry-After once a key has spent its burst, per key', async () => {
      const limited = await stack.start(governanceApi, {
        JUGGERNAUT_ADMIN_KEY: ADMIN_KEY,
        JUGGERNAUT_RATE_LIMIT_BURST: '3',
        JUGGERNAUT_RATE_LIMIT_PER_SECOND: '1',
      });
      const statuses: number[] = [];
      let last: Awaited<ReturnType<ReturnType<typeof apiClient>['get']>> | undefined;
      for (let i = 0; i < 5; i++) {
        last = await apiClient(limited.url, viewerKey).get('/api/v1/policies');
        statuses.push(last.status);
      }
      expect(statuses.slice(0, 3)).toEqual([200, 200, 200]);
      expect(statuses).toContain(429);
      expect(last!.status).toBe(429);
      expect(Number(last!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      // another key has its own bucket
      expect((await apiClient(limited.url, operatorKey).get('/api/v1/policies')).status).toBe(200);
    });
  });
});
