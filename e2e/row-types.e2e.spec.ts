import { createServiceDataSource, runMigrations } from '@juggernaut/persistence';
import { createTestDatabase, type TestDatabase } from '@juggernaut/testing';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { devbotMigrations } from '../apps/dev-bot/src/migrations';
import { experimentsMigrations } from '../apps/experiment-tracker/src/migrations';
import { governanceMigrations } from '../apps/governance-api/src/migrations';
import { ledgerMigrations } from '../apps/revenue-ledger/src/migrations';
import { dispatchMigrations } from '../apps/task-dispatcher/src/migrations';
import { changedInterfaces, describeRowTypes } from '../tools/docs/row-types';

/**
 * Each service's apps/<service>/src/db/schema.generated.ts holds the row type of every table its
 * migrations create, and every repository declares its rows as a Pick or Narrow of them. This suite
 * migrates a fresh database with every service's migrations, renders the row types from the Postgres
 * catalog and fails on any difference, naming the tables: a migration that renames or retypes a column
 * must come with the regenerated file (UPDATE_DOCS=1, or npm run db:row-types), and the typecheck then
 * fails in every repository that still reads the old column.
 */
const OWNERS = [
  { name: 'governance-api', schema: 'governance', migrations: governanceMigrations },
  { name: 'task-dispatcher', schema: 'dispatch', migrations: dispatchMigrations },
  { name: 'revenue-ledger', schema: 'ledger', migrations: ledgerMigrations },
  { name: 'experiment-tracker', schema: 'experiments', migrations: experimentsMigrations },
  { name: 'dev-bot', schema: 'devbot', migrations: devbotMigrations },
];
const fileOf = (service: string) => join(__dirname, '..', 'apps', service, 'src', 'db', 'schema.generated.ts');

describe('row types generated from the migrated schema', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase('rowtypes');
    // each service's migrations as its definition lists them (e2e/schema-docs migrates through the service kit)
    for (const { name, schema, migrations } of OWNERS) {
      const ds = createServiceDataSource({ url: db.url, schema, service: name, migrations, poolSize: 2 });
      await ds.initialize();
      try {
        await runMigrations(ds, schema);
      } finally {
        await ds.destroy();
      }
    }
  });
  afterAll(async () => {
    await db?.drop();
  });

  it.each(OWNERS.map((o) => [o.name, o.schema]))(
    'apps/%s/src/db/schema.generated.ts matches the %s schema',
    async (service, schema) => {
      const file = fileOf(service);
      const generated = await describeRowTypes(db.url, schema, service);
      if (process.env['UPDATE_DOCS']) {
        mkdirSync(dirname(file), { recursive: true });
        writeFileSync(file, generated);
      }
      const committed = existsSync(file) ? readFileSync(file, 'utf8') : '';
      expect(generated).toContain(`export interface ${'Tables'} {`);
      expect(
        changedInterfaces(committed, generated).map(
          (t) => `${t} differs from the migrated ${schema} schema (run npm run db:row-types, then npm run typecheck)`,
        ),
      ).toEqual([]);
      expect(committed === generated ? 'current' : 'stale: run npm run db:row-types').toBe('current');
    },
  );

  it('libs/persistence/src/outbox.generated.ts matches the outbox table of every schema', async () => {
    const file = join(__dirname, '..', 'libs', 'persistence', 'src', 'outbox.generated.ts');
    const options = { tables: ['outbox'], prefix: '', owner: "the outbox table every service's schema holds" };
    const rendered = await Promise.all(OWNERS.map((o) => describeRowTypes(db.url, o.schema, o.name, options)));
    const generated = rendered[0]!;
    expect(new Set(rendered).size).toBe(1);
    if (process.env['UPDATE_DOCS']) writeFileSync(file, generated);
    const committed = existsSync(file) ? readFileSync(file, 'utf8') : '';
    expect(generated).toContain('export interface Outbox {');
    expect(committed === generated ? 'current' : 'stale: run npm run db:row-types').toBe('current');
  });
});
