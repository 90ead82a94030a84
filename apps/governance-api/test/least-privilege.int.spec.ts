import type { NatsConnection } from '@nats-io/transport-node';
import { apiClient, connectTestNats, natsRpc, TestStack } from '@juggernaut/testing';
import { Client } from 'pg';
import { governanceApi } from '../src/service';
import type { GoalNoteV1 } from '@juggernaut/contracts';

const ADMIN_KEY = 'test-admin-key-least-0123456789ab';
const UNKNOWN_GOAL = '6f1c7d2e-0000-4000-8000-00000000dead';

/**
 * Issue 14 ("least privilege for real"), the parts governance-api owns alone: text that cannot be
 * stored, audit entries that commit with their change, API-key names, unauthenticated traffic,
 * redaction of what readers see, 404s for goals that do not exist, the task-submission policy field.
 */
describe('least privilege in governance-api', () => {
  let stack: TestStack;
  let url: string;
  let nc: NatsConnection;
  let pg: Client;
  const admin = () => apiClient(url, ADMIN_KEY);
  const count = async (sql: string, params: unknown[] = []) => Number((await pg.query(sql, params)).rows[0].n);
  const auditCount = () => count('SELECT count(*) AS n FROM governance.audit_log');

  beforeAll(async () => {
    stack = await TestStack.create('leastpriv');
    url = (await stack.start(governanceApi, { JUGGERNAUT_ADMIN_KEY: ADMIN_KEY })).url;
    nc = await connectTestNats();
    pg = new Client({ connectionString: stack.db.url });
    await pg.connect();
  });

  afterAll(async () => {
    await pg?.end();
    await nc?.close();
    await stack?.close();
  });

  describe('text that cannot be stored', () => {
    it('refuses a lone UTF-16 surrogate in any text field over HTTP with 400 naming the field, storing and auditing nothing', async () => {
      const goal = (await admin().post('/api/v1/goals', { title: 'surrogates', successCriteria: ['none stored'] })).body
        .id as string;
      const logs = await count('SELECT count(*) AS n FROM governance.execution_logs');
      const opportunities = await count('SELECT count(*) AS n FROM governance.opportunities');
      const notes = await count('SELECT count(*) AS n FROM governance.goal_notes');
      const audit = await auditCount();
      const cases: Array<[string, string, string]> = [
        ['/api/v1/logs', '{"workerId":"w","action":"a","message":"caf\\ud800"}', 'message'],
        [
          '/api/v1/logs',
          '{"workerId":"w","action":"a","message":"m","outputData":{"deep":{"list":["ok","\\udfff"]}}}',
          'outputData.deep.list.1',
        ],
        [
          '/api/v1/opportunities',
          '{"opportunityType":"saas","category":"x","description":"\\ud83d","estimatedValueMinor":1,"confidenceScore":0.5}',
          'description',
        ],
        [`/api/v1/goals/${goal}/notes`, '{"content":"a\\ude00b"}', 'content'],
      ];
      for (const [path, body, field] of cases) {
        const r = await admin().call('POST', path, body);
        expect({ path, status: r.status }).toEqual({ path, status: 400 });
        expect(r.body.message).toEqual([`${field} must not contain a lone UTF-16 surrogate (such as \\ud800)`]);
      }
      expect(await count('SELECT count(*) AS n FROM governance.execution_logs')).toBe(logs);
      expect(await count('SELECT count(*) AS n FROM governance.opportunities')).toBe(opportunities);
      expect(await count('SELECT count(*) AS n FROM governance.goal_notes')).toBe(notes);
      expect(await auditCount()).toBe(audit);
      // a real pair (an emoji) is text like any other
      expect(
        (await admin().post('/api/v1/logs', { workerId: 'w', action: 'emoji', message: 'shipped 🚀' })).status,
      ).toBe(201);
    });

    it('refuses them in NATS payloads too, naming the field, the same check as HTTP bodies', async () => {
      const rpc = natsRpc(nc, stack.namespace);
      const refused = await rpc.error('juggernaut.log.create.v1', { workerId: 'w', action: 'a', message: 'x\ud800' });
      expect(refused).toEqual({
        status: 400,
        message: JSON.stringify('message must not contain a lone UTF-16 surrogate (such as \\ud800)'),
      });
      const opp = await rpc.error('juggernaut.opportunity.create.v1', {
        opportunityType: 'saas',
        category: 'c\udc00',
        description: 'd',
        estimatedValueMinor: 1,
        confidenceScore: 0.1,
      });
      expect(opp.status).toBe(400);
      expect(opp.message).toContain('category must not contain a lone UTF-16 surrogate');
    });
  });

  describe('audit entries that commit with their change', () => {
    beforeAll(async () => {
      // Stands in for an audit log that cannot take an entry: the trigger refuses entries about this marker.
      await pg.query(`CREATE FUNCTION governance.refuse_marked_audit() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF NEW.details::text LIKE '%refuse-audit-marker%' THEN RAISE EXCEPTION 'audit log unavailable (test)'; END IF;
          RETURN NEW;
        END $$`);
      await pg.query(
        `CREATE TRIGGER refuse_marked_audit BEFORE INSERT ON governance.audit_log FOR EACH ROW EXECUTE FUNCTION governance.refuse_marked_audit()`,
      );
    });

    afterAll(async () => {
      await pg.query('DROP TRIGGER refuse_marked_audit ON governance.audit_log');
    });

    it('fails the request and stores nothing when the audit entry cannot be written (logs, opportunities, goal notes)', async () => {
      const goal = (await admin().post('/api/v1/goals', { title: 'audited notes', successCriteria: ['x'] })).body
        .id as string;
      const events = await count('SELECT count(*) AS n FROM governance.outbox');
      const log = await admin().post('/api/v1/logs', {
        workerId: 'w',
        action: 'audited',
        message: 'refuse-audit-marker',
      });
      expect(log.status).toBe(503);
      expect(log.body.message).toContain('nothing was changed');
      const opp = await admin().post('/api/v1/opportunities', {
        opportunityType: 'saas',
        category: 'x',
        description: 'refuse-audit-marker',
        estimatedValueMinor: 1,
        confidenceScore: 0.5,
      });
      expect(opp.status).toBe(503);
      const note = await admin().post(`/api/v1/goals/${goal}/notes`, { content: 'refuse-audit-marker' });
      expect(note.status).toBe(503);
      expect(
        await count(`SELECT count(*) AS n FROM governance.execution_logs WHERE message LIKE '%refuse-audit-marker%'`),
      ).toBe(0);
      expect(
        await count(
          `SELECT count(*) AS n FROM governance.opportunities WHERE description LIKE '%refuse-audit-marker%'`,
        ),
      ).toBe(0);
      expect(
        await count(`SELECT count(*) AS n FROM governance.goal_notes WHERE content LIKE '%refuse-audit-marker%'`),
      ).toBe(0);
      // the opportunity.created event was in the rolled-back transaction too
      expect(await count('SELECT count(*) AS n FROM governance.outbox')).toBe(events);
    });

    it('stores the change with its entry when the entry can be written', async () => {
      const log = await admin().post('/api/v1/logs', { workerId: 'w', action: 'audited-ok', message: 'fine' });
      expect(log.status).toBe(201);
      const entries = (await admin().get(`/api/v1/audit?action=http.post&resourceId=${log.body.id}`)).body.items;
      expect(entries).toHaveLength(1);
      expect(entries[0]).toMatchObject({
        action: 'http.post',
        resourceType: 'logs',
        after: { id: log.body.id },
        details: { route: 'POST /api/v1/logs' },
      });
    });
  });

  describe('API keys', () => {
    it('refuses names that look like system actors with 400 naming the field', async () => {
      for (const name of ['system:approval-expiry', 'SYSTEM:monitor', ' system:x']) {
        const r = await admin().post('/api/v1/api-keys', { name, role: 'admin' });
        expect({ name, status: r.status }).toEqual({ name, status: 400 });
        expect(r.body.message).toEqual([expect.stringContaining('name must not start with "system:"')]);
      }
      expect((await admin().post('/api/v1/api-keys', { name: 'not-system:ok', role: 'viewer' })).status).toBe(201);
    });

    it('keeps names unique among keys not revoked: 409 on a duplicate, in any case; a revoked name may be reused; rotation keeps it', async () => {
      const first = await admin().post('/api/v1/api-keys', { name: 'dup-name', role: 'viewer' });
      expect(first.status).toBe(201);
      for (const name of ['dup-name', 'DUP-Name']) {
        const again = await admin().post('/api/v1/api-keys', { name, role: 'agent' });
        expect({ name, status: again.status }).toEqual({ name, status: 409 });
        expect(again.body.message).toContain('already exists');
      }
      const rotated = await admin().post(`/api/v1/api-keys/${first.body.id}/rotate`);
      expect(rotated.status).toBe(201);
      expect(rotated.body.name).toBe('dup-name');
      expect((await apiClient(url, rotated.body.key).get('/api/v1/policies')).status).toBe(200);
      expect((await admin().delete(`/api/v1/api-keys/${rotated.body.id}`)).status).toBe(200);
      expect((await admin().post('/api/v1/api-keys', { name: 'dup-name', role: 'viewer' })).status).toBe(201);
      const active = (
        await admin().get<Array<{ name: string; revokedAt: string | null }>>('/api/v1/api-keys')
      ).body.filter((k) => k.name.toLowerCase() === 'dup-name' && !k.revokedAt);
      expect(active).toHaveLength(1);
    });
  });

  describe('calls without a valid key', () => {
    it('are limited per client address (429 with Retry-After), without a lookup for malformed keys; a key that works is not locked out', async () => {
      const svc = await stack.start(governanceApi, {
        JUGGERNAUT_ADMIN_KEY: ADMIN_KEY,
        JUGGERNAUT_RATE_LIMIT_UNAUTH_BURST: '4',
        JUGGERNAUT_RATE_LIMIT_UNAUTH_PER_SECOND: '1',
      });
      const limited = svc.url;
      // metrics are served where the service serves them (the API port, or a port of their own)
      const metricsUrl = (svc as { metricsUrl?: string }).metricsUrl ?? svc.url;
      const metricsText = async () => (await apiClient(metricsUrl).get<string>('/metrics')).body;
      const lookups = async () =>
        Number(/juggernaut_api_key_lookups_total\{[^}]*\} (\d+)/.exec(await metricsText())?.[1] ?? 0);
      // the admin key authenticates before the noise starts
      expect((await apiClient(limited, ADMIN_KEY).get('/api/v1/policies')).status).toBe(200);
      const before = await lookups();
      const statuses: number[] = [];
      let last;
      const attempts = [
        'Bearer well-formed-but-unknown-key-0001', // looked up: it could be a key
        undefined,
        'Bearer short',
        'Bearer café-is-not-ascii-but-long-enough',
        'Basic YWRtaW46YWRtaW4=', // never looked up
        'Bearer well-formed-but-unknown-key-0002', // over the limit: refused before any lookup
      ];
      for (const auth of attempts) {
        last = await apiClient(limited).call('GET', '/api/v1/policies', undefined, auth ? { authorization: auth } : {});
        statuses.push(last.status);
      }
      expect(statuses).toEqual([401, 401, 401, 401, 429, 429]);
      expect(Number(last!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(last!.body.message).toContain('without a valid API key');
      // one lookup: malformed keys cost none, nor do refusals once the address is over its limit
      expect(await lookups()).toBe(before + 1);
      // the key that authenticated before is not slowed down by its neighbours' noise
      expect((await apiClient(limited, ADMIN_KEY).get('/api/v1/policies')).status).toBe(200);
      expect((await apiClient(limited, ADMIN_KEY).get('/api/v1/policies')).status).toBe(200);
      const metrics = await metricsText();
      expect(metrics).toMatch(/juggernaut_http_rate_limited_total\{[^}]*limit="address"[^}]*\} [1-9]/);
      expect(metrics).toMatch(/juggernaut_http_auth_failures_total\{[^}]*reason="malformed"[^}]*\} [1-9]/);
    });
  });

  describe('what readers see', () => {
    const pat = `github_pat_11ABCDEFG0123456789_${'a'.repeat(59)}`;
    const jwt =
      'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U';
    const secrets = [
      pat,
      jwt,
      'hunter2-deep',
      'xoxb-1234567890-0987654321-AbCdEfGhIjKlMnOp',
      'env-secret-value',
      'nested-array-secret',
    ];

    it('redacts execution logs and their audit entries at any depth and in the common token formats', async () => {
      let deep: Record<string, unknown> = { password: 'hunter2-deep' };
      for (let i = 0; i < 12; i++) deep = { level: deep };
      const viewer = apiClient(
        url,
        (await admin().post('/api/v1/api-keys', { name: 'reader-of-logs', role: 'viewer' })).body.key,
      );
      const created = await admin().post('/api/v1/logs', {
        workerId: 'w',
        action: 'secrets',
        message: `pushed with ${pat} and bearer ${jwt}; DB_PASSWORD=env-secret-value`,
        outputData: {
          deep,
          slack: 'xoxb-1234567890-0987654321-AbCdEfGhIjKlMnOp',
          credentials: ['nested-array-secret'],
        },
      });
      expect(created.status).toBe(201);
      const read = JSON.stringify((await viewer.get(`/api/v1/logs/${created.body.id}`)).body);
      const audit = JSON.stringify((await admin().get(`/api/v1/audit?resourceId=${created.body.id}`)).body);
      const stored = JSON.stringify(
        (await pg.query('SELECT * FROM governance.execution_logs WHERE id = $1', [created.body.id])).rows,
      );
      const storedAudit = JSON.stringify(
        (await pg.query('SELECT * FROM governance.audit_log WHERE resource_id = $1', [created.body.id])).rows,
      );
      for (const s of secrets) {
        for (const [where, text] of [
          ['read', read],
          ['audit', audit],
          ['stored', stored],
          ['stored audit', storedAudit],
        ]) {
          expect({ where, leaked: text!.includes(s) ? s : null }).toEqual({ where, leaked: null });
        }
      }
      expect(read).toContain('[REDACTED]');
      expect(audit).toContain('[REDACTED]');
    });

    it('redacts again at read time what was stored before a rule existed', async () => {
      const [{ id }] = (
        await pg.query(
          `INSERT INTO governance.execution_logs (worker_id, action, message, output_data) VALUES ('w', 'old', $1, $2::jsonb) RETURNING id`,
          [
            `legacy ${pat}`,
            JSON.stringify({ a: { b: { c: { d: { e: { f: { g: { h: { i: { token: 'hunter2-deep' } } } } } } } } } }),
          ],
        )
      ).rows;
      const read = JSON.stringify((await admin().get(`/api/v1/logs/${id}`)).body);
      expect(read).not.toContain(pat);
      expect(read).not.toContain('hunter2-deep');
      expect(JSON.stringify((await admin().get('/api/v1/logs?action=old')).body)).not.toContain('hunter2-deep');
    });
  });

  describe('goals that do not exist', () => {
    it('answers 404 to notes and progress on them', async () => {
      expect((await admin().post(`/api/v1/goals/${UNKNOWN_GOAL}/notes`, { content: 'orphan' })).status).toBe(404);
      expect((await admin().get(`/api/v1/goals/${UNKNOWN_GOAL}/notes`)).status).toBe(404);
      expect((await admin().get(`/api/v1/goals/${UNKNOWN_GOAL}/progress`)).status).toBe(404);
      expect(await count('SELECT count(*) AS n FROM governance.goal_notes WHERE goal_id = $1', [UNKNOWN_GOAL])).toBe(0);
      const goal = (await admin().post('/api/v1/goals', { title: 'exists', successCriteria: ['x'] })).body.id as string;
      expect((await admin().post(`/api/v1/goals/${goal}/notes`, { content: 'kept' })).status).toBe(201);
      expect((await admin().get<GoalNoteV1[]>(`/api/v1/goals/${goal}/notes`)).body.map((n) => n.content)).toEqual([
        'kept',
      ]);
    });
  });

  describe('the task-submission policy', () => {
    it('is part of the policy: validated (400 naming the field), stored, served, optional with a documented default', async () => {
      const base = { budgets: { currency: 'USD' }, approvals: { toolsRequiringApproval: [], ttlSeconds: 3600 } };
      const bad = await admin().put('/api/v1/policies', {
        ...base,
        permissions: { taskTypes: {}, tools: {}, taskSubmitters: { 'dev.change': ['root'] } },
      });
      expect(bad.status).toBe(400);
      expect(JSON.stringify(bad.body.message)).toContain('taskSubmitters');
      const level = await admin().put('/api/v1/policies', {
        ...base,
        permissions: { taskTypes: {}, tools: {}, agentMaxSubmitLevel: 9 },
      });
      expect(level.status).toBe(400);
      expect(JSON.stringify(level.body.message)).toContain('agentMaxSubmitLevel');
      const permissions = {
        taskTypes: {},
        tools: {},
        taskSubmitters: { 'dev.change': ['admin'] },
        agentMaxSubmitLevel: 3,
      };
      const ok = await admin().put('/api/v1/policies', { ...base, permissions });
      expect(ok.status).toBe(200);
      expect((await admin().get('/api/v1/policies')).body.permissions).toEqual(permissions);
      const doc = (await apiClient(url).get('/docs-json')).body;
      expect(doc.components.schemas.PermissionPolicyV1.properties.taskSubmitters.description).toContain(
        '"dev.change":["admin","operator"]',
      );
    });
  });
});
