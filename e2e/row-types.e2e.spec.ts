import { createTestDatabase, type TestDatabase } from '@juggernaut/testing';
import type { BaseEnv } from '@juggernaut/config';
import { migrateService, type ServiceDefinition } from '@juggernaut/service-kit';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { devBot } from '../apps/dev-bot/src/service';
import { experimentTracker } from '../apps/experiment-tracker/src/service';
import { governanceApi } from '../apps/governance-api/src/service';
import { revenueLedger } from '../apps/revenue-ledger/src/service';
import { taskDispatcher } from '../apps/task-dispatcher/src/service';
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
  governanceApi,
  taskDispatcher,
  revenueLedger,
  experimentTracker,
  devBot,
] as unknown as ServiceDefinition<BaseEnv>[];
const fileOf = (service: string) => join(__dirname, '..', 'apps', service, 'src', 'db', 'schema.generated.ts');

describe('row types generated from the migrated schema', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase('rowtypes');
    for (const def of OWNERS) await migrateService(def, { DATABASE_URL: db.url, LOG_LEVEL: 'warn' });
  });
  afterAll(async () => {
    await db?.drop();
  });

  it.each(OWNERS.map((def) => [def.name, def.database!.schema]))(
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
});
