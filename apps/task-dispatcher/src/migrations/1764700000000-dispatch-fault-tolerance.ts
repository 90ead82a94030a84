import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What the queue needs to hold under faults:
 * - a claim index per type, so a claim never walks other types' backlog;
 * - the claim request a lease came from (`claim_id`), so a runner that never got a claim's answer
 *   can hand those leases back without burning an attempt;
 * - `cascade_root`: the dependency whose death or cancellation cancelled this task, so redriving it
 *   brings the task back;
 * - `dispatch.release_dependents`: dependents of the tasks that just succeeded lose a pending
 *   dependency. It is VOLATILE on purpose: called after the finishing statement has locked the
 *   parents, it reads the dependency edges with a fresh snapshot, so a dependent whose creation held
 *   a parent's row lock while the finish waited is seen (a CTE of the same statement would read the
 *   edges as of the statement's start and miss it);
 * - `dispatch.claim_in_time`: fails the claim statement (so it changes nothing) when it would
 *   commit after its requester stopped waiting.
 */
export class DispatchFaultTolerance1764700000000 implements MigrationInterface {
  name = 'DispatchFaultTolerance1764700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE INDEX tasks_claim_idx ON dispatch.tasks (type, sort_key) WHERE status IN ('pending', 'scheduled', 'failed')`,
    );
    await q.query(`DROP INDEX dispatch.tasks_claimable_idx`);
    await q.query(`ALTER TABLE dispatch.tasks ADD COLUMN claim_id uuid, ADD COLUMN cascade_root uuid`);
    await q.query(`CREATE INDEX tasks_claim_id_idx ON dispatch.tasks (claim_id) WHERE status = 'running'`);
    await q.query(
      `CREATE INDEX tasks_cascade_idx ON dispatch.tasks (cascade_root) WHERE status = 'cancelled' AND cascade_root IS NOT NULL`,
    );
    await q.query(`CREATE FUNCTION dispatch.release_dependents(parents uuid[])
      RETURNS TABLE (id uuid, type text, status text, attempts integer, goal_id uuid)
      LANGUAGE sql VOLATILE AS $$
        WITH done AS (
          SELECT d.task_id, count(*)::int AS n FROM dispatch.task_dependencies d WHERE d.depends_on = ANY(parents) GROUP BY d.task_id
        )
        UPDATE dispatch.tasks t SET
          pending_deps = greatest(t.pending_deps - done.n, 0),
          status = CASE WHEN t.pending_deps - done.n > 0 THEN 'blocked' WHEN t.run_at > now() THEN 'scheduled' ELSE 'pending' END,
          reason = CASE WHEN t.pending_deps - done.n > 0 THEN 'waiting on ' || (t.pending_deps - done.n) || ' dependencies' ELSE NULL END,
          updated_at = now()
        FROM done WHERE t.id = done.task_id AND t.status = 'blocked' AND t.blocked_on IS NULL
        RETURNING t.id, t.type, t.status, t.attempts, t.goal_id
      $$`);
    await q.query(`CREATE FUNCTION dispatch.claim_in_time(deadline timestamptz) RETURNS boolean LANGUAGE plpgsql VOLATILE AS $$
      BEGIN
        IF clock_timestamp() > deadline THEN
          RAISE EXCEPTION 'claim not committed in time' USING ERRCODE = 'JGLAT';
        END IF;
        RETURN true;
      END $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION dispatch.claim_in_time(timestamptz), dispatch.release_dependents(uuid[])`);
    await q.query(`DROP INDEX dispatch.tasks_cascade_idx, dispatch.tasks_claim_id_idx`);
    await q.query(`ALTER TABLE dispatch.tasks DROP COLUMN cascade_root, DROP COLUMN claim_id`);
    await q.query(
      `CREATE INDEX tasks_claimable_idx ON dispatch.tasks (sort_key) WHERE status IN ('pending', 'scheduled', 'failed')`,
    );
    await q.query(`DROP INDEX dispatch.tasks_claim_idx`);
  }
}
