import { randomBytes } from 'node:crypto';
import { jetstream } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { BaseEnv } from '@juggernaut/config';
import { checkMigrations, migrateService, type ServiceDefinition, startService } from '@juggernaut/service-kit';
import { adminQuery, apiClient, connectTestNats, eventually, natsRpc, TestStack } from '@juggernaut/testing';
import { Client } from 'pg';
import { devBot } from '../apps/dev-bot/src/service';
import { experimentTracker } from '../apps/experiment-tracker/src/service';
import { governanceApi } from '../apps/governance-api/src/service';
import { revenueLedger } from '../apps/revenue-ledger/src/service';
import { taskDispatcher } from '../apps/task-dispatcher/src/service';

const ADMIN_KEY = 'roles-admin-key-0123456789abcdef';
const suffix = randomBytes(3).toString('hex');

/** Each schema, the service that owns it, and the runtime role the service runs as in this suite. */
const SERVICES = {
  governance: { def: governanceApi, role: `jg_gov_${suffix}` },
  dispatch: { def: taskDispatcher, role: `jg_disp_${suffix}` },
  ledger: { def: revenueLedger, role: `jg_led_${suffix}` },
  devbot: { def: devBot, role: `jg_dev_${suffix}` },
  experiments: { def: experimentTracker, role: `jg_exp_${suffix}` },
} as const;
type Schema = keyof typeof SERVICES;
const SCHEMAS = Object.keys(SERVICES) as Schema[];
/** The owner role `migrate` derives from the runtime role: it owns the schema and runs the migrations. */
const ownerOf = (role: string) => `${role}_owner`;

/** Tables the runtime role may only read and append to; every other table gets SELECT, INSERT, UPDATE, DELETE. */
const APPEND_ONLY: Record<Schema, string[]> = {
  governance: ['audit_log'],
  dispatch: [],
  ledger: ['accounts', 'payment_events', 'postings', 'transactions'],
  devbot: ['change_steps'],
  experiments: [],
};
const TABLE_PRIVILEGES = ['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER'];

function urlAs(base: string, role: string, password: string): string {
  const u = new URL(base);
  u.username = role;
  u.password = password;
  return u.toString();
}

async function withClient<T>(url: string, fn: (c: Client) => Promise<T>): Promise<T> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/**
 * Runs a statement in a transaction that is always rolled back (so one that wrongly succeeds destroys
 * nothing) and answers Postgres's refusal as "<SQLSTATE>: <message>", or "allowed".
 */
async function attempt(c: Client, sql: string): Promise<string> {
  await c.query('BEGIN');
  try {
    await c.query(sql);
    return 'allowed';
  } catch (e) {
    const err = e as { code?: string; message: string };
    return `${err.code}: ${err.message}`;
  } finally {
    await c.query('ROLLBACK');
  }
}

/** Attempts every statement and expects each refused with the Postgres error given beside it. */
async function expectRefused(c: Client, refusals: Array<[string, RegExp]>): Promise<void> {
  const outcomes: Array<[string, string]> = [];
  for (const [sql] of refusals) outcomes.push([sql, await attempt(c, sql)]);
  expect(outcomes).toEqual(refusals.map(([sql, refusal]) => [sql, expect.stringMatching(refusal)]));
}

/** Objects in a schema (the schema itself, relations, routines, types) and who owns each. */
async function ownersIn(db: Client, schema: string): Promise<Array<{ object: string; owner: string }>> {
  return (
    await db.query(
      `SELECT 'schema ' || n.nspname AS object, pg_get_userbyid(n.nspowner) AS owner FROM pg_namespace n WHERE n.nspname = $1
     UNION ALL
     SELECT 'relation ' || c.relname, pg_get_userbyid(c.relowner) FROM pg_class c WHERE c.relnamespace = $1::regnamespace
     UNION ALL
     SELECT 'routine ' || p.oid::regprocedure::text, pg_get_userbyid(p.proowner) FROM pg_proc p WHERE p.pronamespace = $1::regnamespace
     UNION ALL
     SELECT 'type ' || t.typname, pg_get_userbyid(t.typowner) FROM pg_type t WHERE t.typnamespace = $1::regnamespace
     ORDER BY 1`,
      [schema],
    )
  ).rows;
}

/** The table privileges a role holds on every table of a schema, table by table. */
async function tablePrivileges(db: Client, schema: string, role: string): Promise<Record<string, string[]>> {
  const rows = (
    await db.query(
      `SELECT c.relname AS name, array_remove(ARRAY[${TABLE_PRIVILEGES.map((_, i) => `CASE WHEN has_table_privilege($2, c.oid, $${i + 3}) THEN $${i + 3} END`).join(', ')}], NULL) AS privileges
       FROM pg_class c WHERE c.relnamespace = $1::regnamespace AND c.relkind IN ('r', 'p') ORDER BY 1`,
      [schema, role, ...TABLE_PRIVILEGES],
    )
  ).rows as Array<{ name: string; privileges: string[] }>;
  return Object.fromEntries(rows.map((r) => [r.name, r.privileges]));
}

/** What each table should give the runtime role: read-only migrations, append-only history, DML elsewhere. */
function expectedPrivileges(schema: Schema, tables: string[]): Record<string, string[]> {
  return Object.fromEntries(
    tables.map((t) => [
      t,
      t === 'migrations'
        ? ['SELECT']
        : APPEND_ONLY[schema].includes(t)
          ? ['SELECT', 'INSERT']
          : ['SELECT', 'INSERT', 'UPDATE', 'DELETE'],
    ]),
  );
}

/** Everything provisioning decides, to compare two runs: owners and access lists of the schema and what is in it. */
async function accessSnapshot(db: Client, schema: string): Promise<unknown[]> {
  return (
    await db.query(
      `SELECT 'schema' AS kind, n.nspname::text AS name, pg_get_userbyid(n.nspowner) AS owner, n.nspacl::text AS acl FROM pg_namespace n WHERE n.nspname = $1
     UNION ALL SELECT 'relation', c.relname::text, pg_get_userbyid(c.relowner), c.relacl::text FROM pg_class c WHERE c.relnamespace = $1::regnamespace
     UNION ALL SELECT 'routine', p.oid::regprocedure::text, pg_get_userbyid(p.proowner), p.proacl::text FROM pg_proc p WHERE p.pronamespace = $1::regnamespace
     UNION ALL SELECT 'default', d.defaclobjtype::text, pg_get_userbyid(d.defaclrole), d.defaclacl::text FROM pg_default_acl d WHERE d.defaclnamespace = $1::regnamespace
     ORDER BY 1, 2`,
      [schema],
    )
  ).rows;
}

/**
 * Least privilege in Postgres: each service's schema and everything in it belong to an owner role
 * that only migrations act as; the service runs as a runtime role with the DML its code needs and
 * nothing else, so it can neither erase its audit trail, its ledger or its change history (no DROP,
 * TRUNCATE, DISABLE TRIGGER, UPDATE or DELETE on them) nor reach another service's tables.
 */
describe('per-service database roles: a schema owner for migrations, a runtime role for the service', () => {
  let stack: TestStack;
  let nc: NatsConnection;
  let db: Client;
  let api: ReturnType<typeof apiClient>;
  const passwords = Object.fromEntries(SCHEMAS.map((s) => [s, randomBytes(12).toString('hex')])) as Record<
    Schema,
    string
  >;
  const runtimeUrl = (s: Schema) => urlAs(stack.db.url, SERVICES[s].role, passwords[s]);
  const envOf = (s: Schema): Record<string, string> => ({
    DATABASE_URL: runtimeUrl(s),
    DATABASE_ADMIN_URL: stack.db.url,
    ...(s === 'governance' ? { JUGGERNAUT_ADMIN_KEY: ADMIN_KEY } : {}),
  });
  const as = <T>(s: Schema, fn: (c: Client) => Promise<T>) => withClient(runtimeUrl(s), fn);

  beforeAll(async () => {
    stack = await TestStack.create('roles');
    for (const s of SCHEMAS) await stack.start(SERVICES[s].def as unknown as ServiceDefinition<BaseEnv>, envOf(s));
    api = apiClient(stack.services[0]!.url, ADMIN_KEY);
    nc = await connectTestNats();
    db = new Client({ connectionString: stack.db.url });
    await db.connect();
    expect((await api.post('/api/v1/tasks', { type: 'manual' })).status).toBe(201);
    await eventually(async () => (await api.get('/api/v1/audit?action=http.post')).body.items.length > 0);
  });

  afterAll(async () => {
    await nc?.close();
    await db?.end();
    await stack?.close();
    for (const s of SCHEMAS) {
      for (const r of [SERVICES[s].role, ownerOf(SERVICES[s].role)])
        await adminQuery(`DROP ROLE IF EXISTS ${r}`).catch(() => undefined);
    }
  });

  it('gives each schema and everything in it to an owner role that cannot log in, and runs each service as its runtime role', async () => {
    for (const s of SCHEMAS) {
      const { role } = SERVICES[s];
      const owners = await ownersIn(db, s);
      expect(owners.length).toBeGreaterThan(5);
      expect(owners.filter((o) => o.owner !== ownerOf(role))).toEqual([]);
      const [roles] = (
        await db.query(
          `SELECT (SELECT rolcanlogin FROM pg_roles WHERE rolname = $2) AS owner_logs_in, (SELECT rolcanlogin FROM pg_roles WHERE rolname = $1) AS runtime_logs_in,
                pg_has_role($1, $2, 'MEMBER') AS runtime_is_owner`,
          [role, ownerOf(role)],
        )
      ).rows;
      expect({ schema: s, ...roles }).toEqual({
        schema: s,
        owner_logs_in: false,
        runtime_logs_in: true,
        runtime_is_owner: false,
      });
    }
    const sessions = (
      await db.query(
        `SELECT DISTINCT usename FROM pg_stat_activity WHERE datname = current_database() AND application_name LIKE 'juggernaut-%' ORDER BY 1`,
      )
    ).rows.map((r) => r.usename as string);
    expect(sessions).toEqual(SCHEMAS.map((s) => SERVICES[s].role).sort());
  });

  it('grants each runtime role only what its code needs: DML on ordinary tables, SELECT and INSERT on append-only ones, sequences, functions', async () => {
    for (const s of SCHEMAS) {
      const { role } = SERVICES[s];
      const privileges = await tablePrivileges(db, s, role);
      expect(Object.keys(privileges)).toEqual(expect.arrayContaining(['migrations', 'outbox', ...APPEND_ONLY[s]]));
      expect(privileges).toEqual(expectedPrivileges(s, Object.keys(privileges)));
      const [schema] = (
        await db.query(
          `SELECT has_schema_privilege($1, $2, 'USAGE') AS usage, has_schema_privilege($1, $2, 'CREATE') AS create,
                has_database_privilege($1, current_database(), 'CREATE') AS create_in_database`,
          [role, s],
        )
      ).rows;
      expect({ schema: s, ...schema }).toEqual({ schema: s, usage: true, create: false, create_in_database: false });
      const sequences = (
        await db.query(
          `SELECT c.relname AS name, has_sequence_privilege($2, c.oid, 'USAGE') AS usage, has_sequence_privilege($2, c.oid, 'SELECT') AS select,
                has_sequence_privilege($2, c.oid, 'UPDATE') AS update
           FROM pg_class c WHERE c.relnamespace = $1::regnamespace AND c.relkind = 'S' ORDER BY 1`,
          [s, role],
        )
      ).rows;
      expect(sequences.length).toBeGreaterThan(0);
      for (const q of sequences) expect(q).toEqual({ name: q.name, usage: true, select: true, update: false });
      const routines = (
        await db.query(
          `SELECT p.oid::regprocedure::text AS name, has_function_privilege($2, p.oid, 'EXECUTE') AS execute
           FROM pg_proc p WHERE p.pronamespace = $1::regnamespace ORDER BY 1`,
          [s, role],
        )
      ).rows;
      for (const r of routines) expect(r).toEqual({ name: r.name, execute: true });
    }
    const dispatchRoutines = (
      await db.query(`SELECT p.proname FROM pg_proc p WHERE p.pronamespace = 'dispatch'::regnamespace`)
    ).rows.map((r) => r.proname);
    expect(dispatchRoutines).toEqual(expect.arrayContaining(['release_dependents', 'claim_in_time']));
  });

  it("refuses governance-api's runtime role every way to erase, rewrite or replace the audit log", async () => {
    const role = SERVICES.governance.role;
    await as('governance', async (c) => {
      expect((await c.query('SELECT count(*)::int AS n FROM governance.audit_log')).rows[0].n).toBeGreaterThan(0);
      const refusals: Array<[string, RegExp]> = [
        ['DROP TABLE governance.audit_log', /^42501: must be owner of table audit_log$/],
        ['DROP TABLE governance.audit_log CASCADE', /^42501: must be owner of table audit_log$/],
        ['ALTER TABLE governance.audit_log DISABLE TRIGGER ALL', /^42501: must be owner of table audit_log$/],
        [
          'ALTER TABLE governance.audit_log DISABLE TRIGGER audit_log_no_update_delete',
          /^42501: must be owner of table audit_log$/,
        ],
        [
          'DROP TRIGGER audit_log_no_update_delete ON governance.audit_log',
          /^42501: must be owner of relation audit_log$/,
        ],
        ['ALTER TABLE governance.audit_log RENAME TO audit_log_old', /^42501: must be owner of table audit_log$/],
        [`ALTER TABLE governance.audit_log OWNER TO ${role}`, /^42501: must be owner of table audit_log$/],
        [
          'DROP FUNCTION governance.audit_log_is_append_only()',
          /^42501: must be owner of function governance\.audit_log_is_append_only$/,
        ],
        [
          'DROP FUNCTION governance.audit_log_is_append_only() CASCADE',
          /^42501: must be owner of function governance\.audit_log_is_append_only$/,
        ],
        [
          `CREATE OR REPLACE FUNCTION governance.audit_log_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$`,
          /^42501: permission denied for schema governance$/,
        ],
        ['CREATE TABLE governance.audit_log_copy (id int)', /^42501: permission denied for schema governance$/],
        ['CREATE VIEW governance.v AS SELECT 1 AS one', /^42501: permission denied for schema governance$/],
        ['TRUNCATE governance.audit_log', /^42501: permission denied for table audit_log$/],
        [`UPDATE governance.audit_log SET actor = 'someone else'`, /^42501: permission denied for table audit_log$/],
        ['DELETE FROM governance.audit_log', /^42501: permission denied for table audit_log$/],
        ['LOCK TABLE governance.audit_log IN ACCESS EXCLUSIVE MODE', /^42501: permission denied for table audit_log$/],
        ['DROP SCHEMA governance CASCADE', /^42501: must be owner of schema governance$/],
        [`SET ROLE ${ownerOf(role)}`, /^42501: permission denied to set role/],
      ];
      await expectRefused(c, refusals);
    });
  });

  it("refuses revenue-ledger's runtime role every way to erase or rewrite posted transactions, their postings and accounts", async () => {
    await as('ledger', async (c) => {
      const refusals: Array<[string, RegExp]> = [];
      for (const t of ['transactions', 'postings', 'accounts']) {
        refusals.push(
          [`DROP TABLE ledger.${t} CASCADE`, new RegExp(`^42501: must be owner of table ${t}$`)],
          [`ALTER TABLE ledger.${t} DISABLE TRIGGER ALL`, new RegExp(`^42501: must be owner of table ${t}$`)],
          [`ALTER TABLE ledger.${t} DISABLE TRIGGER USER`, new RegExp(`^42501: must be owner of table ${t}$`)],
          [`TRUNCATE ledger.${t} CASCADE`, new RegExp(`^42501: permission denied for table ${t}$`)],
          [`DELETE FROM ledger.${t}`, new RegExp(`^42501: permission denied for table ${t}$`)],
          [`ALTER TABLE ledger.${t} RENAME TO ${t}_old`, new RegExp(`^42501: must be owner of table ${t}$`)],
        );
      }
      refusals.push(
        [
          'ALTER TABLE ledger.transactions DISABLE TRIGGER transactions_immutable',
          /^42501: must be owner of table transactions$/,
        ],
        ['ALTER TABLE ledger.postings DISABLE TRIGGER postings_immutable', /^42501: must be owner of table postings$/],
        [
          'DROP TRIGGER transactions_immutable ON ledger.transactions',
          /^42501: must be owner of relation transactions$/,
        ],
        [
          `UPDATE ledger.transactions SET description = 'rewritten'`,
          /^42501: permission denied for table transactions$/,
        ],
        ['UPDATE ledger.postings SET amount_minor = 0', /^42501: permission denied for table postings$/],
        [`UPDATE ledger.accounts SET name = name || ':old'`, /^42501: permission denied for table accounts$/],
        ['DROP FUNCTION ledger.refuse_change() CASCADE', /^42501: must be owner of function ledger\.refuse_change$/],
        ['DROP FUNCTION ledger.check_balanced() CASCADE', /^42501: must be owner of function ledger\.check_balanced$/],
        [
          `CREATE OR REPLACE FUNCTION ledger.refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$`,
          /^42501: permission denied for schema ledger$/,
        ],
        ['CREATE TABLE ledger.transactions_copy (id int)', /^42501: permission denied for schema ledger$/],
        [
          'ALTER TABLE ledger.balances DROP CONSTRAINT balances_no_overdraft',
          /^42501: must be owner of table balances$/,
        ],
        ['DROP SCHEMA ledger CASCADE', /^42501: must be owner of schema ledger$/],
      );
      await expectRefused(c, refusals);
    });
  });

  it("refuses dev-bot's runtime role every way to erase or rewrite a change's timeline", async () => {
    await as('devbot', async (c) => {
      const refusals: Array<[string, RegExp]> = [
        ['DROP TABLE devbot.change_steps', /^42501: must be owner of table change_steps$/],
        ['ALTER TABLE devbot.change_steps DISABLE TRIGGER ALL', /^42501: must be owner of table change_steps$/],
        ['ALTER TABLE devbot.change_steps RENAME TO change_steps_old', /^42501: must be owner of table change_steps$/],
        ['TRUNCATE devbot.change_steps', /^42501: permission denied for table change_steps$/],
        [`UPDATE devbot.change_steps SET message = 'rewritten'`, /^42501: permission denied for table change_steps$/],
        ['DELETE FROM devbot.change_steps', /^42501: permission denied for table change_steps$/],
        ['CREATE TABLE devbot.change_steps_copy (id int)', /^42501: permission denied for schema devbot$/],
        ['DROP SCHEMA devbot CASCADE', /^42501: must be owner of schema devbot$/],
      ];
      await expectRefused(c, refusals);
    });
  });

  it("refuses the dispatcher's and the tracker's runtime roles DDL, TRUNCATE and trigger control on their own tables", async () => {
    await as('dispatch', async (c) => {
      const refusals: Array<[string, RegExp]> = [
        ['CREATE TABLE dispatch.sneaky (id int)', /^42501: permission denied for schema dispatch$/],
        ['DROP TABLE dispatch.tasks CASCADE', /^42501: must be owner of table tasks$/],
        ['TRUNCATE dispatch.tasks CASCADE', /^42501: permission denied for table tasks$/],
        ['ALTER TABLE dispatch.tasks DISABLE TRIGGER ALL', /^42501: must be owner of table tasks$/],
        ['ALTER TABLE dispatch.tasks ADD COLUMN x int', /^42501: must be owner of table tasks$/],
        [
          'DROP FUNCTION dispatch.release_dependents(uuid[])',
          /^42501: must be owner of function dispatch\.release_dependents$/,
        ],
        ['DELETE FROM dispatch.migrations', /^42501: permission denied for table migrations$/],
      ];
      await expectRefused(c, refusals);
      // and it may run its own functions
      expect((await c.query(`SELECT dispatch.claim_in_time(now() + interval '1 minute') AS ok`)).rows[0].ok).toBe(true);
      expect(
        (await c.query(`SELECT count(*)::int AS n FROM dispatch.release_dependents('{}'::uuid[])`)).rows[0].n,
      ).toBe(0);
    });
    await as('experiments', async (c) => {
      expect(await attempt(c, 'CREATE TABLE experiments.sneaky (id int)')).toBe(
        '42501: permission denied for schema experiments',
      );
      expect(await attempt(c, 'DROP TABLE experiments.experiments CASCADE')).toBe(
        '42501: must be owner of table experiments',
      );
      expect(await attempt(c, 'TRUNCATE experiments.experiments CASCADE')).toBe(
        '42501: permission denied for table experiments',
      );
    });
  });

  it('runs every service end to end as its runtime role: writes and reads through the API and NATS', async () => {
    const rpc = natsRpc(nc, stack.namespace);
    // dispatch: a parent and a dependent; claiming and finishing the parent runs claim_in_time and release_dependents
    const parent = (await api.post('/api/v1/tasks', { type: 'roles.parent' })).body;
    const child = (await api.post('/api/v1/tasks', { type: 'roles.child', dependsOn: [parent.id] })).body;
    expect(child.status).toBe('blocked');
    const claimed = await eventually(async () => {
      const r = await rpc.call('juggernaut.task.claim.v1', {
        workerId: 'roles-worker',
        level: 5,
        capabilities: [],
        types: ['roles.parent'],
        max: 1,
        timeoutMs: 5_000,
      });
      return r.tasks[0];
    });
    expect(claimed.id).toBe(parent.id);
    const finished = await rpc.call('juggernaut.task.finish.v1', {
      workerId: 'roles-worker',
      results: [{ taskId: claimed.id, claimToken: claimed.claimToken, outcome: 'succeeded' }],
    });
    expect(finished.accepted).toEqual([{ taskId: parent.id, status: 'succeeded' }]);
    expect((await api.get(`/api/v1/tasks/${child.id}`)).body.status).toBe('pending');

    // ledger: an account and an entry through REST (accounts, a transaction, its postings, balances) and revenue from NATS
    expect((await api.post('/api/v1/ledger/accounts', { name: 'equity:opening' })).status).toBe(201);
    const entry = {
      description: 'opening balance',
      idempotencyKey: 'roles-1',
      postings: [
        { account: 'assets:cash:USD', amountMinor: 1_000, currency: 'USD' },
        { account: 'equity:opening', amountMinor: -1_000, currency: 'USD' },
      ],
    };
    const posted = await api.post('/api/v1/ledger/transactions', entry);
    expect({ status: posted.status, body: posted.body }).toMatchObject({ status: 201, body: { kind: 'manual' } });
    await jetstream(nc).publish(
      `${stack.namespace}.juggernaut.revenue.recorded.v1`,
      JSON.stringify({
        eventId: 'roles-sale-1',
        amountMinor: 2_500,
        currency: 'USD',
        source: 'shop',
        occurredAt: '2026-11-20T09:00:00Z',
      }),
    );
    await eventually(
      async () => (await api.get('/api/v1/ledger/transactions?eventId=roles-sale-1')).body.items?.length === 1,
    );
    // the opening 1,000 and the sale's 2,500, kept by the postings trigger running as the runtime role
    expect((await api.get('/api/v1/ledger/balances?account=assets:cash:USD')).body.balances).toEqual([
      { currency: 'USD', balanceMinor: 3_500 },
    ]);

    // dev-bot: a repository and a change (its timeline in change_steps, its task in the dispatcher)
    expect(
      (await api.post('/api/v1/repositories', { name: 'roles-repo', cloneUrl: '/srv/git/roles.git' })).status,
    ).toBe(201);
    const change = await api.post('/api/v1/changes', { repository: 'roles-repo', goal: 'Say hello in the README.' });
    expect(change.status).toBe(201);
    const shown = (await api.get(`/api/v1/changes/${change.body.id}`)).body;
    expect(shown).toMatchObject({ status: 'queued', steps: [expect.objectContaining({ stage: 'queued' })] });

    // experiment-tracker: create and read back
    const experiment = await api.post('/api/v1/experiments', {
      name: 'Roles',
      hypothesis: 'A runtime role is enough to run an experiment.',
      primaryMetric: 'conversion',
      budgetMinor: 1_000,
      variants: [
        { key: 'control', weight: 50, control: true },
        { key: 'b', weight: 50 },
      ],
    });
    expect(experiment.status).toBe(201);
    expect((await api.get(`/api/v1/experiments/${experiment.body.id}`)).body).toMatchObject({
      name: 'Roles',
      status: 'draft',
    });

    // governance: every one of those calls is in the audit log
    const audit = (await api.get('/api/v1/audit?action=http.post&limit=100')).body.items as Array<{
      resourceType: string;
    }>;
    expect(audit.length).toBeGreaterThanOrEqual(6);
  });

  it("refuses one service's role every read of another service's tables", async () => {
    await as('governance', async (c) => {
      await expect(c.query('SELECT * FROM dispatch.tasks')).rejects.toThrow(/permission denied/);
      await expect(c.query('INSERT INTO dispatch.tasks (type) VALUES ($1)', ['x'])).rejects.toThrow(
        /permission denied/,
      );
      await expect(c.query('SELECT * FROM ledger.transactions')).rejects.toThrow(/permission denied/);
    });
    await as('dispatch', async (c) => {
      await expect(c.query('SELECT * FROM governance.api_keys')).rejects.toThrow(/permission denied/);
      await expect(c.query('SELECT * FROM governance.audit_log')).rejects.toThrow(/permission denied/);
      await expect(c.query('CREATE TABLE public.sneaky (id int)')).rejects.toThrow(/permission denied/);
    });
  });

  it('gives a table a later migration creates the runtime grants by default, before any re-grant', async () => {
    const { role } = SERVICES.governance;
    await db.query(`SET ROLE ${ownerOf(role)}`);
    try {
      await db.query('CREATE TABLE governance.later_table (id bigserial PRIMARY KEY, note text)');
    } finally {
      await db.query('RESET ROLE');
    }
    try {
      expect((await tablePrivileges(db, 'governance', role))['later_table']).toEqual([
        'SELECT',
        'INSERT',
        'UPDATE',
        'DELETE',
      ]);
      await as('governance', async (c) => {
        await c.query(`INSERT INTO governance.later_table (note) VALUES ('written by the service')`);
        expect(await attempt(c, 'DROP TABLE governance.later_table')).toBe('42501: must be owner of table later_table');
      });
    } finally {
      await db.query('DROP TABLE governance.later_table');
    }
  });

  it('provisions again on the next migrate without changing anything or losing anything (idempotent)', async () => {
    const snapshot = async () => {
      const all: unknown[] = [];
      for (const s of SCHEMAS) all.push(await accessSnapshot(db, s));
      return all;
    };
    const before = await snapshot();
    const audited = (await db.query('SELECT count(*)::int AS n FROM governance.audit_log')).rows[0].n as number;
    for (const s of SCHEMAS) {
      const def = SERVICES[s].def as unknown as ServiceDefinition<BaseEnv>;
      expect(await migrateService(def, stack.env(envOf(s)))).toEqual([]);
      // what a Deployment's init container runs (`migrate --check`), with the runtime role only
      expect(await checkMigrations(def, stack.env({ DATABASE_URL: runtimeUrl(s) }))).toEqual([]);
    }
    expect(await snapshot()).toEqual(before);
    expect((await db.query('SELECT count(*)::int AS n FROM governance.audit_log')).rows[0].n).toBeGreaterThanOrEqual(
      audited,
    );
    expect((await api.get('/api/v1/audit?limit=1')).status).toBe(200);
  });

  it('refuses to provision when DATABASE_URL names the administrator itself', async () => {
    await expect(
      migrateService(governanceApi, stack.env({ DATABASE_ADMIN_URL: stack.db.url, JUGGERNAUT_ADMIN_KEY: ADMIN_KEY })),
    ).rejects.toThrow(/DATABASE_URL must name the service's own role/);
  });
});

/**
 * A database migrated before the split: the runtime role owned its schema and everything in it, and
 * the administrator owned the audit log. The next migrate moves every object to the owner role and
 * leaves the runtime role its grants only, keeping every row.
 */
describe('per-service database roles on a database provisioned the old way', () => {
  let stack: TestStack;
  const role = `jg_up_${suffix}`;
  const password = randomBytes(12).toString('hex');

  beforeAll(async () => {
    stack = await TestStack.create('rolesupgrade');
  });

  afterAll(async () => {
    await stack?.close();
    for (const r of [role, ownerOf(role)]) await adminQuery(`DROP ROLE IF EXISTS ${r}`).catch(() => undefined);
  });

  it('moves the schema and everything in it from the runtime role (and the administrator) to the owner role, keeping the data', async () => {
    const runtimeUrl = urlAs(stack.db.url, role, password);
    await withClient(stack.db.url, async (admin) => {
      // what provisioning used to do: the service's login role owns its schema …
      await admin.query(`CREATE ROLE ${role} LOGIN PASSWORD '${password}'`);
      await admin.query(`GRANT CONNECT, TEMPORARY ON DATABASE ${stack.db.name} TO ${role}`);
      await admin.query(`CREATE SCHEMA governance AUTHORIZATION ${role}`);
      await admin.query('REVOKE ALL ON SCHEMA governance FROM PUBLIC');
    });
    // … and runs the migrations itself
    await migrateService(governanceApi, stack.env({ DATABASE_URL: runtimeUrl }));
    await withClient(stack.db.url, async (admin) => {
      // … then the administrator took the audit log and its trigger function
      await admin.query('ALTER TABLE governance.audit_log OWNER TO CURRENT_USER');
      await admin.query('ALTER FUNCTION governance.audit_log_is_append_only() OWNER TO CURRENT_USER');
      await admin.query(`GRANT SELECT, INSERT ON governance.audit_log TO ${role}`);
      await admin.query(`GRANT USAGE, SELECT ON SEQUENCE governance.audit_log_id_seq TO ${role}`);
    });
    await withClient(runtimeUrl, (c) =>
      c.query(
        `INSERT INTO governance.audit_log (actor, action, resource_type) VALUES ('before-the-split', 'test.history', 'test')`,
      ),
    );

    await migrateService(governanceApi, stack.env({ DATABASE_URL: runtimeUrl, DATABASE_ADMIN_URL: stack.db.url }));

    await withClient(stack.db.url, async (admin) => {
      const owners = await ownersIn(admin, 'governance');
      expect(owners.filter((o) => o.owner !== ownerOf(role))).toEqual([]);
      expect(await tablePrivileges(admin, 'governance', role)).toEqual(
        expectedPrivileges('governance', Object.keys(await tablePrivileges(admin, 'governance', role))),
      );
      expect(
        (await admin.query(`SELECT count(*)::int AS n FROM governance.audit_log WHERE actor = 'before-the-split'`))
          .rows[0].n,
      ).toBe(1);
    });
    await withClient(runtimeUrl, async (c) => {
      expect(await attempt(c, 'DROP TABLE governance.audit_log')).toBe('42501: must be owner of table audit_log');
      expect(await attempt(c, 'DROP FUNCTION governance.audit_log_is_append_only() CASCADE')).toBe(
        '42501: must be owner of function governance.audit_log_is_append_only',
      );
      expect(await attempt(c, 'CREATE TABLE governance.t (id int)')).toBe(
        '42501: permission denied for schema governance',
      );
    });
    const gov = await startService(
      governanceApi,
      stack.env({ DATABASE_URL: runtimeUrl, JUGGERNAUT_ADMIN_KEY: ADMIN_KEY }),
      { logDestination: stack.logs },
    );
    try {
      const history = await apiClient(gov.url, ADMIN_KEY).get('/api/v1/audit?actor=before-the-split');
      expect(history.body.items).toEqual([expect.objectContaining({ action: 'test.history' })]);
    } finally {
      await gov.close();
    }
  });
});

/**
 * Managed Postgres (RDS, Cloud SQL, …) gives no superuser: the administrator is a role with
 * CREATEROLE and the right to create schemas. Provisioning makes it a member of the owner role, so it
 * can migrate as the owner; the runtime role ends the same as with a superuser.
 */
describe('per-service database roles provisioned by an administrator that is not a superuser', () => {
  let stack: TestStack;
  const admin = `jg_adm_${suffix}`;
  const role = `jg_mgd_${suffix}`;
  const password = randomBytes(12).toString('hex');

  beforeAll(async () => {
    stack = await TestStack.create('rolesmanaged');
    await adminQuery(`CREATE ROLE ${admin} LOGIN CREATEROLE PASSWORD '${password}'`);
    await adminQuery(`GRANT CREATE ON DATABASE ${stack.db.name} TO ${admin}`);
  });

  afterAll(async () => {
    await stack?.close();
    for (const r of [role, ownerOf(role), admin]) await adminQuery(`DROP ROLE IF EXISTS ${r}`).catch(() => undefined);
  });

  it('migrates as the owner role and leaves the runtime role its grants only', async () => {
    const runtimeUrl = urlAs(stack.db.url, role, password);
    const env = stack.env({ DATABASE_URL: runtimeUrl, DATABASE_ADMIN_URL: urlAs(stack.db.url, admin, password) });
    expect((await migrateService(governanceApi, env)).length).toBeGreaterThan(0);
    expect(await migrateService(governanceApi, env)).toEqual([]);
    await withClient(stack.db.url, async (db) => {
      expect((await ownersIn(db, 'governance')).filter((o) => o.owner !== ownerOf(role))).toEqual([]);
      const privileges = await tablePrivileges(db, 'governance', role);
      expect(privileges).toEqual(expectedPrivileges('governance', Object.keys(privileges)));
    });
    await withClient(runtimeUrl, async (c) => {
      await c.query(
        `INSERT INTO governance.audit_log (actor, action, resource_type) VALUES ('managed', 'test.append', 'test')`,
      );
      expect(await attempt(c, 'DROP TABLE governance.audit_log')).toBe('42501: must be owner of table audit_log');
    });
  });
});
