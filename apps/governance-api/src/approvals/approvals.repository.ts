import { Injectable } from '@nestjs/common';
import type { ApprovalStatus, ApprovalV1, RequestApprovalV1 } from '@juggernaut/contracts';
import { type Cursor, type Narrow, type Queryable, rowsOf } from '@juggernaut/persistence';
import { DataSource } from 'typeorm';
import type { GovernanceApprovals } from '../db/schema.generated';

type ApprovalRow = Narrow<GovernanceApprovals, { status: ApprovalStatus; args: Record<string, unknown> }>;

export interface ApprovalFilter {
  status?: ApprovalStatus;
  action?: string;
  taskId?: string;
  workerId?: string;
}

export function toApproval(r: ApprovalRow): ApprovalV1 {
  return {
    id: r.id,
    status: r.status,
    action: r.action,
    argsHash: r.args_hash,
    args: r.args,
    ...(r.task_id ? { taskId: r.task_id } : {}),
    ...(r.worker_id ? { workerId: r.worker_id } : {}),
    ...(r.amount_minor !== null ? { amountMinor: Number(r.amount_minor) } : {}),
    ...(r.reason ? { reason: r.reason } : {}),
    ...(r.decided_by ? { decidedBy: r.decided_by } : {}),
    ...(r.decision_reason ? { decisionReason: r.decision_reason } : {}),
    expiresAt: r.expires_at.toISOString(),
    createdAt: r.created_at.toISOString(),
    ...(r.decided_at ? { decidedAt: r.decided_at.toISOString() } : {}),
  };
}

@Injectable()
export class ApprovalsRepository {
  constructor(private readonly db: DataSource) {}

  /** Inserts a pending approval, or returns the one already requested for the same task, action and hash. */
  async request(
    a: RequestApprovalV1,
    requestedBy: string,
    ttlSeconds: number,
    tx: Queryable,
  ): Promise<{ approval: ApprovalV1; created: boolean }> {
    const inserted = (await tx.query(
      `INSERT INTO governance.approvals (action, args_hash, args, task_id, worker_id, amount_minor, reason, requested_by, expires_at)
       VALUES ($1, $2, $3::jsonb, $4, $5, $6, $7, $8, now() + make_interval(secs => $9))
       ON CONFLICT (coalesce(task_id::text, ''), action, args_hash) DO NOTHING RETURNING *`,
      [
        a.action,
        a.argsHash,
        JSON.stringify(a.args),
        a.taskId ?? null,
        a.workerId ?? null,
        a.amountMinor ?? null,
        a.reason,
        requestedBy,
        ttlSeconds,
      ],
    )) as ApprovalRow[];
    if (inserted[0]) return { approval: toApproval(inserted[0]), created: true };
    const existing = (await tx.query(
      `SELECT * FROM governance.approvals WHERE coalesce(task_id::text, '') = $1 AND action = $2 AND args_hash = $3`,
      [a.taskId ?? '', a.action, a.argsHash],
    )) as ApprovalRow[];
    return { approval: toApproval(existing[0]!), created: false };
  }

  async get(id: string, tx: Queryable = this.db, forUpdate = false): Promise<ApprovalV1 | undefined> {
    const rows = (await tx.query(`SELECT * FROM governance.approvals WHERE id = $1${forUpdate ? ' FOR UPDATE' : ''}`, [
      id,
    ])) as ApprovalRow[];
    return rows[0] ? toApproval(rows[0]) : undefined;
  }

  async requesterOf(id: string, tx: Queryable): Promise<string | undefined> {
    const rows = (await tx.query(`SELECT requested_by FROM governance.approvals WHERE id = $1`, [id])) as Array<
      Pick<GovernanceApprovals, 'requested_by'>
    >;
    return rows[0]?.requested_by;
  }

  /** Decides a pending approval that has not yet expired; undefined when it is not (or no longer) pending. */
  async decide(
    id: string,
    status: 'approved' | 'rejected',
    by: string,
    reason: string | null,
    tx: Queryable,
  ): Promise<ApprovalV1 | undefined> {
    const rows: ApprovalRow[] = rowsOf(
      await tx.query(
        `UPDATE governance.approvals SET status = $2, decided_by = $3, decision_reason = $4, decided_at = now()
       WHERE id = $1 AND status = 'pending' AND expires_at > now() RETURNING *`,
        [id, status, by, reason],
      ),
    );
    return rows[0] ? toApproval(rows[0]) : undefined;
  }

  /** Expires pending approvals past their time; replicas share the work through SKIP LOCKED. */
  async expireDue(limit: number, tx: Queryable): Promise<ApprovalV1[]> {
    const rows: ApprovalRow[] = rowsOf(
      await tx.query(
        `UPDATE governance.approvals SET status = 'expired', decided_by = 'system:approval-expiry', decision_reason = 'not decided before it expired', decided_at = now()
       WHERE id IN (SELECT id FROM governance.approvals WHERE status = 'pending' AND expires_at <= now()
                    ORDER BY expires_at LIMIT $1 FOR UPDATE SKIP LOCKED)
       RETURNING *`,
        [limit],
      ),
    );
    return rows.map(toApproval);
  }

  async list(f: ApprovalFilter, limit: number, after?: Cursor): Promise<ApprovalV1[]> {
    const rows = (await this.db.query(
      `SELECT * FROM governance.approvals
       WHERE ($1::text IS NULL OR status = $1) AND ($2::text IS NULL OR action = $2)
         AND ($3::uuid IS NULL OR task_id = $3) AND ($4::text IS NULL OR worker_id = $4)
         AND ($5::timestamptz IS NULL OR (created_at, id) < ($5::timestamptz, $6::uuid))
       ORDER BY created_at DESC, id DESC LIMIT $7`,
      [
        f.status ?? null,
        f.action ?? null,
        f.taskId ?? null,
        f.workerId ?? null,
        after?.at ?? null,
        after?.id ?? null,
        limit,
      ],
    )) as ApprovalRow[];
    return rows.map(toApproval);
  }

  async countPending(): Promise<number> {
    const [r] = (await this.db.query(
      `SELECT count(*)::int AS n FROM governance.approvals WHERE status = 'pending'`,
    )) as Array<{ n: number }>;
    return r!.n;
  }
}
