import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The queue features its peers have:
 * - execution timeouts per task and per type (`timeout_seconds`); a claim stamps the deadline
 *   (`run_deadline_at`) and no lease is extended past it;
 * - keyed uniqueness with a scope (`unique_key`, and `unique_until` for a period) and a mode
 *   (return the first, replace its payload, or debounce it), serialised per key by an advisory lock;
 * - retry policy per task and per type (backoff base and cap, errors that are never retried) and a
 *   default `max_attempts` per type;
 * - pausing a type (`paused`), read by every claim straight from the table.
 */
export class DispatchQueueFeatures1764800000000 implements MigrationInterface {
  name = 'DispatchQueueFeatures1764800000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE dispatch.tasks
      ADD COLUMN timeout_seconds integer CHECK (timeout_seconds BETWEEN 1 AND 86400),
      ADD COLUMN run_deadline_at timestamptz,
      ADD COLUMN unique_key text,
      ADD COLUMN unique_until timestamptz,
      ADD COLUMN retry_base_ms integer CHECK (retry_base_ms >= 0),
      ADD COLUMN retry_max_ms integer CHECK (retry_max_ms >= 0),
      ADD COLUMN terminal_errors text[]`);
    await q.query(
      `CREATE INDEX tasks_unique_key_idx ON dispatch.tasks (unique_key, created_at DESC) WHERE unique_key IS NOT NULL`,
    );
    await q.query(`ALTER TABLE dispatch.type_limits
      ADD COLUMN timeout_seconds integer CHECK (timeout_seconds BETWEEN 1 AND 86400),
      ADD COLUMN max_attempts integer CHECK (max_attempts BETWEEN 1 AND 100),
      ADD COLUMN retry_base_ms integer CHECK (retry_base_ms >= 0),
      ADD COLUMN retry_max_ms integer CHECK (retry_max_ms >= 0),
      ADD COLUMN terminal_errors text[],
      ADD COLUMN paused boolean NOT NULL DEFAULT false,
      ADD COLUMN paused_reason text,
      ADD COLUMN paused_at timestamptz`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE dispatch.type_limits DROP COLUMN paused_at, DROP COLUMN paused_reason, DROP COLUMN paused,
      DROP COLUMN terminal_errors, DROP COLUMN retry_max_ms, DROP COLUMN retry_base_ms, DROP COLUMN max_attempts, DROP COLUMN timeout_seconds`);
    await q.query(`DROP INDEX dispatch.tasks_unique_key_idx`);
    await q.query(`ALTER TABLE dispatch.tasks DROP COLUMN terminal_errors, DROP COLUMN retry_max_ms, DROP COLUMN retry_base_ms,
      DROP COLUMN unique_until, DROP COLUMN unique_key, DROP COLUMN run_deadline_at, DROP COLUMN timeout_seconds`);
  }
}
