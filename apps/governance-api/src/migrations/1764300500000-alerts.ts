import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Alerts raised by the monitor; at most one active alert per kind and key (deduplication). */
export class Alerts1764300500000 implements MigrationInterface {
  name = 'Alerts1764300500000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE governance.alerts (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      kind text NOT NULL,
      key text NOT NULL DEFAULT '',
      severity text NOT NULL CHECK (severity IN ('info', 'warning', 'critical')),
      message text NOT NULL,
      details jsonb,
      status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'resolved')),
      raised_at timestamptz NOT NULL DEFAULT now(),
      last_seen_at timestamptz NOT NULL DEFAULT now(),
      resolved_at timestamptz,
      CHECK ((status = 'resolved') = (resolved_at IS NOT NULL))
    )`);
    await q.query(`CREATE UNIQUE INDEX alerts_active_key ON governance.alerts (kind, key) WHERE status = 'active'`);
    await q.query(`CREATE INDEX alerts_raised_idx ON governance.alerts (raised_at DESC, id DESC)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE governance.alerts`);
  }
}
