import type { MigrationInterface, QueryRunner } from 'typeorm';

/** What a blocked task waits for (approval, model, budget) and, for approvals, which one. */
export class TaskBlocking1764400100000 implements MigrationInterface {
  name = 'TaskBlocking1764400100000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `ALTER TABLE dispatch.tasks ADD COLUMN blocked_on text CHECK (blocked_on IN ('approval', 'model', 'budget')), ADD COLUMN approval_id uuid`,
    );
    await q.query(
      `CREATE INDEX tasks_approval_idx ON dispatch.tasks (approval_id) WHERE status = 'blocked' AND approval_id IS NOT NULL`,
    );
    await q.query(
      `CREATE INDEX tasks_blocked_on_idx ON dispatch.tasks (blocked_on) WHERE status = 'blocked' AND blocked_on IS NOT NULL`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX dispatch.tasks_blocked_on_idx, dispatch.tasks_approval_idx`);
    await q.query(`ALTER TABLE dispatch.tasks DROP COLUMN approval_id, DROP COLUMN blocked_on`);
  }
}
