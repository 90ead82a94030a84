/**
 * How an attempt ends, as SQL expressions the finish and reap statements are built from (set-based,
 * on the database's clock). Each names its inputs by the aliases those statements use.
 */

/**
 * A reported result's new status, over `i` (the result: outcome, retryable, error), `t` (the task:
 * attempts, max_attempts, terminal_errors) and `l` (its type's limits: terminal_errors). A success
 * succeeds; a failure is retried (`failed`, queued after the backoff) when its runner says it may
 * be, the task has attempts left, and its error contains none of the never-retried errors (the
 * task's list, else its type's); otherwise the task is dead.
 */
export const FINISHED_STATUS = `CASE WHEN i.outcome = 'succeeded' THEN 'succeeded'
                  WHEN i.retryable AND t.attempts < t.max_attempts
                       -- the task's (else its type's) never-retried errors
                       AND NOT EXISTS (SELECT 1 FROM unnest(coalesce(t.terminal_errors, l.terminal_errors)) AS e(text)
                                       WHERE strpos(coalesce(i.error, ''), e.text) > 0) THEN 'failed'
                  ELSE 'dead' END`;

/** Whether task `t` (attempts, max_attempts) has used its last attempt. */
export const ATTEMPTS_USED = `t.attempts >= t.max_attempts`;

/**
 * The reason recorded with a result, over `n` (outcome, new_status, retryable, error, and exhausted:
 * ATTEMPTS_USED of its task): none for a success; the runner's error (else "failed") for a failure,
 * marked "attempts exhausted" when a retryable failure ended the task on its last attempt (one
 * ended by a never-retried error, or one its runner called not retryable, keeps the error alone).
 */
export const FINISHED_REASON = `CASE WHEN n.outcome = 'succeeded' THEN NULL
                         WHEN n.new_status = 'dead' AND n.retryable AND n.exhausted THEN 'attempts exhausted: ' || coalesce(n.error, 'failed')
                         ELSE coalesce(n.error, 'failed') END`;

/** Whether the expired task `t` (attempts, max_attempts) has used its last attempt: the reaper kills it. */
export const EXPIRED_EXHAUSTED = ATTEMPTS_USED;

/** The status the reaper gives task `t` whose lease expired: dead when its attempts are used up, else failed (retried). */
export const EXPIRED_STATUS = `CASE WHEN ${EXPIRED_EXHAUSTED} THEN 'dead' ELSE 'failed' END`;

/**
 * The reason the reaper records for task `t` (attempts, max_attempts, run_deadline_at, claimed_at)
 * leased by `e.worker_id`: an execution timeout (with how long the attempt was allowed) when the
 * attempt ran past its deadline, else an expired lease, naming the worker; prefixed "attempts
 * exhausted" when it was the last attempt.
 */
export const EXPIRED_REASON = `CASE WHEN ${EXPIRED_EXHAUSTED} THEN 'attempts exhausted: ' ELSE '' END
             || CASE WHEN t.run_deadline_at <= now() THEN 'execution timeout: ran past ' || extract(epoch FROM t.run_deadline_at - t.claimed_at)::int || ' s on '
                     ELSE 'lease expired on ' END || coalesce(e.worker_id, '?')`;
