import { createHash } from 'node:crypto';
import { type DataSource, EntityManager, QueryFailedError, type QueryRunner } from 'typeorm';

/** What node-postgres's client takes for a named statement. */
interface PgClient {
  query(config: { name: string; text: string; values: unknown[] }): Promise<{ rows: unknown[] }>;
}

/** Postgres refuses a prepared statement whose result columns changed since it was prepared (0A000, before it runs). */
function resultTypeChanged(e: unknown): boolean {
  const err = e as { code?: unknown; message?: unknown };
  return err.code === '0A000' && typeof err.message === 'string' && err.message.includes('must not change result type');
}

/**
 * Bumped when a prepared statement's result columns changed (a migration added a column to a table a
 * `RETURNING *` reads, say, while this process kept running): every statement is prepared afresh
 * under a new name, since the old name stays taken on each connection that prepared it.
 */
let generation = 0;
const names = new Map<string, string>();

/** A statement's name: a digest of its text, so one name never stands for two texts on a connection. */
function nameOf(text: string): string {
  let digest = names.get(text);
  if (digest === undefined) {
    digest = createHash('sha1').update(text).digest('hex').slice(0, 24);
    names.set(text, digest);
  }
  return `jg_${digest}_${generation}`;
}

/**
 * Runs a hot statement as a named prepared statement: Postgres parses and plans it once per
 * connection (after a few custom plans it keeps a generic one) instead of at every call, which for
 * the dispatcher's claim, finish and submit statements was most of their time in Postgres. For
 * statements whose text is fixed (parameters carry every value); text built per call would fill
 * each connection with statements. Runs on the transaction of `on` when it is a transaction's
 * manager, else on a pooled connection. Errors are TypeORM's QueryFailedError, as from `query`.
 * Outside a transaction, a statement whose result columns changed under it is prepared again and
 * run once more; inside one, the error ends the transaction and the next call prepares it again.
 */
export async function preparedQuery<T>(on: DataSource | EntityManager, text: string, params: unknown[]): Promise<T[]> {
  const inTransaction = on instanceof EntityManager ? on.queryRunner : undefined;
  const runner: QueryRunner = inTransaction ?? (on instanceof EntityManager ? on.connection : on).createQueryRunner();
  try {
    const client = (await runner.connect()) as PgClient;
    for (let attempt = 1; ; attempt++) {
      const seen = generation;
      try {
        return (await client.query({ name: nameOf(text), text, values: params })).rows as T[];
      } catch (e) {
        if (resultTypeChanged(e)) {
          if (generation === seen) generation++;
          if (!inTransaction && attempt === 1) continue;
        }
        throw new QueryFailedError(text, params, e as Error);
      }
    }
  } finally {
    if (!inTransaction) await runner.release();
  }
}
