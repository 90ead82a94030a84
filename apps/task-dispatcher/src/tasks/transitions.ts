import { type StreamSubject, Subjects, type TaskEventV1, type TaskStatus } from '@juggernaut/contracts';
import { currentCorrelationId } from '@juggernaut/observability';
import { enqueueEvents, outboxChannel, type Queryable } from '@juggernaut/persistence';
import type { Transition } from './task-row';

/** The outbound subject announcing a move into each state (`null`: recorded in history only). */
export const SUBJECT_BY_STATUS: Record<TaskStatus, StreamSubject | null> = {
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
export async function recordTransitions(
  db: Queryable,
  transitions: Transition[],
  opts: { created?: boolean } = {},
): Promise<void> {
  if (transitions.length === 0) return;
  await db.query(
    `INSERT INTO dispatch.task_events (task_id, status, attempt, worker_id, reason)
     SELECT * FROM unnest($1::uuid[], $2::text[], $3::int[], $4::text[], $5::text[])`,
    [
      transitions.map((t) => t.taskId),
      transitions.map((t) => t.status),
      transitions.map((t) => t.attempt),
      transitions.map((t) => t.workerId ?? null),
      transitions.map((t) => t.reason ?? null),
    ],
  );
  const at = new Date().toISOString();
  const correlationId = currentCorrelationId();
  const events = transitions
    .map((t) => {
      const subject = opts.created ? Subjects.taskCreated : SUBJECT_BY_STATUS[t.status];
      if (!subject) return undefined;
      const payload: TaskEventV1 = {
        taskId: t.taskId,
        type: t.type,
        status: t.status,
        attempt: t.attempt,
        at,
        ...(t.workerId ? { workerId: t.workerId } : {}),
        ...(t.reason ? { reason: t.reason } : {}),
        ...(t.goalId ? { goalId: t.goalId } : {}),
      };
      return { subject, payload, ...(correlationId ? { correlationId } : {}) };
    })
    .filter((e): e is NonNullable<typeof e> => e !== undefined);
  await enqueueEvents(db, 'dispatch', events);
}

/**
 * The same recording as `recordTransitions`, as CTEs appended to a single statement whose CTE
 * `source` returns the changed rows (columns id, type, status, attempts, worker_id, reason, goal_id).
 * Hot paths (submit, claim, successful finish) use it so a state change, its history entry and its
 * outbox event commit in one round trip instead of a transaction of four or five.
 * `correlationParam` is the placeholder holding the correlation id (or NULL). With `ordered`, the
 * source names each row's event subject itself (column `subject`, NULL for none) and its order in
 * the history and the outbox (column `ord`): one task's two transitions in one statement.
 */
export function transitionCtes(
  source: string,
  correlationParam: string,
  opts: { created?: boolean; ordered?: boolean } = {},
): string {
  const subject = opts.ordered
    ? 's.subject'
    : opts.created
      ? `'${Subjects.taskCreated}'`
      : `CASE s.status ${Object.entries(SUBJECT_BY_STATUS)
          .filter(([, v]) => v)
          .map(([k, v]) => `WHEN '${k}' THEN '${v}'`)
          .join(' ')} END`;
  const order = opts.ordered ? ' ORDER BY s.ord' : '';
  return `_history AS (
       INSERT INTO dispatch.task_events (task_id, status, attempt, worker_id, reason)
       SELECT s.id, s.status, s.attempts, s.worker_id, s.reason FROM ${source} s${order}
       RETURNING 1
     ), _events AS (
       INSERT INTO dispatch.outbox (subject, payload, correlation_id)
       SELECT e.subject, jsonb_strip_nulls(jsonb_build_object(
           'taskId', e.id, 'type', e.type, 'status', e.status, 'attempt', e.attempts,
           'at', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
           'workerId', e.worker_id, 'reason', e.reason, 'goalId', e.goal_id)), ${correlationParam}
       FROM (SELECT s.id, s.type, s.status, s.attempts, s.worker_id, s.reason, s.goal_id, ${subject} AS subject${opts.ordered ? ', s.ord' : ''}
             FROM ${source} s) e WHERE e.subject IS NOT NULL${opts.ordered ? ' ORDER BY e.ord' : ''}
       RETURNING 1
     ), _wake_relay AS (
       SELECT pg_notify('${outboxChannel('dispatch')}', '') FROM (SELECT 1 FROM _events LIMIT 1) x
     )`;
}

/** Selects the rows of `source` and forces the notify CTE to run (a plain SELECT CTE runs only if read). */
export function selectRecorded(source: string): string {
  return `SELECT s.*, (SELECT count(*) FROM _wake_relay) AS _relay_woken FROM ${source} s`;
}
