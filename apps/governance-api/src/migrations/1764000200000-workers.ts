import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Workers1764000200000 implements MigrationInterface {
  name = 'Workers1764000200000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE governance.workers (
      id text PRIMARY KEY,
      level smallint NOT NULL CHECK (level BETWEEN 1 AND 5),
      capabilities text[] NOT NULL DEFAULT '{}',
      concurrency integer NOT NULL DEFAULT 0,
      status text NOT NULL CHECK (status IN ('online', 'draining', 'offline')),
      running_task_ids uuid[] NOT NULL DEFAULT '{}',
      started_at timestamptz NOT NULL DEFAULT now(),
      last_seen_at timestamptz NOT NULL DEFAULT now(),
      offline_reason text
    )`);
    await q.query(`CREATE INDEX workers_status_idx ON governance.workers (status, last_seen_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE governance.workers`);
  }
}
