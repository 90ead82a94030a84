import { Inject, Injectable } from '@nestjs/common';
import { type ApprovalV1, type BlockTaskV1, Subjects, type UnblockTasksV1 } from '@juggernaut/contracts';
import { Bus, Consume, Respond } from '@juggernaut/messaging';
import { LOGGER } from '@juggernaut/service-kit';
import type { Logger } from 'pino';
import { DispatchService } from '../dispatch.service';
import { BlockingRepository } from './blocking.repository';

/**
 * `juggernaut.task.block.v1` / `…task.unblock.v1` for runners, and the durable consumer of
 * `juggernaut.approval.decided.v1` that releases or fails the tasks waiting on an approval.
 */
@Injectable()
export class BlockingMessaging {
  constructor(
    private readonly bus: Bus,
    private readonly blocking: BlockingRepository,
    private readonly dispatch: DispatchService,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  @Respond(Subjects.taskBlock)
  async block(req: BlockTaskV1) {
    const blocked = await this.blocking.block(req);
    // The decision may have come before the task was parked: look once, so it never waits forever.
    if (blocked && req.approvalId) await this.catchUp(req.approvalId);
    return { blocked };
  }

  @Respond(Subjects.taskUnblock)
  async unblock(req: UnblockTasksV1) {
    const unblocked = await this.blocking.unblock(req.blockedOn, req.taskId);
    if (unblocked.length) this.dispatch.wake('blocked tasks released');
    return { unblocked };
  }

  @Consume(Subjects.approvalDecided, { durable: 'dispatch-approval-decided', concurrency: 4 })
  private async apply(a: ApprovalV1): Promise<void> {
    if (a.status === 'pending') return;
    const why =
      a.status === 'approved'
        ? `approval ${a.id} approved${a.decidedBy ? ` by ${a.decidedBy}` : ''}`
        : `approval ${a.id} ${a.status}${a.decisionReason ? `: ${a.decisionReason}` : ''}`;
    const moved = await this.blocking.decide(a.id, a.status, why);
    if (moved.some((m) => m.status === 'pending')) this.dispatch.wake('approval granted');
    if (moved.length)
      this.logger.info(
        { approvalId: a.id, status: a.status, tasks: moved.map((m) => m.id) },
        'approval decision applied',
      );
  }

  private async catchUp(approvalId: string): Promise<void> {
    try {
      await this.apply(await this.bus.request(Subjects.approvalGet, { id: approvalId }, 3_000));
    } catch (e) {
      this.logger.warn(
        { err: e, approvalId },
        'could not look up an approval; its decision event will release the task',
      );
    }
  }
}
