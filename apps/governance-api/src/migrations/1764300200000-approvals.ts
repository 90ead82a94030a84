import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Approvals: pending → approved | rejected | expired, and nothing else. The check constraint keeps
 * a decided approval's decider and time, and the unique index makes a repeated request (same
 * task, action and argument hash) return the approval already asked for.
 */
export class Approvals1764300200000 implements MigrationInterface {
  name = 'Approvals1764300200000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE governance.approvals (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'rejected', 'expired')),
      action text NOT NULL,
      args_hash text NOT NULL,
      args jsonb NOT NULL DEFAULT '{}',
      task_id uuid,
      worker_id text,
      amount_minor bigint CHECK (amount_minor >= 0),
      reason text,
      requested_by text NOT NULL,
      decided_by text,
      decision_reason text,
      expires_at timestamptz NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      decided_at timestamptz,
      CHECK ((status = 'pending') = (decided_at IS NULL)),
      CHECK (status = 'pending' OR decided_by IS NOT NULL)
    )`);
    await q.query(
      `CREATE UNIQUE INDEX approvals_request_key ON governance.approvals (coalesce(task_id::text, ''), action, args_hash)`,
    );
    await q.query(`CREATE INDEX approvals_created_idx ON governance.approvals (created_at DESC, id DESC)`);
    await q.query(
      `CREATE INDEX approvals_pending_expiry_idx ON governance.approvals (expires_at) WHERE status = 'pending'`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE governance.approvals`);
  }
}
