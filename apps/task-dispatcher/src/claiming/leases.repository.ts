import { Inject, Injectable } from '@nestjs/common';
import type { ClaimedTaskV1, ClaimTasksV1, FinishReplyV1, LeaseRefV1, TaskResultV1, TaskStatus } from '@juggernaut/contracts';
import { APP_CONFIG } from '@juggernaut/service-kit';
import { rowsOf } from '@juggernaut/persistence';
import { DataSource, type EntityManager } from 'typeorm';
import type { DispatcherEnv } from '../config';
import { TypeLimitsRepository } from '../limits/type-limits.repository';
import { cancelDependents } from '../tasks/tasks.repository';
import type { Transition } from '../tasks/task-row';
import { recordTransitions, selectRecorded, transitionCtes } from '../tasks/transitions';
import { currentCorrelationId } from '@juggernaut/observability';

interface ClaimedRow {
  id: string;
  type: string;
  title: string | null;
  payload: Record<string, unknown>;
  attempts: number;
  max_attempts: number;
  claim_token: string;
  lease_expires_at: Date;
  claimed_at: Date;
  run_at: Date;
  goal_id: string | null;
  budget_minor: string | null;
  created_at: Date;
  checkpoint: Record<string, unknown> | null;
}

const CLAIMABLE = `status IN ('pending', 'scheduled', 'failed') AND run_at <= now()`;

/** Leases the rows listed in `from`: a fresh claim token, the attempt counted, the type's lease length. */
function leaseUpdate(from: string, workerParam: string, leaseParam: string): string {
  return `UPDATE dispatch.tasks t SET
       status = 'running', attempts = t.attempts + 1, claim_token = gen_random_uuid(), worker_id = ${workerParam},
       claimed_at = now(), updated_at = now(), reason = NULL,
       lease_expires_at = now() + make_interval(secs => coalesce((SELECT l.lease_seconds FROM dispatch.type_limits l WHERE l.type = t.type), ${leaseParam}::int))
     FROM ${from} c WHERE t.id = c.id
     RETURNING t.id, t.type, t.title, t.payload, t.attempts, t.max_attempts, t.claim_token, t.lease_expires_at, t.claimed_at,
       t.run_at, t.goal_id, t.budget_minor, t.created_at, t.checkpoint`;
}

/**
 * Fenced completion: only rows whose claim token is still current change. Successes store their
 * result; retryable failures with attempts left go back to the queue after a jittered exponential
 * backoff; the rest are dead. Parameters: ids, tokens, outcomes, results, errors, retryable flags,
 * retry base ms, retry max ms, aging seconds.
 */
const FINISH_INPUT = `input AS (
           SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::jsonb[], $5::text[], $6::bool[])
             AS i(id, token, outcome, result, error, retryable)
         ), next AS (
           SELECT i.*, t.claimed_at,
             CASE WHEN i.outcome = 'succeeded' THEN 'succeeded'
                  WHEN i.retryable AND t.attempts < t.max_attempts THEN 'failed'
                  ELSE 'dead' END AS new_status,
             now() + make_interval(secs => least($8::double precision, $7::double precision * power(2, greatest(t.attempts - 1, 0)))
                                            * (0.5 + random() / 2) / 1000.0) AS retry_at
           FROM input i JOIN dispatch.tasks t ON t.id = i.id
           WHERE t.claim_token = i.token AND t.status = 'running'
           FOR UPDATE OF t
         )`;

const FINISH_UPDATE = `UPDATE dispatch.tasks t SET
           status = n.new_status,
           result = CASE WHEN n.outcome = 'succeeded' THEN n.result ELSE t.result END,
           reason = CASE WHEN n.outcome = 'succeeded' THEN NULL
                         WHEN n.new_status = 'dead' AND n.retryable THEN 'attempts exhausted: ' || coalesce(n.error, 'failed')
                         ELSE coalesce(n.error, 'failed') END,
           run_at = CASE WHEN n.new_status = 'failed' THEN n.retry_at ELSE t.run_at END,
           sort_key = CASE WHEN n.new_status = 'failed' THEN n.retry_at + make_interval(secs => t.priority * $9::int) ELSE t.sort_key END,
           claim_token = NULL, lease_expires_at = NULL, updated_at = now(),
           finished_at = CASE WHEN n.new_status IN ('succeeded', 'dead') THEN now() ELSE NULL END
         FROM next n WHERE t.id = n.id
         RETURNING t.id, t.type, t.status, t.attempts, t.goal_id, t.reason, extract(epoch FROM now() - n.claimed_at)::float8 AS run_seconds, t.worker_id`;

/** Dependents of the tasks counted in `done` (task_id, n) lose n pending dependencies; at zero they are queued. */
const UNBLOCK_UPDATE = `UPDATE dispatch.tasks t SET
         pending_deps = greatest(t.pending_deps - done.n, 0),
         status = CASE WHEN t.pending_deps - done.n > 0 THEN 'blocked' WHEN t.run_at > now() THEN 'scheduled' ELSE 'pending' END,
         reason = CASE WHEN t.pending_deps - done.n > 0 THEN 'waiting on ' || (t.pending_deps - done.n) || ' dependencies' ELSE NULL END,
         updated_at = now()
       FROM done WHERE t.id = done.task_id AND t.status = 'blocked'
       RETURNING t.id, t.type, t.status, t.attempts, t.goal_id`;

interface FinishedRow { id: string; type: string; status: TaskStatus; attempts: number; goal_id: string | null; reason: string | null; run_seconds: number }
interface FinishOutcome { reply: FinishReplyV1; runSeconds: Array<{ type: string; status: TaskStatus; seconds: number }>; unblocked: number }

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
   * Claims up to `max` eligible tasks for a worker in one transaction. Eligible: due, of a type the
   * worker handles, at or below its level, its capabilities covering the task's, and its type under
   * its concurrency and rate limits. Ordered by the aging priority key.
   */
  async claim(req: ClaimTasksV1): Promise<{ tasks: ClaimedTaskV1[]; pickupSeconds: number[] }> {
    const limited = await this.limits.cached(req.types);
    const rows = limited.size === 0 ? await this.claimRows(req) : await this.db.transaction(async (em) => {
      const allowance = await this.limits.allowances(em, [...limited.keys()]);
      const types = req.types.filter((t) => (allowance.get(t) ?? Number.POSITIVE_INFINITY) > 0);
      if (types.length === 0) return [];
      const candidates = await this.lockCandidates(em, req, types, req.max);
      const chosen: string[] = [];
      const taken = new Map<string, number>();
      for (const c of candidates) {
        const left = allowance.get(c.type) ?? Number.POSITIVE_INFINITY;
        if (left <= 0) continue;
        allowance.set(c.type, left - 1);
        taken.set(c.type, (taken.get(c.type) ?? 0) + 1);
        chosen.push(c.id);
      }
      if (chosen.length === 0) return [];
      await this.limits.consume(em, taken);
      return this.markClaimed(em, req.workerId, chosen);
    });
    const now = Date.now();
    return {
      tasks: rows.map((r) => ({
        id: r.id, type: r.type, title: r.title, payload: r.payload, attempt: r.attempts, maxAttempts: r.max_attempts,
        claimToken: r.claim_token, leaseExpiresAt: r.lease_expires_at.toISOString(),
        leaseMs: r.lease_expires_at.getTime() - r.claimed_at.getTime(),
        goalId: r.goal_id, budgetMinor: r.budget_minor === null ? null : Number(r.budget_minor),
        createdAt: r.created_at.toISOString(), checkpoint: r.checkpoint,
      })),
      pickupSeconds: rows.map((r) => Math.max(0, (now - Math.max(r.run_at.getTime(), r.created_at.getTime())) / 1000)),
    };
  }

  /**
   * The common path (no type limits): one statement selects, locks and leases the batch and writes
   * its history and events, committed in a single round trip.
   */
  private async claimRows(req: ClaimTasksV1): Promise<ClaimedRow[]> {
    return this.db.query(
      `WITH candidates AS (
         SELECT id FROM dispatch.tasks
         WHERE ${CLAIMABLE} AND type = ANY($1::text[]) AND required_level <= $2 AND required_capabilities <@ $3::text[]
         ORDER BY sort_key
         LIMIT $4
         FOR UPDATE SKIP LOCKED
       ), claimed AS (
         ${leaseUpdate('candidates', '$5', '$6')}, t.status, t.worker_id, t.reason
       ), ${transitionCtes('claimed', '$7')}
       ${selectRecorded('claimed')}`,
      [req.types, req.level, req.capabilities, req.max, req.workerId, this.config.DISPATCH_LEASE_SECONDS, currentCorrelationId() ?? null],
    );
  }

  private async lockCandidates(em: EntityManager, req: ClaimTasksV1, types: string[], max: number): Promise<Array<{ id: string; type: string }>> {
    return em.query(
      `SELECT id, type FROM dispatch.tasks
       WHERE ${CLAIMABLE} AND type = ANY($1::text[]) AND required_level <= $2 AND required_capabilities <@ $3::text[]
       ORDER BY sort_key LIMIT $4 FOR UPDATE SKIP LOCKED`,
      [types, req.level, req.capabilities, max],
    );
  }

  private async markClaimed(em: EntityManager, workerId: string, ids: string[]): Promise<ClaimedRow[]> {
    const rows: ClaimedRow[] = rowsOf(await em.query(
      `WITH candidates AS (SELECT unnest($1::uuid[]) AS id)
       ${leaseUpdate('candidates', '$2', '$3')}`,
      [ids, workerId, this.config.DISPATCH_LEASE_SECONDS],
    ));
    await this.recordClaims(em, rows, workerId);
    return rows;
  }

  private async recordClaims(em: EntityManager, rows: ClaimedRow[], workerId: string): Promise<void> {
    await recordTransitions(em, rows.map((r) => ({ taskId: r.id, type: r.type, status: 'running' as const, attempt: r.attempts, workerId, goalId: r.goal_id })));
  }

  /** Extends the leases a worker still holds; reports the ones it lost so it stops that work. */
  async heartbeat(workerId: string, leases: LeaseRefV1[]): Promise<{ extended: Array<{ taskId: string; leaseExpiresAt: string }>; lost: Array<{ taskId: string; reason: string }> }> {
    if (leases.length === 0) return { extended: [], lost: [] };
    const rows: Array<{ id: string; lease_expires_at: Date }> = rowsOf(await this.db.query(
      `UPDATE dispatch.tasks t SET
         lease_expires_at = now() + make_interval(secs => coalesce((SELECT l.lease_seconds FROM dispatch.type_limits l WHERE l.type = t.type), $4::int)),
         updated_at = now()
       FROM unnest($1::uuid[], $2::uuid[]) AS i(id, token)
       WHERE t.id = i.id AND t.claim_token = i.token AND t.status = 'running' AND t.worker_id = $3
       RETURNING t.id, t.lease_expires_at`,
      [leases.map((l) => l.taskId), leases.map((l) => l.claimToken), workerId, this.config.DISPATCH_LEASE_SECONDS],
    ));
    const kept = new Set(rows.map((r) => r.id));
    const lostIds = leases.map((l) => l.taskId).filter((id) => !kept.has(id));
    let lost: Array<{ taskId: string; reason: string }> = [];
    if (lostIds.length) {
      const why: Array<{ id: string; status: TaskStatus }> = await this.db.query(`SELECT id, status FROM dispatch.tasks WHERE id = ANY($1::uuid[])`, [lostIds]);
      const status = new Map(why.map((w) => [w.id, w.status]));
      lost = lostIds.map((id) => ({ taskId: id, reason: status.get(id) === 'cancelled' ? 'cancelled' : 'lease lost' }));
    }
    return { extended: rows.map((r) => ({ taskId: r.id, leaseExpiresAt: r.lease_expires_at.toISOString() })), lost };
  }

  /**
   * Applies completions and failures whose claim token is current; a stale token changes nothing
   * and is reported as rejected. Successes unblock dependents; deaths cancel them.
   */
  async finish(workerId: string, results: TaskResultV1[]): Promise<FinishOutcome> {
    if (results.every((r) => r.outcome === 'succeeded')) return this.finishSucceeded(results);
    return this.db.transaction(async (em) => {
      const rows: FinishedRow[] = rowsOf(await em.query(`WITH ${FINISH_INPUT} ${FINISH_UPDATE}`, this.finishParams(results)));
      await recordTransitions(em, rows.map((r) => ({ taskId: r.id, type: r.type, status: r.status, attempt: r.attempts, workerId, reason: r.reason, goalId: r.goal_id })));
      const unblocked = await this.unblockDependents(em, rows.filter((r) => r.status === 'succeeded').map((r) => r.id));
      for (const d of rows.filter((r) => r.status === 'dead')) await cancelDependents(em, [d.id], `dependency ${d.id} died: ${d.reason ?? 'failed'}`);
      return finishOutcome(results, rows, unblocked);
    });
  }

  /**
   * The hot path: every result is a success. One statement applies the fenced completions, makes
   * dependents whose last dependency just succeeded claimable, and records history and events for
   * both, committed in a single round trip. Failures take the transactional path (retries, deaths
   * and the cascade that cancels dependents).
   */
  private async finishSucceeded(results: TaskResultV1[]): Promise<FinishOutcome> {
    const rows: Array<FinishedRow & { kind: 'finished' | 'unblocked' }> = await this.db.query(
      `WITH ${FINISH_INPUT}, finished AS (
         ${FINISH_UPDATE}
       ), done AS (
         SELECT d.task_id, count(*)::int AS n FROM dispatch.task_dependencies d JOIN finished f ON f.id = d.depends_on GROUP BY d.task_id
       ), unblocked AS (
         ${UNBLOCK_UPDATE}
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

  private finishParams(results: TaskResultV1[]): unknown[] {
    return [
      results.map((r) => r.taskId), results.map((r) => r.claimToken), results.map((r) => r.outcome),
      results.map((r) => (r.result ? JSON.stringify(r.result) : null)), results.map((r) => r.error ?? null),
      results.map((r) => r.retryable ?? true), this.config.DISPATCH_RETRY_BASE_MS, this.config.DISPATCH_RETRY_MAX_MS,
      this.config.DISPATCH_AGING_SECONDS,
    ];
  }

  /** Dependents whose last dependency just succeeded become claimable. */
  private async unblockDependents(em: EntityManager, succeeded: string[]): Promise<number> {
    if (succeeded.length === 0) return 0;
    const rows: Array<{ id: string; type: string; status: TaskStatus; attempts: number; goal_id: string | null }> = rowsOf(await em.query(
      `WITH done AS (
         SELECT task_id, count(*)::int AS n FROM dispatch.task_dependencies WHERE depends_on = ANY($1::uuid[]) GROUP BY task_id
       )
       ${UNBLOCK_UPDATE}`,
      [succeeded],
    ));
    const ready = rows.filter((r) => r.status !== 'blocked');
    await recordTransitions(em, ready.map((r) => ({ taskId: r.id, type: r.type, status: r.status, attempt: r.attempts, reason: 'dependencies succeeded', goalId: r.goal_id })));
    return ready.length;
  }

  /** Hands leases back: the task is queued again and the attempt is not counted. */
  async release(workerId: string, leases: LeaseRefV1[], reason: string): Promise<string[]> {
    return this.db.transaction(async (em) => {
      const rows: Array<{ id: string; type: string; attempts: number; goal_id: string | null }> = rowsOf(await em.query(
        `UPDATE dispatch.tasks t SET status = 'pending', attempts = greatest(t.attempts - 1, 0), claim_token = NULL,
           lease_expires_at = NULL, worker_id = NULL, reason = $4, updated_at = now()
         FROM unnest($1::uuid[], $2::uuid[]) AS i(id, token)
         WHERE t.id = i.id AND t.claim_token = i.token AND t.status = 'running' AND t.worker_id = $3
         RETURNING t.id, t.type, t.attempts, t.goal_id`,
        [leases.map((l) => l.taskId), leases.map((l) => l.claimToken), workerId, `released: ${reason}`],
      ));
      await recordTransitions(em, rows.map((r) => ({ taskId: r.id, type: r.type, status: 'pending' as const, attempt: r.attempts, workerId, reason: `released: ${reason}`, goalId: r.goal_id })));
      return rows.map((r) => r.id);
    });
  }

  /** Saves a running task's progress, only for the current lease holder. */
  async checkpoint(lease: LeaseRefV1, checkpoint: Record<string, unknown>): Promise<boolean> {
    const rows: unknown[] = rowsOf(await this.db.query(
      `UPDATE dispatch.tasks SET checkpoint = $3, updated_at = now() WHERE id = $1 AND claim_token = $2 AND status = 'running' RETURNING id`,
      [lease.taskId, lease.claimToken, JSON.stringify(checkpoint)],
    ));
    return rows.length > 0;
  }

  /**
   * Returns expired leases to the queue (status `failed`, claimable at once, the attempt counted)
   * or to `dead` when attempts are exhausted. SKIP LOCKED lets several replicas reap together.
   */
  async reap(): Promise<Transition[]> {
    return this.db.transaction(async (em) => {
      const rows: Array<{ id: string; type: string; status: TaskStatus; attempts: number; worker_id: string | null; goal_id: string | null; reason: string }> = rowsOf(await em.query(
        `WITH expired AS (
           SELECT id, worker_id FROM dispatch.tasks WHERE status = 'running' AND lease_expires_at < now()
           ORDER BY lease_expires_at LIMIT 1000 FOR UPDATE SKIP LOCKED
         )
         UPDATE dispatch.tasks t SET
           status = CASE WHEN t.attempts >= t.max_attempts THEN 'dead' ELSE 'failed' END,
           reason = CASE WHEN t.attempts >= t.max_attempts THEN 'attempts exhausted: lease expired on ' || coalesce(e.worker_id, '?')
                         ELSE 'lease expired on ' || coalesce(e.worker_id, '?') END,
           claim_token = NULL, lease_expires_at = NULL, run_at = now(), sort_key = t.sort_key, updated_at = now(),
           finished_at = CASE WHEN t.attempts >= t.max_attempts THEN now() ELSE NULL END
         FROM expired e WHERE t.id = e.id
         RETURNING t.id, t.type, t.status, t.attempts, e.worker_id, t.goal_id, t.reason`,
      ));
      const transitions = rows.map((r) => ({ taskId: r.id, type: r.type, status: r.status, attempt: r.attempts, workerId: r.worker_id, reason: r.reason, goalId: r.goal_id }));
      await recordTransitions(em, transitions);
      for (const d of rows.filter((r) => r.status === 'dead')) await cancelDependents(em, [d.id], `dependency ${d.id} died: ${d.reason}`);
      return transitions;
    });
  }
}

function finishOutcome(results: TaskResultV1[], rows: FinishedRow[], unblocked: number): FinishOutcome {
  const accepted = new Set(rows.map((r) => r.id));
  return {
    reply: {
      accepted: rows.map((r) => ({ taskId: r.id, status: r.status })),
      rejected: results.filter((r) => !accepted.has(r.taskId)).map((r) => ({ taskId: r.taskId, reason: 'stale claim token: the lease is no longer held' })),
    },
    runSeconds: rows.map((r) => ({ type: r.type, status: r.status, seconds: Number(r.run_seconds) })),
    unblocked,
  };
}
