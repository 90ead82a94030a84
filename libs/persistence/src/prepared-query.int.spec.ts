import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { type DataSource, QueryFailedError } from 'typeorm';
import { createServiceDataSource } from './data-source';
import { preparedQuery } from './prepared-query';

/** Named prepared statements on a real Postgres: planned once per connection, and safe when a table changes under them. */
describe('preparedQuery', () => {
  // Its own database (this library sits below @juggernaut/testing, so it makes one itself).
  const adminUrl = process.env['TEST_PG_ADMIN_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const name = `jg_t_prepared_${randomBytes(4).toString('hex')}`;
  const admin = async (sql: string) => {
    const c = new Client({ connectionString: adminUrl });
    await c.connect();
    await c.query(sql).finally(() => c.end());
  };
  let ds: DataSource;

  beforeAll(async () => {
    await admin(`CREATE DATABASE ${name}`);
    const url = new URL(adminUrl);
    url.pathname = `/${name}`;
    ds = createServiceDataSource({ url: url.toString(), schema: 'public', service: 'prepared-test', poolSize: 2 });
    await ds.initialize();
  });

  afterAll(async () => {
    await ds?.destroy();
    await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  });

  beforeEach(async () => {
    await ds.query('DROP TABLE IF EXISTS items');
    await ds.query('CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL)');
  });

  const prepared = async () =>
    (await ds.query(`SELECT name, statement FROM pg_prepared_statements`)) as Array<{ name: string }>;

  it('runs a statement by name on a pooled connection and on a transaction, with the same rows as query', async () => {
    const insert = 'INSERT INTO items (id, name) SELECT * FROM unnest($1::int[], $2::text[]) RETURNING id, name';
    expect(
      await preparedQuery(ds, insert, [
        [1, 2],
        ['a', 'b'],
      ]),
    ).toEqual([
      { id: 1, name: 'a' },
      { id: 2, name: 'b' },
    ]);
    const inTx = await ds.transaction(async (em) => {
      await preparedQuery(em, insert, [[3], ['c']]);
      // The transaction's own connection: it sees its uncommitted row, and the statement is prepared there.
      const seen = await preparedQuery<{ n: number }>(em, 'SELECT count(*)::int AS n FROM items', []);
      const names = (await em.query(`SELECT name FROM pg_prepared_statements`)) as Array<{ name: string }>;
      return { seen: seen[0]!.n, names: names.map((n) => n.name) };
    });
    expect(inTx.seen).toBe(3);
    expect(inTx.names.every((n) => /^jg_[0-9a-f]{24}_\d+$/.test(n))).toBe(true);
    expect(await preparedQuery(ds.manager, 'SELECT id, name FROM items ORDER BY id', [])).toEqual(
      await ds.query('SELECT id, name FROM items ORDER BY id'),
    );
  });

  it('fails as query does: a QueryFailedError carrying the driver error, and rolls its transaction back', async () => {
    const insert = 'INSERT INTO items (id, name) VALUES ($1, $2)';
    await preparedQuery(ds, insert, [1, 'a']);
    const dup = await preparedQuery(ds, insert, [1, 'again']).catch((e: unknown) => e);
    expect(dup).toBeInstanceOf(QueryFailedError);
    expect((dup as QueryFailedError & { driverError: { code: string } }).driverError.code).toBe('23505');
    await expect(
      ds.transaction(async (em) => {
        await preparedQuery(em, insert, [2, 'b']);
        await preparedQuery(em, insert, [1, 'c']);
      }),
    ).rejects.toBeInstanceOf(QueryFailedError);
    expect(await ds.query('SELECT id FROM items ORDER BY id')).toEqual([{ id: 1 }]);
  });

  it('prepares a statement again when a migration changed the columns it returns', async () => {
    const all = 'SELECT * FROM items ORDER BY id';
    await ds.query(`INSERT INTO items VALUES (1, 'a')`);
    // Prepared on both pooled connections.
    await Promise.all([preparedQuery(ds, all, []), preparedQuery(ds, all, [])]);
    expect((await prepared()).length).toBeGreaterThan(0);

    await ds.query(`ALTER TABLE items ADD COLUMN price_minor bigint NOT NULL DEFAULT 0`);
    // Outside a transaction it is prepared afresh and run once more: the callers see the new column
    // (on both connections, so the transaction below finds the statement prepared wherever it runs).
    expect(await Promise.all([preparedQuery(ds, all, []), preparedQuery(ds, all, [])])).toEqual([
      [{ id: 1, name: 'a', price_minor: '0' }],
      [{ id: 1, name: 'a', price_minor: '0' }],
    ]);

    await ds.query(`ALTER TABLE items ADD COLUMN note text`);
    // Inside a transaction the error ends it; the next call prepares the statement again.
    const failed = await ds
      .transaction((em) => preparedQuery(em, all, []))
      .catch((e: unknown) => e as QueryFailedError & { driverError: { code: string } });
    expect(failed).toBeInstanceOf(QueryFailedError);
    expect((failed as { driverError: { code: string } }).driverError.code).toBe('0A000');
    expect(await ds.transaction((em) => preparedQuery(em, all, []))).toEqual([
      { id: 1, name: 'a', price_minor: '0', note: null },
    ]);
  });
});
