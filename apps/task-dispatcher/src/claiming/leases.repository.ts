import { Inject, Injectable } from '@nestjs/common';
import {
  type ClaimedTaskV1,
  type ClaimTasksV1,
  type CreateTaskDto,
  type FinishReplyV1,
  type LeaseRefV1,
  type SnoozeTaskV1,
  Subjects,
  type TaskResultV1,
  type TaskStatus,
} from '@juggernaut/contracts';
import { APP_CONFIG } from '@juggernaut/service-kit';
import { type Narrow, preparedQuery, rowsOf } from '@juggernaut/persistence';
import { currentCorrelationId } from '@juggernaut/observability';
import { DataSource, type EntityManager } from 'typeorm';
import type { DispatcherEnv } from '../config';
import { perTypeMax } from '../limits/claim-allowance';
import { TypeLimitsRepository } from '../limits/type-limits.repository';
import {
  ATTEMPTS_USED,
  EXPIRED_EXHAUSTED,
  EXPIRED_REASON,
  EXPIRED_STATUS,
  FINISHED_REASON,
  FINISHED_STATUS,
} from './attempt-end';
import { backoff } from './backoff';
import { type LostLeaseRow, lostLeaseReason } from './lost-lease';
import { cancelDependents, submittedFields, TASK_COLUMNS } from '../tasks/tasks.repository';
import type { TaskRow, Transition } from '../tasks/task-row';
import { sortKey } from '../tasks/sort-key';
import { recordTransitions, selectRecorded, transitionCtes } from '../tasks/transitions';
import type { DispatchTasks } from '../db/schema.generated';

type ClaimedRow = Narrow<
  Pick<
    DispatchTasks,
    | 'id'
    | 'type'
    | 'title'
    | 'payload'
    | 'attempts'
    | 'max_attempts'
    | 'claim_token'
    | 'lease_expires_at'
    | 'claimed_at'
    | 'goal_id'
    | 'budget_minor'
    | 'created_at'
    | 'checkpoint'
    | 'run_deadline_at'
  >,
  {
    payload: Record<string, unknown>;
    claim_token: string;
    lease_expires_at: Date;
    claimed_at: Date;
    checkpoint: Record<string, unknown> | null;
  }
> & { pickup_seconds: number };

/** Raised by `dispatch.claim_in_time` when a claim could not be committed before its requester stopped waiting. */
const CLAIM_TOO_LATE = 'JGLAT';

export interface ClaimOptions {
  leaseSeconds: number;
  /** Most tasks of each of `req.types` (same order) this claim may take; absent: `req.max` each. */
  perType?: number[];
  /**
   * The claim is rolled back unless it commits within this many ms of its transaction's start (the
   * moment the statement reached the database, before any lock wait).
   */
  budgetMs?: number;
}

/**
 * A new attempt's execution deadline and lease, both counted from the moment of its claim
 * (clock_timestamp(), not the transaction's start), for the row `m` giving its lease length (`lease`,
 * seconds) and execution timeout (`timeout`, seconds, NULL for none). Past its deadline an attempt
 * gets no more lease: two seconds more, for its runner to report the timeout.
 */
const RUN_DEADLINE = `clock_timestamp() + make_interval(secs => m.timeout)`;
const LEASE_EXPIRY = `least(clock_timestamp() + make_interval(secs => m.lease), clock_timestamp() + make_interval(secs => m.timeout + 2))`;

/**
 * The end of a statement that leases: the rows of `source`, the notify CTE forced, and the lease's time
 * budget (`budgetParam`, ms or NULL) checked after every write — it reads their counts, so it runs
 * after all of them and a statement that stalled anywhere is caught (it fails, changing nothing).
 */
function selectInTime(source: string, budgetParam: string): string {
  return `SELECT s.*, w.n AS _relay_woken,
         (${budgetParam}::int IS NULL OR dispatch.claim_in_time(transaction_timestamp() + make_interval(secs => ${budgetParam}::int / 1000.0))) AS _in_time
       FROM ${source} s
       CROSS JOIN (SELECT count(*) AS n FROM _history) h
       CROSS JOIN (SELECT count(*) AS n FROM _events) e
       CROSS JOIN (SELECT count(*) AS n FROM _wake_relay) w
       WHERE h.n + e.n >= 0`;
}

/**
 * The claim as one statement: for each type, its most urgent due tasks through the per-type claim
 * index (so other types' backlog is never read), locked with SKIP LOCKED; the best `max` of them
 * leased (the lease runs from the moment of the claim: clock_timestamp(), not the transaction's
 * start) and recorded in history and the outbox. When the claim has a time budget, the statement
 * fails — and so changes nothing — if it finishes after it.
 */
export function claimStatement(
  req: ClaimTasksV1,
  opts: ClaimOptions = { leaseSeconds: 30 },
): { text: string; params: unknown[] } {
  const perType = opts.perType ?? req.types.map(() => req.max);
  return {
    text: `WITH locked AS (
         SELECT c.id, c.sort_key FROM (
           -- a paused type is read from the table at every claim, so a pause holds at once everywhere
           SELECT u.type, u.lim FROM unnest($1::text[], $8::int[]) AS u(type, lim)
           WHERE NOT EXISTS (SELECT 1 FROM dispatch.type_limits p WHERE p.type = u.type AND p.paused)
         ) ty
         CROSS JOIN LATERAL (
           SELECT id, sort_key FROM dispatch.tasks
           WHERE type = ty.type AND status IN ('pending', 'scheduled', 'failed') AND run_at <= now()
             AND required_level <= $2 AND required_capabilities <@ $3::text[]
           ORDER BY sort_key
           LIMIT least($4::int, ty.lim)
           FOR UPDATE SKIP LOCKED
         ) c
       ), candidates AS (
         SELECT id FROM locked ORDER BY sort_key LIMIT $4
       ), timed AS (
         -- each candidate's lease length and execution timeout: its own, else its type's, else the default
         SELECT c.id, coalesce(l.lease_seconds, $6::int) AS lease, coalesce(t.timeout_seconds, l.timeout_seconds) AS timeout
         FROM candidates c JOIN dispatch.tasks t ON t.id = c.id LEFT JOIN dispatch.type_limits l ON l.type = t.type
       ), claimed AS (
         UPDATE dispatch.tasks t SET
           status = 'running', attempts = t.attempts + 1, claim_token = gen_random_uuid(), claim_id = $9::uuid, worker_id = $5,
           claimed_at = clock_timestamp(), updated_at = clock_timestamp(), reason = NULL,
           run_deadline_at = ${RUN_DEADLINE}, lease_expires_at = ${LEASE_EXPIRY}
         FROM timed m WHERE t.id = m.id
         RETURNING t.id, t.type, t.title, t.payload, t.attempts, t.max_attempts, t.claim_token, t.lease_expires_at, t.claimed_at,
           t.goal_id, t.budget_minor, t.created_at, t.checkpoint, t.status, t.worker_id, t.reason, t.run_deadline_at,
           extract(epoch FROM clock_timestamp() - greatest(t.run_at, t.created_at))::float8 AS pickup_seconds
       ), ${transitionCtes('claimed', '$7')}
       ${selectInTime('claimed', '$10')}`,
    params: [
      req.types,
      req.level,
      req.capabilities,
      req.max,
      req.workerId,
      opts.leaseSeconds,
      currentCorrelationId() ?? null,
      perType,
      req.claimId ?? null,
      opts.budgetMs === undefined ? null : Math.max(0, Math.floor(opts.budgetMs)),
    ],
  };
}

/**
 * A submitted task handed at once to a claim held at the dispatcher: inserted already leased to the
 * claim's worker (attempt 1), with both of its transitions — created (pending), then claimed
 * (running) — in its history and their events in the outbox in that order, in one statement. Only
 * for a task the queue would hand out at once anyway (due now, no dependencies, no unique key); a
 * type that is paused or has concurrency or rate limits, read from the table here, inserts nothing
 * and takes the queue's path, as does an idempotency key already used. The lease and execution
 * timeout are the claim's: the task's own, else its type's, else the default. With a budget the
 * statement fails, changing nothing, if it would commit after the claim's requester stops waiting.
 */
const HAND_OFF = `WITH inserted AS (
    INSERT INTO dispatch.tasks (${TASK_COLUMNS}, attempts, claim_token, claim_id, worker_id, claimed_at, updated_at,
      run_deadline_at, lease_expires_at)
    SELECT $1, $2, $3, $4::int, 'running', r.at, ${sortKey('r.at', '$4::int', '$15::int')}, $5::int, $6::text[],
      coalesce($7::int, l.max_attempts, 5), $8::text, $9::uuid, NULL, $10::bigint, '{}', 0, NULL,
      $11::int, NULL, NULL, $12::int, $13::int, $14::text[],
      1, gen_random_uuid(), $16::uuid, $17::text, clock_timestamp(), clock_timestamp(), ${RUN_DEADLINE}, ${LEASE_EXPIRY}
    FROM (SELECT now() AS at) r
    LEFT JOIN dispatch.type_limits l ON l.type = $1
    CROSS JOIN LATERAL (SELECT coalesce(l.lease_seconds, $18::int) AS lease, coalesce($11::int, l.timeout_seconds) AS timeout) m
    WHERE l.type IS NULL OR NOT (l.paused OR l.max_concurrency IS NOT NULL OR l.rate_per_second IS NOT NULL)
    ON CONFLICT (idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
    RETURNING *
  ), changed AS (
    SELECT id, type, 'pending'::text AS status, 0 AS attempts, NULL::text AS worker_id, NULL::text AS reason, goal_id,
      '${Subjects.taskCreated}'::text AS subject, 0 AS ord
    FROM inserted
    UNION ALL
    SELECT id, type, status, attempts, worker_id, reason, goal_id, '${Subjects.taskClaimed}', 1 FROM inserted
  ), ${transitionCtes('changed', '$19', { ordered: true })}
  ${selectInTime('inserted', '$20')}`;

/**
 * Fenced completion: only rows whose claim token is current change. Successes store their result;
 * retryable failures with attempts left go back to the queue after a jittered exponential backoff;
 * the rest are dead. The claim token stays on the row, so a finish repeated after a lost answer is
 * recognised as already done. Parameters: ids, tokens, outcomes, results, errors, retryable flags,
 * retry base ms, retry max ms, aging seconds.
 */
const FINISH_INPUT = `input AS (
           SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::jsonb[], $5::text[], $6::bool[])
             AS i(id, token, outcome, result, error, retryable)
         ), next AS (
           SELECT i.*, t.claimed_at,
             ${FINISHED_STATUS} AS new_status, ${ATTEMPTS_USED} AS exhausted,
             now() + ${backoff('t.attempts', 'coalesce(t.retry_base_ms, l.retry_base_ms, $7)', 'coalesce(t.retry_max_ms, l.retry_max_ms, $8)')} AS retry_at
           FROM input i JOIN dispatch.tasks t ON t.id = i.id LEFT JOIN dispatch.type_limits l ON l.type = t.type
           WHERE t.claim_token = i.token AND t.status = 'running'
           FOR UPDATE OF t
         )`;

const FINISH_UPDATE = `UPDATE dispatch.tasks t SET
           status = n.new_status,
           result = CASE WHEN n.outcome = 'succeeded' THEN n.result ELSE t.result END,
           reason = ${FINISHED_REASON},
           run_at = CASE WHEN n.new_status = 'failed' THEN n.retry_at ELSE t.run_at END,
           sort_key = CASE WHEN n.new_status = 'failed' THEN ${sortKey('n.retry_at', 't.priority', '$9::int')} ELSE t.sort_key END,
           lease_expires_at = NULL, run_deadline_at = NULL, updated_at = now(),
           finished_at = CASE WHEN n.new_status IN ('succeeded', 'dead') THEN now() ELSE NULL END
         FROM next n WHERE t.id = n.id
         RETURNING t.id, t.type, t.status, t.attempts, t.goal_id, t.reason, extract(epoch FROM now() - n.claimed_at)::float8 AS run_seconds, t.worker_id`;

type FinishedRow = Narrow<
  Pick<DispatchTasks, 'id' | 'type' | 'status' | 'attempts' | 'goal_id' | 'reason'>,
  { status: TaskStatus }
> & { run_seconds: number };
interface FinishOutcome {
  reply: FinishReplyV1;
  runSeconds: Array<{ type: string; status: TaskStatus; seconds: number }>;
  unblocked: number;
}

/** A claim that could not be committed before its requester gave up: nothing was claimed. */
export class ClaimTooLateError extends Error {}

/**
 * Leases: claiming with FOR UPDATE SKIP LOCKED, heartbeats, fenced completion, release and the
 * reaper. Every write checks the claim token, so a worker that lost its lease can change nothing.
 */
@Injectable()
export class LeasesRepository {
  constructor(
    private readonly db: DataSource,
    private readonly limits: TypeLimitsRepository,
    @Inject(APP_CONFIG) private readonly config: DispatcherEnv,
  ) {}

  /**
   * Claims up to `max` eligible tasks for a worker. Eligible: due, of a type the worker handles, at
   * or below its level, its capabilities covering the task's, and its type under its concurrency
   * and rate limits. Ordered by the aging priority key. With `budgetMs`, a claim that cannot commit
   * within it is rolled back (ClaimTooLateError): its requester has stopped waiting for the answer.
   */
  async claim(req: ClaimTasksV1, budgetMs?: number): Promise<{ tasks: ClaimedTaskV1[]; pickupSeconds: number[] }> {
    const limited = await this.limits.cached(req.types);
    let rows: ClaimedRow[];
    try {
      rows =
        limited.size === 0
          ? await this.claimRows(this.db.manager, req, budgetMs)
          : await this.db.transaction(async (em) => {
              if (budgetMs !== undefined)
                await em.query(`SELECT set_config('lock_timeout', $1, true)`, [
                  `${Math.max(1, Math.floor(budgetMs))}ms`,
                ]);
              const allowance = await this.limits.allowances(em, [...limited.keys()]);
              const perType = perTypeMax(req.types, req.max, allowance);
              if (perType.every((n) => n <= 0)) return [];
              const claimed = await this.claimRows(em, req, budgetMs, perType);
              await this.limits.consume(em, countBy(claimed.map((r) => r.type)));
              return claimed;
            });
    } catch (e) {
      if (isTooLate(e)) throw new ClaimTooLateError(`claim not committed within ${budgetMs} ms`);
      throw e;
    }
    return {
      tasks: rows.map(toClaimedTask),
      pickupSeconds: rows.map((r) => Math.max(0, Number(r.pickup_seconds))),
    };
  }

  /**
   * Creates `dto` leased to the held claim `req` (HAND_OFF): the task and the claim's answer, or
   * undefined when the task must take the queue's path instead (nothing was written). Throws
   * ClaimTooLateError, having written nothing, when it could not commit within `budgetMs`.
   */
  async handOff(
    dto: CreateTaskDto,
    req: ClaimTasksV1,
    budgetMs?: number,
  ): Promise<{ row: TaskRow; task: ClaimedTaskV1 } | undefined> {
    const f = submittedFields(dto);
    let rows: Array<TaskRow & ClaimedRow>;
    try {
      rows = await preparedQuery<TaskRow & ClaimedRow>(this.db, HAND_OFF, [
        f.type,
        f.title,
        JSON.stringify(f.payload),
        f.priority,
        f.required_level,
        f.required_capabilities,
        f.max_attempts,
        f.idempotency_key,
        f.goal_id,
        f.budget_minor,
        f.timeout_seconds,
        f.retry_base_ms,
        f.retry_max_ms,
        f.terminal_errors,
        this.config.DISPATCH_AGING_SECONDS,
        req.claimId ?? null,
        req.workerId,
        this.config.DISPATCH_LEASE_SECONDS,
        currentCorrelationId() ?? null,
        budgetMs === undefined ? null : Math.max(0, Math.floor(budgetMs)),
      ]);
    } catch (e) {
      if (isTooLate(e)) throw new ClaimTooLateError(`hand-off not committed within ${budgetMs} ms`);
      throw e;
    }
    const row = rows[0];
    return row ? { row, task: toClaimedTask({ ...row, pickup_seconds: 0 }) } : undefined;
  }

  private async claimRows(
    em: EntityManager,
    req: ClaimTasksV1,
    budgetMs?: number,
    perType?: number[],
  ): Promise<ClaimedRow[]> {
    const { text, params } = claimStatement(req, {
      leaseSeconds: this.config.DISPATCH_LEASE_SECONDS,
      ...(perType ? { perType } : {}),
      ...(budgetMs !== undefined ? { budgetMs } : {}),
    });
    return preparedQuery(em, text, params);
  }

  /** Extends the leases a worker still holds; reports the ones it lost (and why) so it stops that work. */
  async heartbeat(
    workerId: string,
    leases: LeaseRefV1[],
  ): Promise<{
    extended: Array<{ taskId: string; leaseExpiresAt: string }>;
    lost: Array<{ taskId: string; reason: string }>;
  }> {
    if (leases.length === 0) return { extended: [], lost: [] };
    const rows: Array<{ id: string; lease_expires_at: Date }> = rowsOf(
      await this.db.query(
        `UPDATE dispatch.tasks t SET
         lease_expires_at = least(
           clock_timestamp() + make_interval(secs => coalesce((SELECT l.lease_seconds FROM dispatch.type_limits l WHERE l.type = t.type), $4::int)),
           t.run_deadline_at + interval '2 seconds'),
         updated_at = now()
       FROM unnest($1::uuid[], $2::uuid[]) AS i(id, token)
       WHERE t.id = i.id AND t.claim_token = i.token AND t.status = 'running' AND t.worker_id = $3
         AND (t.run_deadline_at IS NULL OR t.run_deadline_at > clock_timestamp())
       RETURNING t.id, t.lease_expires_at`,
        [leases.map((l) => l.taskId), leases.map((l) => l.claimToken), workerId, this.config.DISPATCH_LEASE_SECONDS],
      ),
    );
    const kept = new Set(rows.map((r) => r.id));
    const lostRefs = leases.filter((l) => !kept.has(l.taskId));
    let lost: Array<{ taskId: string; reason: string }> = [];
    if (lostRefs.length) {
      const why: Array<LostLeaseRow & { id: string }> = await this.db.query(
        `SELECT t.id, t.status, t.claim_token IS NOT DISTINCT FROM i.token AS same_token,
           t.status = 'running' AND t.run_deadline_at <= clock_timestamp() AS timed_out
         FROM unnest($1::uuid[], $2::uuid[]) AS i(id, token) JOIN dispatch.tasks t ON t.id = i.id`,
        [lostRefs.map((l) => l.taskId), lostRefs.map((l) => l.claimToken)],
      );
      const byId = new Map(why.map((w) => [w.id, w]));
      lost = lostRefs.map((l) => ({ taskId: l.taskId, reason: lostLeaseReason(byId.get(l.taskId)) }));
    }
    return { extended: rows.map((r) => ({ taskId: r.id, leaseExpiresAt: r.lease_expires_at.toISOString() })), lost };
  }

  /**
   * Applies completions and failures whose claim token is current; a stale token changes nothing
   * and is reported as rejected, a token whose attempt already finished is answered `alreadyDone`.
   * Successes unblock dependents; deaths cancel them.
   */
  async finish(workerId: string, results: TaskResultV1[]): Promise<FinishOutcome> {
    const outcome = results.every((r) => r.outcome === 'succeeded')
      ? await this.finishSucceeded(results)
      : await this.db.transaction(async (em) => {
          const rows = await preparedQuery<FinishedRow>(
            em,
            `WITH ${FINISH_INPUT} ${FINISH_UPDATE}`,
            this.finishParams(results),
          );
          await recordTransitions(
            em,
            rows.map((r) => ({
              taskId: r.id,
              type: r.type,
              status: r.status,
              attempt: r.attempts,
              workerId,
              reason: r.reason,
              goalId: r.goal_id,
            })),
          );
          const unblocked = await this.unblockDependents(
            em,
            rows.filter((r) => r.status === 'succeeded').map((r) => r.id),
          );
          for (const d of rows.filter((r) => r.status === 'dead'))
            await cancelDependents(em, [d.id], `dependency ${d.id} died: ${d.reason ?? 'failed'}`);
          return finishOutcome(results, rows, unblocked);
        });
    return this.recognizeRepeats(results, outcome);
  }

  /**
   * The hot path: every result is a success. One statement applies the fenced completions, makes
   * dependents whose last dependency just succeeded claimable (through `dispatch.release_dependents`,
   * which reads the dependency edges after the parents are locked), and records history and events
   * for both, committed in a single round trip. Failures take the transactional path (retries,
   * deaths and the cascade that cancels dependents).
   */
  private async finishSucceeded(results: TaskResultV1[]): Promise<FinishOutcome> {
    const rows = await preparedQuery<FinishedRow & { kind: 'finished' | 'unblocked' }>(
      this.db,
      `WITH ${FINISH_INPUT}, finished AS (
         ${FINISH_UPDATE}
       ), unblocked AS (
         SELECT r.* FROM dispatch.release_dependents((SELECT coalesce(array_agg(f.id), '{}') FROM finished f)) r
       ), changed AS (
         SELECT 'finished' AS kind, id, type, status, attempts, worker_id, reason, goal_id, run_seconds FROM finished
         UNION ALL
         SELECT 'unblocked', id, type, status, attempts, NULL, 'dependencies succeeded', goal_id, NULL FROM unblocked WHERE status <> 'blocked'
       ), ${transitionCtes('changed', '$10')}
       ${selectRecorded('changed')}`,
      [...this.finishParams(results), currentCorrelationId() ?? null],
    );
    const finished = rows.filter((r) => r.kind === 'finished');
    return finishOutcome(results, finished, rows.length - finished.length);
  }

  /** Results refused as stale whose token did finish its attempt (a retried finish): answered as already done. */
  private async recognizeRepeats(results: TaskResultV1[], outcome: FinishOutcome): Promise<FinishOutcome> {
    const refused = outcome.reply.rejected;
    if (refused.length === 0) return outcome;
    const byId = new Map(results.map((r) => [r.taskId, r]));
    const done: Array<{ id: string; status: TaskStatus }> = await this.db.query(
      `SELECT t.id, t.status FROM unnest($1::uuid[], $2::uuid[]) AS i(id, token) JOIN dispatch.tasks t ON t.id = i.id
       WHERE t.claim_token = i.token AND t.status <> 'running'`,
      [refused.map((r) => r.taskId), refused.map((r) => byId.get(r.taskId)!.claimToken)],
    );
    if (done.length === 0) return outcome;
    const repeated = new Map(done.map((d) => [d.id, d.status]));
    return {
      ...outcome,
      reply: {
        accepted: [
          ...outcome.reply.accepted,
          ...done.map((d) => ({ taskId: d.id, status: d.status, alreadyDone: true })),
        ],
        rejected: refused.filter((r) => !repeated.has(r.taskId)),
      },
    };
  }

  private finishParams(results: TaskResultV1[]): unknown[] {
    return [
      results.map((r) => r.taskId),
      results.map((r) => r.claimToken),
      results.map((r) => r.outcome),
      results.map((r) => (r.result ? JSON.stringify(r.result) : null)),
      results.map((r) => r.error ?? null),
      results.map((r) => r.retryable ?? true),
      this.config.DISPATCH_RETRY_BASE_MS,
      this.config.DISPATCH_RETRY_MAX_MS,
      this.config.DISPATCH_AGING_SECONDS,
    ];
  }

  /** Dependents whose last dependency just succeeded become claimable. */
  private async unblockDependents(em: EntityManager, succeeded: string[]): Promise<number> {
    if (succeeded.length === 0) return 0;
    const rows: Array<{ id: string; type: string; status: TaskStatus; attempts: number; goal_id: string | null }> =
      await em.query(`SELECT * FROM dispatch.release_dependents($1::uuid[])`, [succeeded]);
    const ready = rows.filter((r) => r.status !== 'blocked');
    await recordTransitions(
      em,
      ready.map((r) => ({
        taskId: r.id,
        type: r.type,
        status: r.status,
        attempt: r.attempts,
        reason: 'dependencies succeeded',
        goalId: r.goal_id,
      })),
    );
    return ready.length;
  }

  /**
   * Hands leases back: the task is queued again and the attempt is not counted. Leases are named by
   * their tokens, or by the claim request they came from (a claim whose answer never reached the
   * worker).
   */
  async release(workerId: string, leases: LeaseRefV1[], claimIds: string[], reason: string): Promise<string[]> {
    return this.db.transaction(async (em) => {
      const rows: Array<{ id: string; type: string; attempts: number; goal_id: string | null }> = rowsOf(
        await em.query(
          `WITH target AS (
           SELECT t.id FROM unnest($1::uuid[], $2::uuid[]) AS i(id, token) JOIN dispatch.tasks t ON t.id = i.id AND t.claim_token = i.token
           UNION
           SELECT id FROM dispatch.tasks WHERE claim_id = ANY($5::uuid[]) AND status = 'running'
         )
         UPDATE dispatch.tasks t SET status = 'pending', attempts = greatest(t.attempts - 1, 0), claim_token = NULL, claim_id = NULL,
           lease_expires_at = NULL, run_deadline_at = NULL, worker_id = NULL, reason = $4, updated_at = now()
         FROM target WHERE t.id = target.id AND t.status = 'running' AND t.worker_id = $3
         RETURNING t.id, t.type, t.attempts, t.goal_id`,
          [leases.map((l) => l.taskId), leases.map((l) => l.claimToken), workerId, `released: ${reason}`, claimIds],
        ),
      );
      await recordTransitions(
        em,
        rows.map((r) => ({
          taskId: r.id,
          type: r.type,
          status: 'pending' as const,
          attempt: r.attempts,
          workerId,
          reason: `released: ${reason}`,
          goalId: r.goal_id,
        })),
      );
      return rows.map((r) => r.id);
    });
  }

  /**
   * A running task asks to run again after `delayMs` (with its reason): it is scheduled, its lease
   * ends, and the attempt is not counted. Only the current lease holder may.
   */
  async snooze(req: SnoozeTaskV1): Promise<Transition | undefined> {
    return this.db.transaction(async (em) => {
      const rows: Array<{ id: string; type: string; attempts: number; goal_id: string | null; reason: string }> =
        rowsOf(
          await em.query(
            `UPDATE dispatch.tasks t SET status = 'scheduled', attempts = greatest(t.attempts - 1, 0), claim_token = NULL, claim_id = NULL,
           lease_expires_at = NULL, run_deadline_at = NULL, worker_id = NULL, reason = $5, updated_at = now(),
           run_at = r.at, sort_key = ${sortKey('r.at', 't.priority', '$6::int')}
         FROM (SELECT now() + make_interval(secs => $4::double precision / 1000) AS at) r
         WHERE t.id = $1 AND t.claim_token = $2 AND t.status = 'running' AND t.worker_id = $3
         RETURNING t.id, t.type, t.attempts, t.goal_id, t.reason`,
            [
              req.taskId,
              req.claimToken,
              req.workerId,
              req.delayMs,
              `snoozed: ${req.reason}`,
              this.config.DISPATCH_AGING_SECONDS,
            ],
          ),
        );
      const moved = rows.map((r) => ({
        taskId: r.id,
        type: r.type,
        status: 'scheduled' as const,
        attempt: r.attempts,
        workerId: req.workerId,
        reason: r.reason,
        goalId: r.goal_id,
      }));
      await recordTransitions(em, moved);
      return moved[0];
    });
  }

  /** Saves a running task's progress, only for the current lease holder. */
  async checkpoint(lease: LeaseRefV1, checkpoint: Record<string, unknown>): Promise<boolean> {
    const rows: unknown[] = rowsOf(
      await this.db.query(
        `UPDATE dispatch.tasks SET checkpoint = $3, updated_at = now() WHERE id = $1 AND claim_token = $2 AND status = 'running' RETURNING id`,
        [lease.taskId, lease.claimToken, JSON.stringify(checkpoint)],
      ),
    );
    return rows.length > 0;
  }

  /**
   * Returns expired leases to the queue (status `failed`, after the same jittered backoff as a
   * failure, the attempt counted) or to `dead` when attempts are exhausted. SKIP LOCKED lets several
   * replicas reap together.
   */
  async reap(): Promise<Transition[]> {
    return this.db.transaction(async (em) => {
      const rows: Array<{
        id: string;
        type: string;
        status: TaskStatus;
        attempts: number;
        worker_id: string | null;
        goal_id: string | null;
        reason: string;
      }> = rowsOf(
        await em.query(
          `WITH expired AS (
           SELECT id, type, worker_id FROM dispatch.tasks WHERE status = 'running' AND lease_expires_at < now()
           ORDER BY lease_expires_at LIMIT 1000 FOR UPDATE SKIP LOCKED
         )
         UPDATE dispatch.tasks t SET
           status = ${EXPIRED_STATUS},
           reason = ${EXPIRED_REASON},
           claim_token = NULL, claim_id = NULL, lease_expires_at = NULL, run_deadline_at = NULL, updated_at = now(),
           run_at = CASE WHEN ${EXPIRED_EXHAUSTED} THEN t.run_at
                         ELSE now() + ${backoff('t.attempts', 'coalesce(t.retry_base_ms, l.retry_base_ms, $1)', 'coalesce(t.retry_max_ms, l.retry_max_ms, $2)')} END,
           finished_at = CASE WHEN ${EXPIRED_EXHAUSTED} THEN now() ELSE NULL END
         FROM expired e LEFT JOIN dispatch.type_limits l ON l.type = e.type WHERE t.id = e.id
         RETURNING t.id, t.type, t.status, t.attempts, e.worker_id, t.goal_id, t.reason`,
          [this.config.DISPATCH_RETRY_BASE_MS, this.config.DISPATCH_RETRY_MAX_MS],
        ),
      );
      const transitions = rows.map((r) => ({
        taskId: r.id,
        type: r.type,
        status: r.status,
        attempt: r.attempts,
        workerId: r.worker_id,
        reason: r.reason,
        goalId: r.goal_id,
      }));
      await recordTransitions(em, transitions);
      for (const d of rows.filter((r) => r.status === 'dead'))
        await cancelDependents(em, [d.id], `dependency ${d.id} died: ${d.reason}`);
      return transitions;
    });
  }
}

function countBy(values: string[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const v of values) out.set(v, (out.get(v) ?? 0) + 1);
  return out;
}

/** A leased row as its runner receives it. */
function toClaimedTask(r: ClaimedRow): ClaimedTaskV1 {
  return {
    id: r.id,
    type: r.type,
    title: r.title,
    payload: r.payload,
    attempt: r.attempts,
    maxAttempts: r.max_attempts,
    claimToken: r.claim_token,
    leaseExpiresAt: r.lease_expires_at.toISOString(),
    leaseMs: r.lease_expires_at.getTime() - r.claimed_at.getTime(),
    goalId: r.goal_id,
    budgetMinor: r.budget_minor === null ? null : Number(r.budget_minor),
    createdAt: r.created_at.toISOString(),
    checkpoint: r.checkpoint,
    timeoutMs: r.run_deadline_at ? r.run_deadline_at.getTime() - r.claimed_at.getTime() : null,
  };
}

function isTooLate(e: unknown): boolean {
  const code =
    (e as { driverError?: { code?: unknown }; code?: unknown } | null)?.driverError?.code ??
    (e as { code?: unknown } | null)?.code;
  // 55P03: lock_timeout, set to the claim's budget on the transactional path.
  return code === CLAIM_TOO_LATE || code === '55P03';
}

function finishOutcome(results: TaskResultV1[], rows: FinishedRow[], unblocked: number): FinishOutcome {
  const accepted = new Set(rows.map((r) => r.id));
  return {
    reply: {
      accepted: rows.map((r) => ({ taskId: r.id, status: r.status })),
      rejected: results
        .filter((r) => !accepted.has(r.taskId))
        .map((r) => ({ taskId: r.taskId, reason: 'stale claim token: the lease is no longer held' })),
    },
    runSeconds: rows.map((r) => ({ type: r.type, status: r.status, seconds: Number(r.run_seconds) })),
    unblocked,
  };
}
