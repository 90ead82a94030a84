import { Client } from 'pg';

/** The real Postgres the SQL-fragment specs evaluate against; they read no table and write nothing. */
export const FRAGMENT_PG_URL = process.env['TEST_PG_FRAGMENT_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';

/**
 * A connection for evaluating the SQL expressions the dispatcher's statements are built from, on the
 * database that runs them: `SELECT <fragment>` over literal inputs, so a spec tests the very text
 * that runs in production.
 */
export class SqlFragments {
  private readonly client = new Client({ connectionString: FRAGMENT_PG_URL });

  connect(): Promise<void> {
    return this.client.connect();
  }

  close(): Promise<void> {
    return this.client.end();
  }

  /** The rows of a query. */
  async rows<T>(sql: string, params: unknown[] = []): Promise<T[]> {
    return (await this.client.query(sql, params)).rows as T[];
  }

  /** The value of one expression. */
  async value<T>(expr: string, params: unknown[] = []): Promise<T> {
    const [row] = await this.rows<{ v: T }>(`SELECT ${expr} AS v`, params);
    return row!.v;
  }
}
