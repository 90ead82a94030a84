import type { MigrationInterface, QueryRunner } from 'typeorm';

export class DispatchTasks1764000100000 implements MigrationInterface {
  name = 'DispatchTasks1764000100000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE dispatch.tasks (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      type text NOT NULL,
      title text,
      payload jsonb NOT NULL DEFAULT '{}',
      priority smallint NOT NULL DEFAULT 5 CHECK (priority BETWEEN 0 AND 9),
      status text NOT NULL CHECK (status IN ('pending', 'scheduled', 'blocked', 'running', 'succeeded', 'failed', 'dead', 'cancelled')),
      run_at timestamptz NOT NULL DEFAULT now(),
      -- Claim order: priority with aging. A task's key is its run time plus priority × aging interval,
      -- so a low-priority task eventually sorts ahead of fresh high-priority work and is never starved.
      sort_key timestamptz NOT NULL,
      required_level smallint NOT NULL DEFAULT 1 CHECK (required_level BETWEEN 1 AND 5),
      required_capabilities text[] NOT NULL DEFAULT '{}',
      max_attempts integer NOT NULL DEFAULT 5 CHECK (max_attempts >= 1),
      attempts integer NOT NULL DEFAULT 0,
      idempotency_key text UNIQUE,
      goal_id uuid,
      parent_task_id uuid,
      budget_minor bigint CHECK (budget_minor >= 0),
      depends_on uuid[] NOT NULL DEFAULT '{}',
      pending_deps integer NOT NULL DEFAULT 0,
      claim_token uuid,
      worker_id text,
      lease_expires_at timestamptz,
      claimed_at timestamptz,
      reason text,
      result jsonb,
      checkpoint jsonb,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      finished_at timestamptz
    )`);
    await q.query(
      `CREATE INDEX tasks_claimable_idx ON dispatch.tasks (sort_key) WHERE status IN ('pending', 'scheduled', 'failed')`,
    );
    await q.query(`CREATE INDEX tasks_wake_idx ON dispatch.tasks (run_at) WHERE status IN ('scheduled', 'failed')`);
    await q.query(`CREATE INDEX tasks_lease_idx ON dispatch.tasks (lease_expires_at) WHERE status = 'running'`);
    await q.query(`CREATE INDEX tasks_running_type_idx ON dispatch.tasks (type) WHERE status = 'running'`);
    await q.query(`CREATE INDEX tasks_list_idx ON dispatch.tasks (created_at DESC, id DESC)`);
    await q.query(`CREATE INDEX tasks_status_idx ON dispatch.tasks (status, created_at DESC)`);
    await q.query(`CREATE INDEX tasks_goal_idx ON dispatch.tasks (goal_id) WHERE goal_id IS NOT NULL`);
    await q.query(`CREATE INDEX tasks_parent_idx ON dispatch.tasks (parent_task_id) WHERE parent_task_id IS NOT NULL`);

    await q.query(`CREATE TABLE dispatch.task_dependencies (
      task_id uuid NOT NULL REFERENCES dispatch.tasks (id) ON DELETE CASCADE,
      depends_on uuid NOT NULL REFERENCES dispatch.tasks (id) ON DELETE CASCADE,
      PRIMARY KEY (task_id, depends_on)
    )`);
    await q.query(`CREATE INDEX task_dependencies_rev_idx ON dispatch.task_dependencies (depends_on)`);

    await q.query(`CREATE TABLE dispatch.task_events (
      id bigserial PRIMARY KEY,
      task_id uuid NOT NULL,
      status text NOT NULL,
      attempt integer NOT NULL,
      worker_id text,
      reason text,
      at timestamptz NOT NULL DEFAULT now()
    )`);
    await q.query(`CREATE INDEX task_events_task_idx ON dispatch.task_events (task_id, id)`);

    await q.query(`CREATE TABLE dispatch.schedules (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      name text NOT NULL UNIQUE,
      cron text NOT NULL,
      timezone text NOT NULL DEFAULT 'UTC',
      catch_up text NOT NULL DEFAULT 'latest' CHECK (catch_up IN ('latest', 'none')),
      task jsonb NOT NULL,
      enabled boolean NOT NULL DEFAULT true,
      next_run_at timestamptz NOT NULL,
      last_run_at timestamptz,
      created_at timestamptz NOT NULL DEFAULT now()
    )`);
    await q.query(`CREATE INDEX schedules_due_idx ON dispatch.schedules (next_run_at) WHERE enabled`);

    await q.query(`CREATE TABLE dispatch.type_limits (
      type text PRIMARY KEY,
      max_concurrency integer,
      rate_per_second integer,
      burst integer,
      lease_seconds integer,
      tokens double precision NOT NULL DEFAULT 0,
      refilled_at timestamptz NOT NULL DEFAULT now()
    )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(
      `DROP TABLE dispatch.type_limits, dispatch.schedules, dispatch.task_events, dispatch.task_dependencies, dispatch.tasks`,
    );
  }
}
