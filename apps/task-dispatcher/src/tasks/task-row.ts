import type { TaskStatus, TaskViewV1 } from '@juggernaut/contracts';
import type { Narrow } from '@juggernaut/persistence';
import type { DispatchTasks } from '../db/schema.generated';

/** Statuses of a task that has not finished: it may still run (and holds its unique key). */
export const UNFINISHED: TaskStatus[] = ['pending', 'scheduled', 'blocked', 'running', 'failed'];
/** Statuses of a finished task: it never runs again unless redriven, and cannot be cancelled. */
export const TERMINAL: TaskStatus[] = ['succeeded', 'dead', 'cancelled'];
/** Statuses a redrive takes a task out of. */
export const REDRIVABLE: TaskStatus[] = ['dead', 'failed', 'cancelled'];

export type TaskRow = Narrow<
  Pick<
    DispatchTasks,
    | 'id'
    | 'type'
    | 'title'
    | 'payload'
    | 'priority'
    | 'status'
    | 'run_at'
    | 'required_level'
    | 'required_capabilities'
    | 'max_attempts'
    | 'attempts'
    | 'idempotency_key'
    | 'goal_id'
    | 'parent_task_id'
    | 'budget_minor'
    | 'depends_on'
    | 'worker_id'
    | 'lease_expires_at'
    | 'reason'
    | 'result'
    | 'created_at'
    | 'updated_at'
    | 'finished_at'
  >,
  { payload: Record<string, unknown>; status: TaskStatus; result: Record<string, unknown> | null }
>;

export function toTaskView(r: TaskRow): TaskViewV1 {
  return {
    id: r.id,
    type: r.type,
    title: r.title,
    payload: r.payload,
    status: r.status,
    priority: r.priority,
    runAt: r.run_at.toISOString(),
    requiredLevel: r.required_level,
    requiredCapabilities: r.required_capabilities,
    attempts: r.attempts,
    maxAttempts: r.max_attempts,
    idempotencyKey: r.idempotency_key,
    dependsOn: r.depends_on,
    goalId: r.goal_id,
    parentTaskId: r.parent_task_id,
    budgetMinor: r.budget_minor === null ? null : Number(r.budget_minor),
    workerId: r.worker_id,
    leaseExpiresAt: r.lease_expires_at?.toISOString() ?? null,
    reason: r.reason,
    result: r.result,
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
    finishedAt: r.finished_at?.toISOString() ?? null,
  };
}

/** A state change to record in history and announce through the outbox. */
export interface Transition {
  taskId: string;
  type: string;
  status: TaskStatus;
  attempt: number;
  workerId?: string | null;
  reason?: string | null;
  goalId?: string | null;
}
