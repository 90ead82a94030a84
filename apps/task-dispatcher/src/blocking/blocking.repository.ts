import { Injectable } from '@nestjs/common';
import type { BlockTaskV1, TaskStatus } from '@juggernaut/contracts';
import { rowsOf } from '@juggernaut/persistence';
import { DataSource } from 'typeorm';
import { cancelDependents } from '../tasks/tasks.repository';
import { recordTransitions } from '../tasks/transitions';

interface Moved {
  id: string;
  type: string;
  status: TaskStatus;
  attempts: number;
  goal_id: string | null;
  reason: string | null;
}

/**
 * Parking tasks that wait for something outside the queue (a human's approval, a model, more
 * budget) and releasing them when it comes. Blocking is fenced by the claim token like every
 * other write of a runner, and does not burn the attempt.
 */
@Injectable()
export class BlockingRepository {
  constructor(private readonly db: DataSource) {}

  async block(req: BlockTaskV1): Promise<boolean> {
    return this.db.transaction(async (em) => {
      const rows: Moved[] = rowsOf(
        await em.query(
          `UPDATE dispatch.tasks SET status = 'blocked', attempts = greatest(attempts - 1, 0), claim_token = NULL, lease_expires_at = NULL,
           worker_id = NULL, reason = $4, blocked_on = $5, approval_id = $6, updated_at = now()
         WHERE id = $1 AND claim_token = $2 AND status = 'running' AND worker_id = $3
         RETURNING id, type, status, attempts, goal_id, reason`,
          [req.taskId, req.claimToken, req.workerId, req.reason, req.blockedOn, req.approvalId ?? null],
        ),
      );
      await recordTransitions(
        em,
        rows.map((r) => ({
          taskId: r.id,
          type: r.type,
          status: r.status,
          attempt: r.attempts,
          workerId: req.workerId,
          reason: r.reason,
          goalId: r.goal_id,
        })),
      );
      return rows.length > 0;
    });
  }

  /**
   * Applies an approval's decision to the task waiting on it: approved → pending (it resumes from
   * its checkpoint), rejected or expired → dead with the reason (and its dependents cancelled).
   * A decision for a task not (or no longer) waiting on that approval changes nothing.
   */
  async decide(approvalId: string, status: 'approved' | 'rejected' | 'expired', why: string): Promise<Moved[]> {
    return this.db.transaction(async (em) => {
      const approved = status === 'approved';
      const rows: Moved[] = rowsOf(
        await em.query(
          `UPDATE dispatch.tasks SET
           status = CASE WHEN $2 THEN 'pending' ELSE 'dead' END,
           reason = $3, blocked_on = NULL, approval_id = NULL, updated_at = now(),
           run_at = CASE WHEN $2 THEN now() ELSE run_at END,
           finished_at = CASE WHEN $2 THEN NULL ELSE now() END
         WHERE approval_id = $1 AND status = 'blocked'
         RETURNING id, type, status, attempts, goal_id, reason`,
          [approvalId, approved, why],
        ),
      );
      await recordTransitions(
        em,
        rows.map((r) => ({
          taskId: r.id,
          type: r.type,
          status: r.status,
          attempt: r.attempts,
          reason: r.reason,
          goalId: r.goal_id,
        })),
      );
      if (!approved) for (const r of rows) await cancelDependents(em, [r.id], `dependency ${r.id} died: ${why}`);
      return rows;
    });
  }

  /** Releases tasks blocked on a condition that no longer holds (a model is configured, a budget was raised). */
  async unblock(blockedOn: 'model' | 'budget', taskId?: string): Promise<string[]> {
    return this.db.transaction(async (em) => {
      const rows: Moved[] = rowsOf(
        await em.query(
          `UPDATE dispatch.tasks SET status = 'pending', reason = $2, blocked_on = NULL, run_at = now(), updated_at = now()
         WHERE status = 'blocked' AND blocked_on = $1 AND ($3::uuid IS NULL OR id = $3)
         RETURNING id, type, status, attempts, goal_id, reason`,
          [blockedOn, `unblocked: ${blockedOn} available`, taskId ?? null],
        ),
      );
      await recordTransitions(
        em,
        rows.map((r) => ({
          taskId: r.id,
          type: r.type,
          status: r.status,
          attempt: r.attempts,
          reason: r.reason,
          goalId: r.goal_id,
        })),
      );
      return rows.map((r) => r.id);
    });
  }
}
