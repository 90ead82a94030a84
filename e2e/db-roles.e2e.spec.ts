import { randomBytes } from 'node:crypto';
import { adminQuery, apiClient, eventually, TestStack } from '@juggernaut/testing';
import { Client } from 'pg';
import { governanceApi } from '../apps/governance-api/src/service';
import { taskDispatcher } from '../apps/task-dispatcher/src/service';

const ADMIN_KEY = 'roles-admin-key-0123456789abcdef';

/** Each service runs as its own Postgres role, with rights on its own schema only. */
describe('per-service database roles', () => {
  let stack: TestStack;
  const suffix = randomBytes(3).toString('hex');
  const roles = { governance: `jg_gov_${suffix}`, dispatch: `jg_disp_${suffix}` };
  const urlOf = (role: string) => {
    const u = new URL(stack.db.url);
    u.username = role;
    u.password = randomBytes(12).toString('hex');
    return u.toString();
  };
  const urls: Record<string, string> = {};
  /** As the admin, in the suite's database (adminQuery connects to the maintenance database). */
  const dbQuery = async (sql: string): Promise<any[]> => {
    const c = new Client({ connectionString: stack.db.url });
    await c.connect();
    try {
      return (await c.query(sql)).rows;
    } finally {
      await c.end();
    }
  };
  const as = async <T>(role: keyof typeof roles, fn: (c: Client) => Promise<T>): Promise<T> => {
    const c = new Client({ connectionString: urls[role] });
    await c.connect();
    try {
      return await fn(c);
    } finally {
      await c.end();
    }
  };

  beforeAll(async () => {
    stack = await TestStack.create('roles');
    urls['governance'] = urlOf(roles.governance);
    urls['dispatch'] = urlOf(roles.dispatch);
    const gov = await stack.start(governanceApi, { DATABASE_URL: urls['governance']!, DATABASE_ADMIN_URL: stack.db.url, JUGGERNAUT_ADMIN_KEY: ADMIN_KEY });
    await stack.start(taskDispatcher, { DATABASE_URL: urls['dispatch']!, DATABASE_ADMIN_URL: stack.db.url });
    const api = apiClient(gov.url, ADMIN_KEY);
    expect((await api.get('/health/ready')).status).toBe(200);
    expect((await api.post('/api/v1/tasks', { type: 'manual' })).status).toBe(201);
    await eventually(async () => (await api.get('/api/v1/audit?action=http.post')).body.items.length > 0);
  });

  afterAll(async () => {
    await stack?.close();
    for (const r of Object.values(roles)) await adminQuery(`DROP ROLE IF EXISTS ${r}`).catch(() => undefined);
  });

  it('runs each service, migrations included, as its own role owning its own schema', async () => {
    const owners = await dbQuery(
      `SELECT nspname, pg_get_userbyid(nspowner) AS owner FROM pg_namespace WHERE nspname IN ('governance', 'dispatch') ORDER BY 1`,
    );
    expect(owners).toEqual([{ nspname: 'dispatch', owner: roles.dispatch }, { nspname: 'governance', owner: roles.governance }]);
    const sessions = await dbQuery(
      `SELECT DISTINCT usename FROM pg_stat_activity WHERE datname = current_database() AND application_name LIKE 'juggernaut-%' ORDER BY 1`,
    );
    expect(sessions).toEqual(expect.arrayContaining([{ usename: roles.dispatch }, { usename: roles.governance }]));
    expect(await as('governance', async (c) => (await c.query('SELECT count(*)::int AS n FROM governance.api_keys')).rows[0].n)).toBeGreaterThan(0);
    expect(await as('dispatch', async (c) => (await c.query('SELECT count(*)::int AS n FROM dispatch.tasks')).rows[0].n)).toBe(1);
  });

  it("refuses one service's role every read of another service's tables", async () => {
    await as('governance', async (c) => {
      await expect(c.query('SELECT * FROM dispatch.tasks')).rejects.toThrow(/permission denied/);
      await expect(c.query('INSERT INTO dispatch.tasks (type) VALUES ($1)', ['x'])).rejects.toThrow(/permission denied/);
    });
    await as('dispatch', async (c) => {
      await expect(c.query('SELECT * FROM governance.api_keys')).rejects.toThrow(/permission denied/);
      await expect(c.query('SELECT * FROM governance.audit_log')).rejects.toThrow(/permission denied/);
      await expect(c.query('CREATE TABLE public.sneaky (id int)')).rejects.toThrow(/permission denied/);
    });
  });

  it("leaves governance's own role able to read and append to the audit log, but not change it", async () => {
    await as('governance', async (c) => {
      expect((await c.query('SELECT count(*)::int AS n FROM governance.audit_log')).rows[0].n).toBeGreaterThan(0);
      await expect(c.query(`UPDATE governance.audit_log SET actor = 'x'`)).rejects.toThrow(/permission denied/);
      await expect(c.query('DELETE FROM governance.audit_log')).rejects.toThrow(/permission denied/);
      await expect(c.query('TRUNCATE governance.audit_log')).rejects.toThrow(/permission denied/);
      await expect(c.query('DROP TRIGGER audit_log_no_update_delete ON governance.audit_log')).rejects.toThrow(/must be owner/);
      await expect(c.query('ALTER TABLE governance.audit_log DISABLE TRIGGER ALL')).rejects.toThrow(/must be owner/);
      await expect(c.query(`CREATE OR REPLACE FUNCTION governance.audit_log_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$`))
        .rejects.toThrow(/must be owner/);
    });
  });

  it('provisions again on the next migrate without losing anything (idempotent)', async () => {
    const before = (await dbQuery('SELECT count(*)::int AS n FROM governance.audit_log'))[0] as { n: number };
    const gov = await stack.start(governanceApi, { DATABASE_URL: urls['governance']!, DATABASE_ADMIN_URL: stack.db.url, JUGGERNAUT_ADMIN_KEY: ADMIN_KEY });
    expect((await apiClient(gov.url, ADMIN_KEY).get('/api/v1/audit?limit=1')).status).toBe(200);
    const [owner] = await dbQuery(`SELECT pg_get_userbyid(relowner) AS owner FROM pg_class WHERE oid = 'governance.audit_log'::regclass`);
    expect(owner).toEqual({ owner: 'postgres' });
    expect(((await dbQuery('SELECT count(*)::int AS n FROM governance.audit_log'))[0] as { n: number }).n).toBeGreaterThanOrEqual(before.n);
  });
});
