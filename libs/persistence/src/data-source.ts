import 'reflect-metadata';
import { DataSource, type EntitySchema, type MixedList } from 'typeorm';

export interface ServiceDataSourceOptions {
  /** Connection string; the service's own role in production. */
  url: string;
  /** The Postgres schema this service owns; its migrations table lives there too. */
  schema: string;
  /** Name of the owning service: the data source name and the connection's application_name. */
  service: string;
  entities?: MixedList<string | Function | EntitySchema>;
  migrations?: MixedList<string | Function>;
  poolSize?: number;
  /**
   * A role every connection acts as (`SET ROLE` at connect): migrate connects with the
   * administrator's URL and acts as the schema's owner role, which cannot log in itself.
   */
  role?: string;
}

/** Each schema's table of applied migrations (TypeORM's), read-only to the service's runtime role. */
export const MIGRATIONS_TABLE = 'migrations';

/**
 * One TypeORM data source per service, confined to its schema: `synchronize` is off, migrations are
 * versioned classes recorded in `<schema>.migrations`, and the connection's search_path is the schema.
 */
export function createServiceDataSource(options: ServiceDataSourceOptions): DataSource {
  // quoteIdent refuses anything but a plain identifier, which the startup options take unquoted
  if (options.role) quoteIdent(options.role);
  const role = options.role ? ` -c role=${options.role}` : '';
  return new DataSource({
    type: 'postgres',
    url: options.url,
    schema: options.schema,
    entities: options.entities ?? [],
    migrations: options.migrations ?? [],
    migrationsTableName: MIGRATIONS_TABLE,
    migrationsTransactionMode: 'each',
    synchronize: false,
    migrationsRun: false,
    logging: false,
    extra: {
      max: options.poolSize ?? 10,
      application_name: `juggernaut-${options.service}`,
      options: `-c search_path=${options.schema},public${role}`,
      connectionTimeoutMillis: 5_000,
      idleTimeoutMillis: 30_000,
      keepAlive: true,
    },
  });
}

/**
 * Applies pending migrations under an advisory lock, so replicas started together migrate once.
 * Returns the names of the migrations applied.
 */
export async function runMigrations(ds: DataSource, schema: string): Promise<string[]> {
  const runner = ds.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SELECT pg_advisory_lock(hashtext($1))', [`juggernaut:migrate:${schema}`]);
    // Only when missing: a service role owns its schema but may not create schemas in the database.
    const [{ present }] = await runner.query('SELECT to_regnamespace($1) IS NOT NULL AS present', [schema]);
    if (!present) await runner.query(`CREATE SCHEMA ${quoteIdent(schema)}`);
    const applied = await ds.runMigrations({ transaction: 'each' });
    return applied.map((m) => m.name);
  } finally {
    await runner
      .query('SELECT pg_advisory_unlock(hashtext($1))', [`juggernaut:migrate:${schema}`])
      .catch(() => undefined);
    await runner.release();
  }
}

/** Names of migrations not yet applied (empty when the schema is current). */
export async function pendingMigrations(ds: DataSource, schema: string): Promise<string[]> {
  const [{ exists }] = await ds.query(`SELECT to_regclass($1) IS NOT NULL AS exists`, [`${schema}.migrations`]);
  const known = ds.migrations.map((m) => m.name ?? m.constructor.name);
  if (!exists) return known;
  const rows: Array<{ name: string }> = await ds.query(`SELECT name FROM ${quoteIdent(schema)}.migrations`);
  const done = new Set(rows.map((r) => r.name));
  return known.filter((n) => !done.has(n));
}

/** Quotes an identifier that comes from code (schema names), never from a caller. */
export function quoteIdent(name: string): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`unsafe identifier: ${name}`);
  return `"${name}"`;
}

/**
 * The rows of a query result. TypeORM answers an UPDATE or DELETE (even one with RETURNING, or
 * behind a CTE) with `[rows, affectedCount]` and anything else with the rows; this makes both rows.
 */
export function rowsOf<T>(result: unknown): T[] {
  if (Array.isArray(result) && result.length === 2 && Array.isArray(result[0]) && typeof result[1] === 'number')
    return result[0] as T[];
  return result as T[];
}
