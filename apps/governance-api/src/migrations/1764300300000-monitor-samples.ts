import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Time-stamped facts the monitor counts over a window: task outcomes (per worker), spend (per
 * currency) and dead letters (per subject). `dedupe` makes a redelivered event count once.
 */
export class MonitorSamples1764300300000 implements MigrationInterface {
  name = 'MonitorSamples1764300300000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE governance.monitor_samples (
      id bigserial PRIMARY KEY,
      kind text NOT NULL,
      key text NOT NULL DEFAULT '',
      amount bigint NOT NULL DEFAULT 1,
      at timestamptz NOT NULL,
      dedupe text NOT NULL UNIQUE
    )`);
    await q.query(`CREATE INDEX monitor_samples_kind_at_idx ON governance.monitor_samples (kind, at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE governance.monitor_samples`);
  }
}
