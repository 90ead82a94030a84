import { Client } from 'pg';
import { MIGRATIONS_TABLE, quoteIdent } from './data-source';

/**
 * Two Postgres roles per service (docs/adr/0001-schema-owner-and-runtime-roles.md):
 * - the **owner** role, `<runtime role>_owner`, NOLOGIN: owns the schema and every object in it;
 *   migrations run as it (the administrator's connection with `role` set to it). Nobody logs in as it.
 * - the **runtime** role, named in DATABASE_URL: what the service runs as. USAGE on the schema,
 *   SELECT/INSERT/UPDATE/DELETE on its tables (SELECT/INSERT on the append-only ones, SELECT on the
 *   migrations table), USAGE/SELECT on sequences, EXECUTE on functions; it owns nothing, so it can
 *   neither create, alter nor drop anything, truncate, nor disable a trigger.
 */
export interface ServiceRoleOptions {
  /** A connection with the right to create roles (the migration step's, never a running service's). */
  adminUrl: string;
  /** The service's own connection string: its user is the runtime role, its password the role's password. */
  serviceUrl: string;
  /** The schema the service owns. */
  schema: string;
  /** Tables the runtime role may only read and append to (an audit log, a ledger, a timeline). */
  appendOnlyTables?: readonly string[];
}

export interface ServiceRoles {
  /** The role the service runs as (DATABASE_URL's user). */
  runtime: string;
  /** The role that owns the schema and runs its migrations. */
  owner: string;
}

/** The role and password a service connection string names. */
export function roleOf(serviceUrl: string): { role: string; password: string | null } {
  const url = new URL(serviceUrl);
  const role = decodeURIComponent(url.username);
  quoteIdent(role); // role names come from configuration: refuse anything that is not a plain identifier
  return { role, password: url.password ? decodeURIComponent(url.password) : null };
}

/** The owner role of a runtime role: `<runtime>_owner`, within Postgres's 63-byte names. */
export function ownerRoleOf(runtimeRole: string): string {
  const owner = `${runtimeRole}_owner`;
  if (owner.length > 63) throw new Error(`role name ${runtimeRole} is too long: ${owner} must fit in 63 characters`);
  quoteIdent(owner);
  return owner;
}

/** The roles provisioning works with; refuses a DATABASE_URL that names the administrator itself. */
export function serviceRolesOf(o: ServiceRoleOptions): ServiceRoles {
  const runtime = roleOf(o.serviceUrl).role;
  if (runtime === roleOf(o.adminUrl).role) {
    throw new Error(
      `DATABASE_URL must name the service's own role, not the administrator of DATABASE_ADMIN_URL (${runtime})`,
    );
  }
  return { runtime, owner: ownerRoleOf(runtime) };
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
 * `ALTER … OWNER TO <owner>` for every object in the schema someone else owns: tables, views and
 * sequences a table does not own (those move with their table; indexes and row types too), standalone
 * composite types, domains, enums and ranges, functions and procedures. On a database provisioned
 * before the split, the runtime role owned all of these (and the administrator the append-only tables).
 */
const ADOPT_STATEMENTS = `
  SELECT format('ALTER %s %I.%I OWNER TO %I',
           CASE c.relkind WHEN 'S' THEN 'SEQUENCE' WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW' WHEN 'f' THEN 'FOREIGN TABLE' ELSE 'TABLE' END,
           n.nspname, c.relname, $2::text) AS sql
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
   WHERE n.nspname = $1 AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S') AND c.relowner <> $2::regrole
     AND NOT (c.relkind = 'S' AND EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype IN ('a', 'i')))
  UNION ALL
  SELECT format('ALTER %s %s OWNER TO %I', CASE t.typtype WHEN 'd' THEN 'DOMAIN' ELSE 'TYPE' END, t.oid::regtype, $2::text)
    FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
   WHERE n.nspname = $1 AND t.typowner <> $2::regrole
     AND (t.typtype IN ('d', 'e', 'r') OR (t.typtype = 'c' AND (SELECT r.relkind FROM pg_class r WHERE r.oid = t.typrelid) = 'c'))
  UNION ALL
  SELECT format('ALTER ROUTINE %s OWNER TO %I', p.oid::regprocedure, $2::text)
    FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
   WHERE n.nspname = $1 AND p.proowner <> $2::regrole`;

/**
 * Before a service's migrations: makes the owner role (NOLOGIN) and the runtime role (LOGIN, with
 * DATABASE_URL's password), gives the schema and everything already in it to the owner, sets the
 * default privileges that give the runtime role its grants on whatever the owner creates later, and
 * grants the runtime role what it needs on what exists. Idempotent; safe on every deploy, and on a
 * database where the runtime role used to own everything.
 */
export async function provisionServiceRoles(o: ServiceRoleOptions): Promise<ServiceRoles> {
  const roles = serviceRolesOf(o);
  const { runtime, owner } = roles;
  const { password } = roleOf(o.serviceUrl);
  const schema = quoteIdent(o.schema);
  const ownerId = quoteIdent(owner);
  const runtimeId = quoteIdent(runtime);
  await withAdmin(o.adminUrl, async (c) => {
    await c.query(
      `DO $$ BEGIN CREATE ROLE ${ownerId} NOLOGIN; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$`,
    );
    await c.query(`ALTER ROLE ${ownerId} NOLOGIN`);
    await c.query(
      `DO $$ BEGIN CREATE ROLE ${runtimeId} LOGIN; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$`,
    );
    if (password) await execFormatted(c, 'ALTER ROLE %I WITH LOGIN PASSWORD %L', [runtime, password]);
    // the runtime role acts as itself only: never through the owner's rights
    if ((await c.query(`SELECT pg_has_role($1, $2, 'MEMBER') AS m`, [runtime, owner])).rows[0].m) {
      await c.query(`REVOKE ${ownerId} FROM ${runtimeId}`);
    }
    // a superuser may act as any role; an administrator with CREATEROLE must be a member to migrate as the owner
    if (!(await c.query(`SELECT rolsuper FROM pg_roles WHERE rolname = current_user`)).rows[0].rolsuper) {
      await c.query(`GRANT ${ownerId} TO CURRENT_USER`);
    }
    await execFormatted(c, 'GRANT CONNECT ON DATABASE %I TO %I', [
      (await c.query('SELECT current_database() AS d')).rows[0].d,
      runtime,
    ]);
    await c.query(`CREATE SCHEMA IF NOT EXISTS ${schema} AUTHORIZATION ${ownerId}`);
    await c.query(`ALTER SCHEMA ${schema} OWNER TO ${ownerId}`);
    await c.query(`REVOKE ALL ON SCHEMA ${schema} FROM PUBLIC`);
    // no service creates objects in public; older servers grant that to everyone
    await c.query(`REVOKE CREATE ON SCHEMA public FROM PUBLIC`);
    const adopt = await c.query<{ sql: string }>(ADOPT_STATEMENTS, [o.schema, owner]);
    for (const r of adopt.rows) await c.query(r.sql);
    // what a later migration creates is granted as it is created (append-only tables are narrowed after it)
    const defaults = `ALTER DEFAULT PRIVILEGES FOR ROLE ${ownerId} IN SCHEMA ${schema}`;
    await c.query(`${defaults} REVOKE ALL ON TABLES FROM ${runtimeId}`);
    await c.query(`${defaults} GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO ${runtimeId}`);
    await c.query(`${defaults} REVOKE ALL ON SEQUENCES FROM ${runtimeId}`);
    await c.query(`${defaults} GRANT USAGE, SELECT ON SEQUENCES TO ${runtimeId}`);
    await c.query(`${defaults} GRANT EXECUTE ON ROUTINES TO ${runtimeId}`);
    await grantRuntime(c, o, roles);
  });
  return roles;
}

/**
 * After a service's migrations: the runtime role's privileges on everything in the schema, set
 * from scratch (so a privilege granted by hand does not survive a deploy). Idempotent.
 */
export async function grantRuntimePrivileges(o: ServiceRoleOptions): Promise<void> {
  const roles = serviceRolesOf(o);
  await withAdmin(o.adminUrl, (c) => grantRuntime(c, o, roles));
}

async function grantRuntime(c: Client, o: ServiceRoleOptions, { runtime, owner }: ServiceRoles): Promise<void> {
  const schema = quoteIdent(o.schema);
  const ownerId = quoteIdent(owner);
  const runtimeId = quoteIdent(runtime);
  // granted as the owner, so the grants are the owner's (and REVOKE finds them) whoever the administrator is
  await c.query(`SET LOCAL ROLE ${ownerId}`);
  await c.query(`REVOKE ALL ON SCHEMA ${schema} FROM ${runtimeId}`);
  await c.query(`GRANT USAGE ON SCHEMA ${schema} TO ${runtimeId}`);
  await c.query(`REVOKE ALL ON ALL TABLES IN SCHEMA ${schema} FROM ${runtimeId}`);
  await c.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA ${schema} TO ${runtimeId}`);
  const readOnly = await c.query<{ sql: string }>(
    `SELECT format('REVOKE %s ON %I.%I FROM %I', CASE WHEN c.relname = $3 THEN 'INSERT, UPDATE, DELETE' ELSE 'UPDATE, DELETE' END, $1::text, c.relname, $4::text) AS sql
       FROM pg_class c WHERE c.relnamespace = $1::regnamespace AND c.relkind IN ('r', 'p') AND (c.relname = ANY($2::text[]) OR c.relname = $3)`,
    [o.schema, [...(o.appendOnlyTables ?? [])], MIGRATIONS_TABLE, runtime],
  );
  for (const r of readOnly.rows) await c.query(r.sql);
  await c.query(`REVOKE ALL ON ALL SEQUENCES IN SCHEMA ${schema} FROM ${runtimeId}`);
  await c.query(`GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA ${schema} TO ${runtimeId}`);
  await c.query(`REVOKE ALL ON ALL ROUTINES IN SCHEMA ${schema} FROM ${runtimeId}`);
  await c.query(`GRANT EXECUTE ON ALL ROUTINES IN SCHEMA ${schema} TO ${runtimeId}`);
  await c.query('RESET ROLE');
}
