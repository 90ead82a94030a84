import { createTestDatabase, type TestDatabase } from '@juggernaut/testing';
import type { BaseEnv } from '@juggernaut/config';
import { migrateService, type ServiceDefinition } from '@juggernaut/service-kit';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { devBot } from '../apps/dev-bot/src/service';
import { experimentTracker } from '../apps/experiment-tracker/src/service';
import { governanceApi } from '../apps/governance-api/src/service';
import { revenueLedger } from '../apps/revenue-ledger/src/service';
import { taskDispatcher } from '../apps/task-dispatcher/src/service';
import { changedTables, describeSchemas } from '../tools/docs/schema';

/**
 * docs/SCHEMA.md describes every table of every service as the migrations leave it: this suite
 * migrates a fresh database with every service's migrations, describes it from the Postgres catalog
 * and fails on any difference, naming the tables. UPDATE_DOCS=1 (npm run docs:schema) rewrites it.
 */
const file = join(__dirname, '..', 'docs', 'SCHEMA.md');
const OWNERS = [
  governanceApi,
  taskDispatcher,
  revenueLedger,
  experimentTracker,
  devBot,
] as unknown as ServiceDefinition<BaseEnv>[];

describe('docs/SCHEMA.md', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase('schemadoc');
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('matches the schema every service migrates to', async () => {
    for (const def of OWNERS) await migrateService(def, { DATABASE_URL: db.url, LOG_LEVEL: 'warn' });
    const owners = OWNERS.map((def) => ({ schema: def.database!.schema, service: def.name }));
    const generated = await describeSchemas(db.url, owners);
    if (process.env['UPDATE_DOCS']) writeFileSync(file, generated);
    const committed = existsSync(file) ? readFileSync(file, 'utf8') : '';
    for (const { schema } of owners) expect(generated).toContain(`### ${schema}.migrations`);
    expect(
      changedTables(committed, generated).map(
        (t) => `${t} differs from the migrated database (run npm run docs:schema)`,
      ),
    ).toEqual([]);
    expect(committed === generated ? 'current' : 'stale: run npm run docs:schema').toBe('current');
  });
});
