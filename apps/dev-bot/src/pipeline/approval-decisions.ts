import { Inject, Injectable } from '@nestjs/common';
import { type ApprovalV1, Subjects } from '@juggernaut/contracts';
import { Consume } from '@juggernaut/messaging';
import { LOGGER } from '@juggernaut/service-kit';
import type { Logger } from 'pino';
import { ChangesRepository } from '../changes/changes.repository';
import { ChangePipeline } from './change-pipeline';

/**
 * A merge approval turned down (rejected or expired) ends its change as rejected at once: the
 * dispatcher fails the waiting task, so no worker would come back to it. An approval granted
 * needs nothing here: the dispatcher releases the task and a worker merges.
 */
@Injectable()
export class ApprovalDecisions {
  constructor(
    private readonly changes: ChangesRepository,
    private readonly pipeline: ChangePipeline,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  @Consume(Subjects.approvalDecided, { durable: 'devbot-approval-decided', concurrency: 2, deliverPolicy: 'new' })
  async apply(a: ApprovalV1): Promise<void> {
    if (a.action !== 'merge:change' || a.status === 'approved' || a.status === 'pending') return;
    const change = await this.changes.findByApproval(a.id);
    if (!change || change.status !== 'awaiting_approval') return;
    const reason = `approval ${a.id} was ${a.status}${a.decidedBy ? ` by ${a.decidedBy}` : ''}${a.decisionReason ? `: ${a.decisionReason}` : ''}`;
    if (await this.pipeline.close(change.id, 'rejected', reason))
      this.logger.info({ changeId: change.id, approvalId: a.id }, 'change rejected by its approval');
  }
}
