import { Client } from 'pg';
import { quoteIdent } from './data-source';

export interface ServiceRoleOptions {
  /** A connection with the right to create roles (the migration job's, never a running service's). */
  adminUrl: string;
  /** The service's own connection string: its user is the role, its password the role's password. */
  serviceUrl: string;
  /** The schema the service owns. */
  schema: string;
  /** Tables the service may only read and append to (owned by the admin role, e.g. an audit log). */
  appendOnlyTables?: readonly string[];
}

/** The role and password a service connection string names. */
export function roleOf(serviceUrl: string): { role: string; password: string | null } {
  const url = new URL(serviceUrl);
  const role = decodeURIComponent(url.username);
  quoteIdent(role); // role names come from configuration: refuse anything that is not a plain identifier
  return { role, password: url.password ? decodeURIComponent(url.password) : null };
}

async function withAdmin<T>(adminUrl: string, fn: (c: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: adminUrl, application_name: 'juggernaut-provision' });
  await client.connect();
  try {
    await client.query('BEGIN');
    // roles are cluster-wide and grants database-wide: provision one service at a time
    await client.query(`SELECT pg_advisory_xact_lock(hashtext('juggernaut:provision-roles'))`);
    const out = await fn(client);
    await client.query('COMMIT');
    return out;
  } catch (e) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw e;
  } finally {
    await client.end();
  }
}

/** Runs a statement Postgres itself built with format(%I, %L), so names and secrets are quoted by the server. */
async function execFormatted(c: Client, template: string, args: unknown[]): Promise<void> {
  const placeholders = args.map((_, i) => `$${i + 1}::text`).join(', ');
  const { rows } = await c.query<{ sql: string }>(`SELECT format('${template}', ${placeholders}) AS sql`, args);
  await c.query(rows[0]!.sql);
}

/**
 * Before a service's migrations: makes its login role (if missing), sets its password, lets it
 * connect, and makes it the owner of its schema and of what is already in it — and of nothing
 * else, so it cannot read another service's tables. Idempotent; safe on every deploy.
 */
export async function provisionServiceRole(o: ServiceRoleOptions): Promise<{ role: string }> {
  const { role, password } = roleOf(o.serviceUrl);
  const schema = quoteIdent(o.schema);
  await withAdmin(o.adminUrl, async (c) => {
    await c.query(`DO $$ BEGIN CREATE ROLE ${quoteIdent(role)} LOGIN; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$`);
    if (password) await execFormatted(c, 'ALTER ROLE %I WITH LOGIN PASSWORD %L', [role, password]);
    await execFormatted(c, 'GRANT CONNECT, TEMPORARY ON DATABASE %I TO %I', [(await c.query('SELECT current_database() AS d')).rows[0].d, role]);
    await c.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    await c.query(`ALTER SCHEMA ${schema} OWNER TO ${quoteIdent(role)}`);
    await c.query(`REVOKE ALL ON SCHEMA ${schema} FROM PUBLIC`);
    // no service creates objects in public; older servers grant that to everyone
    await c.query(`REVOKE CREATE ON SCHEMA public FROM PUBLIC`);
    // objects created before this deployment used roles (by the admin) pass to the service,
    // except the append-only tables and the sequences that belong to tables
    const { rows } = await c.query<{ kind: string; name: string }>(
      `SELECT CASE c.relkind WHEN 'S' THEN 'SEQUENCE' WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW' ELSE 'TABLE' END AS kind,
              c.relname AS name
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname = $1 AND c.relkind IN ('r', 'p', 'v', 'm', 'S') AND pg_get_userbyid(c.relowner) <> $2
         AND c.relname <> ALL($3::text[])
         AND NOT (c.relkind = 'S' AND EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype IN ('a', 'i')))`,
      [o.schema, role, [...(o.appendOnlyTables ?? [])]],
    );
    for (const r of rows) await execFormatted(c, `ALTER ${r.kind} %I.%I OWNER TO %I`, [o.schema, r.name, role]);
  });
  return { role };
}

/**
 * After a service's migrations: its append-only tables pass to the admin role; the service keeps
 * SELECT and INSERT (and its id sequence), so it can neither change nor delete a row, nor drop
 * the table, its triggers or their functions.
 */
export async function protectAppendOnlyTables(o: ServiceRoleOptions): Promise<void> {
  const { role } = roleOf(o.serviceUrl);
  await withAdmin(o.adminUrl, async (c) => {
    for (const table of o.appendOnlyTables ?? []) {
      const qualified = `${quoteIdent(o.schema)}.${quoteIdent(table)}`;
      const exists = (await c.query(`SELECT to_regclass($1) IS NOT NULL AS e`, [`${o.schema}.${table}`])).rows[0].e as boolean;
      if (!exists) continue;
      await c.query(`ALTER TABLE ${qualified} OWNER TO CURRENT_USER`);
      await c.query(`REVOKE ALL ON ${qualified} FROM ${quoteIdent(role)}`);
      await c.query(`GRANT SELECT, INSERT ON ${qualified} TO ${quoteIdent(role)}`);
      const seqs = await c.query<{ seq: string }>(
        `SELECT d.objid::regclass::text AS seq FROM pg_depend d JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S'
         WHERE d.refobjid = $1::regclass AND d.deptype IN ('a', 'i')`, [`${o.schema}.${table}`],
      );
      for (const s of seqs.rows) await c.query(`GRANT USAGE, SELECT ON SEQUENCE ${s.seq} TO ${quoteIdent(role)}`);
      const fns = await c.query<{ fn: string }>(
        `SELECT DISTINCT t.tgfoid::regprocedure::text AS fn FROM pg_trigger t WHERE t.tgrelid = $1::regclass AND NOT t.tgisinternal`,
        [`${o.schema}.${table}`],
      );
      for (const f of fns.rows) await c.query(`ALTER FUNCTION ${f.fn} OWNER TO CURRENT_USER`);
    }
  });
}
