import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Every claim and completion rewrites a task row in every index whose predicate it matches, so the
 * always-present indexes are kept to two (primary key, listing order); the rest become partial.
 */
export class DispatchLeanIndexes1764000200000 implements MigrationInterface {
  name = 'DispatchLeanIndexes1764000200000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE UNIQUE INDEX tasks_idempotency_key_idx ON dispatch.tasks (idempotency_key) WHERE idempotency_key IS NOT NULL`,
    );
    await q.query(`ALTER TABLE dispatch.tasks DROP CONSTRAINT tasks_idempotency_key_key`);
    await q.query(`DROP INDEX dispatch.tasks_status_idx`);
    await q.query(
      `CREATE INDEX tasks_problem_idx ON dispatch.tasks (status, created_at DESC) WHERE status IN ('dead', 'failed', 'blocked', 'cancelled')`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX dispatch.tasks_problem_idx`);
    await q.query(`CREATE INDEX tasks_status_idx ON dispatch.tasks (status, created_at DESC)`);
    await q.query(`ALTER TABLE dispatch.tasks ADD CONSTRAINT tasks_idempotency_key_key UNIQUE (idempotency_key)`);
    await q.query(`DROP INDEX dispatch.tasks_idempotency_key_idx`);
  }
}
