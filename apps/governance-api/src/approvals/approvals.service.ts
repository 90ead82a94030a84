import { ConflictException, ForbiddenException, Injectable, NotFoundException } from '@nestjs/common';
import { type ApprovalV1, type RequestApprovalV1, Subjects } from '@juggernaut/contracts';
import { currentCorrelationId, Metrics } from '@juggernaut/observability';
import { enqueueEvent, type Queryable } from '@juggernaut/persistence';
import { DataSource } from 'typeorm';
import { type AuditActor, AuditLog } from '../audit/audit-log';
import type { Caller } from '../auth/roles';
import { PoliciesService } from '../policies/policies.service';
import { ApprovalsRepository } from './approvals.repository';

export function actorName(a: AuditActor): string {
  return 'system' in a ? `system:${a.system}` : a.name;
}

/**
 * Approvals: a worker asks, a human decides, or the request expires. Nothing here ever approves on
 * its own: the only way to `approved` is `decide` with an admin or operator who is not the requester.
 * Each transition commits with its audit entry and its event (approval.requested / approval.decided).
 */
@Injectable()
export class ApprovalsService {
  constructor(
    private readonly db: DataSource,
    private readonly repo: ApprovalsRepository,
    private readonly policies: PoliciesService,
    private readonly audit: AuditLog,
    metrics: Metrics,
  ) {
    const store = this.repo;
    metrics.gauge('juggernaut_approvals_pending', 'Approvals waiting for a decision', [], async function () {
      this.set(await store.countPending());
    });
  }

  /** Asks for an approval; the same task, action and argument hash return the approval already asked for. */
  async request(input: RequestApprovalV1, by: AuditActor): Promise<ApprovalV1> {
    const { approvals } = await this.policies.current();
    return this.db.transaction(async (tx) => {
      const { approval, created } = await this.repo.request(input, actorName(by), approvals.ttlSeconds, tx);
      if (created) {
        await this.audit.record(
          {
            actor: by,
            action: 'approval.request',
            resourceType: 'approvals',
            resourceId: approval.id,
            after: approval,
          },
          tx,
        );
        await enqueueEvent(tx, 'governance', Subjects.approvalRequested, approval, currentCorrelationId());
      }
      return approval;
    });
  }

  async get(id: string): Promise<ApprovalV1> {
    const a = await this.repo.get(id);
    if (!a) throw new NotFoundException(`approval ${id} not found`);
    return a;
  }

  async decide(id: string, decision: 'approved' | 'rejected', by: Caller, reason: string | null): Promise<ApprovalV1> {
    return this.db.transaction(async (tx) => {
      const before = await this.repo.get(id, tx, true);
      if (!before) throw new NotFoundException(`approval ${id} not found`);
      if (before.status !== 'pending') throw new ConflictException(`approval ${id} is already ${before.status}`);
      if (Date.parse(before.expiresAt) <= Date.now()) throw new ConflictException(`approval ${id} has expired`);
      if ((await this.repo.requesterOf(id, tx)) === by.name)
        throw new ForbiddenException('an approval cannot be decided by the key that requested it');
      const after = await this.repo.decide(id, decision, by.name, reason, tx);
      if (!after) throw new ConflictException(`approval ${id} is no longer pending`);
      await this.recordDecision(
        tx,
        by,
        decision === 'approved' ? 'approval.approve' : 'approval.reject',
        before,
        after,
      );
      return after;
    });
  }

  /** Expires what is due; returns how many. Called by the expiry timer. */
  async expireDue(limit = 100): Promise<number> {
    return this.db.transaction(async (tx) => {
      const expired = await this.repo.expireDue(limit, tx);
      for (const a of expired) {
        await this.recordDecision(tx, { system: 'approval-expiry' }, 'approval.expire', { ...a, status: 'pending' }, a);
      }
      return expired.length;
    });
  }

  private async recordDecision(
    tx: Queryable,
    by: AuditActor,
    action: string,
    before: ApprovalV1,
    after: ApprovalV1,
  ): Promise<void> {
    await this.audit.record({ actor: by, action, resourceType: 'approvals', resourceId: after.id, before, after }, tx);
    await enqueueEvent(tx, 'governance', Subjects.approvalDecided, after, currentCorrelationId());
  }
}
