// Generated from the migrated database by `npm run db:row-types`; do not edit by hand.

/*
 * The row types of the dispatch schema (task-dispatcher), one interface per table, as node-postgres returns
 * a row: bigint and numeric as strings, timestamps and dates as Date, json and jsonb as unknown, enums and
 * checked text as string. A query declares its row as a Pick of these (or Narrow, from
 * @juggernaut/persistence, for a jsonb shape or a checked union), so a column renamed or retyped by a
 * migration fails the typecheck once this file is regenerated.
 */

/** dispatch.migrations */
export interface DispatchMigrations {
  id: number;
  timestamp: string;
  name: string;
}

/** dispatch.outbox */
export interface DispatchOutbox {
  id: string;
  subject: string;
  payload: unknown;
  correlation_id: string | null;
  created_at: Date;
}

/** dispatch.schedules */
export interface DispatchSchedules {
  id: string;
  name: string;
  cron: string;
  timezone: string;
  catch_up: string;
  task: unknown;
  enabled: boolean;
  next_run_at: Date;
  last_run_at: Date | null;
  created_at: Date;
}

/** dispatch.task_dependencies */
export interface DispatchTaskDependencies {
  task_id: string;
  depends_on: string;
}

/** dispatch.task_events */
export interface DispatchTaskEvents {
  id: string;
  task_id: string;
  status: string;
  attempt: number;
  worker_id: string | null;
  reason: string | null;
  at: Date;
}

/** dispatch.tasks */
export interface DispatchTasks {
  id: string;
  type: string;
  title: string | null;
  payload: unknown;
  priority: number;
  status: string;
  run_at: Date;
  sort_key: Date;
  required_level: number;
  required_capabilities: string[];
  max_attempts: number;
  attempts: number;
  idempotency_key: string | null;
  goal_id: string | null;
  parent_task_id: string | null;
  budget_minor: string | null;
  depends_on: string[];
  pending_deps: number;
  claim_token: string | null;
  worker_id: string | null;
  lease_expires_at: Date | null;
  claimed_at: Date | null;
  reason: string | null;
  result: unknown;
  checkpoint: unknown;
  created_at: Date;
  updated_at: Date;
  finished_at: Date | null;
  blocked_on: string | null;
  approval_id: string | null;
  claim_id: string | null;
  cascade_root: string | null;
  timeout_seconds: number | null;
  run_deadline_at: Date | null;
  unique_key: string | null;
  unique_until: Date | null;
  retry_base_ms: number | null;
  retry_max_ms: number | null;
  terminal_errors: string[] | null;
}

/** dispatch.type_limits */
export interface DispatchTypeLimits {
  type: string;
  max_concurrency: number | null;
  rate_per_second: number | null;
  burst: number | null;
  lease_seconds: number | null;
  tokens: number;
  refilled_at: Date;
  timeout_seconds: number | null;
  max_attempts: number | null;
  retry_base_ms: number | null;
  retry_max_ms: number | null;
  terminal_errors: string[] | null;
  paused: boolean;
  paused_reason: string | null;
  paused_at: Date | null;
}

/** Every table of the dispatch schema by its qualified name. */
export interface Tables {
  'dispatch.migrations': DispatchMigrations;
  'dispatch.outbox': DispatchOutbox;
  'dispatch.schedules': DispatchSchedules;
  'dispatch.task_dependencies': DispatchTaskDependencies;
  'dispatch.task_events': DispatchTaskEvents;
  'dispatch.tasks': DispatchTasks;
  'dispatch.type_limits': DispatchTypeLimits;
}
