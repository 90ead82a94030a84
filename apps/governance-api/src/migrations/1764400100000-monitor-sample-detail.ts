import type { MigrationInterface, QueryRunner } from 'typeorm';

/** What a sample is about beyond its key: a ledger conflict keeps the posted transaction and the ledger's reason. */
export class MonitorSampleDetail1764400100000 implements MigrationInterface {
  name = 'MonitorSampleDetail1764400100000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE governance.monitor_samples ADD COLUMN detail jsonb`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE governance.monitor_samples DROP COLUMN detail`);
  }
}
