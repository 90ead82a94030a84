import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { type ApprovalV1, Subjects } from '@juggernaut/contracts';
import { Bus, type ConsumerHandle } from '@juggernaut/messaging';
import { LOGGER } from '@juggernaut/service-kit';
import type { Subscription } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import { DispatchService } from '../dispatch.service';
import { BlockingRepository } from './blocking.repository';

/**
 * `juggernaut.task.block.v1` / `…task.unblock.v1` for runners, and the durable consumer of
 * `juggernaut.approval.decided.v1` that releases or fails the tasks waiting on an approval.
 */
@Injectable()
export class BlockingMessaging implements OnApplicationBootstrap, OnModuleDestroy {
  private subs: Subscription[] = [];
  private consumer?: ConsumerHandle;

  constructor(
    private readonly bus: Bus,
    private readonly blocking: BlockingRepository,
    private readonly dispatch: DispatchService,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.subs = [
      this.bus.respond(Subjects.taskBlock, async (req) => {
        const blocked = await this.blocking.block(req);
        // The decision may have come before the task was parked: look once, so it never waits forever.
        if (blocked && req.approvalId) await this.catchUp(req.approvalId);
        return { blocked };
      }),
      this.bus.respond(Subjects.taskUnblock, async (req) => {
        const unblocked = await this.blocking.unblock(req.blockedOn, req.taskId);
        if (unblocked.length) this.dispatch.wake('blocked tasks released');
        return { unblocked };
      }),
    ];
    this.consumer = await this.bus.consume(
      Subjects.approvalDecided,
      { durable: 'dispatch-approval-decided', concurrency: 4 },
      (a) => this.apply(a),
    );
  }

  async onModuleDestroy(): Promise<void> {
    await Promise.all(this.subs.map((s) => s.drain().catch(() => undefined)));
    await this.consumer?.stop();
  }

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
