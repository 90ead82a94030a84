import { type StreamSubject, Subjects, type TaskEventV1, type TaskStatus } from '@juggernaut/contracts';
import { currentCorrelationId } from '@juggernaut/observability';
import { enqueueEvents, type Queryable } from '@juggernaut/persistence';
import type { Transition } from './task-row';

/** The outbound subject announcing a move into each state (`null`: recorded in history only). */
const SUBJECT_BY_STATUS: Record<TaskStatus, StreamSubject | null> = {
  pending: null,
  scheduled: null,
  blocked: null,
  running: Subjects.taskClaimed,
  succeeded: Subjects.taskSucceeded,
  failed: Subjects.taskFailed,
  dead: Subjects.taskDead,
  cancelled: Subjects.taskCancelled,
};

/**
 * Writes every transition to the task history and its event to the outbox, in the caller's
 * transaction: the history and the events can never disagree with the task rows.
 */
export async function recordTransitions(db: Queryable, transitions: Transition[], opts: { created?: boolean } = {}): Promise<void> {
  if (transitions.length === 0) return;
  await db.query(
    `INSERT INTO dispatch.task_events (task_id, status, attempt, worker_id, reason)
     SELECT * FROM unnest($1::uuid[], $2::text[], $3::int[], $4::text[], $5::text[])`,
    [
      transitions.map((t) => t.taskId), transitions.map((t) => t.status), transitions.map((t) => t.attempt),
      transitions.map((t) => t.workerId ?? null), transitions.map((t) => t.reason ?? null),
    ],
  );
  const at = new Date().toISOString();
  const correlationId = currentCorrelationId();
  const events = transitions
    .map((t) => {
      const subject = opts.created ? Subjects.taskCreated : SUBJECT_BY_STATUS[t.status];
      if (!subject) return undefined;
      const payload: TaskEventV1 = {
        taskId: t.taskId, type: t.type, status: t.status, attempt: t.attempt, at,
        ...(t.workerId ? { workerId: t.workerId } : {}),
        ...(t.reason ? { reason: t.reason } : {}),
        ...(t.goalId ? { goalId: t.goalId } : {}),
      };
      return { subject, payload, ...(correlationId ? { correlationId } : {}) };
    })
    .filter((e): e is NonNullable<typeof e> => e !== undefined);
  await enqueueEvents(db, 'dispatch', events);
}
