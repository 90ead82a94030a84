import { Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { Subjects } from '@juggernaut/contracts';
import { Bus } from '@juggernaut/messaging';
import type { Subscription } from '@nats-io/transport-node';
import { DispatchService } from './dispatch.service';
import { TypeLimitsRepository } from './limits/type-limits.repository';
import { LeasesRepository } from './claiming/leases.repository';
import { QueueClock } from './scheduling/queue-clock';
import { SchedulesRepository } from './scheduling/schedules.repository';
import { RetentionPruner } from './retention/retention';
import { BulkOperations } from './tasks/bulk-operations';
import { TaskError } from './tasks/task-errors';

/** Every dispatcher operation on NATS request/reply, in the `task-dispatcher` queue group. */
@Injectable()
export class DispatchMessaging implements OnApplicationBootstrap, OnModuleDestroy {
  private subs: Subscription[] = [];

  constructor(
    private readonly bus: Bus,
    private readonly dispatch: DispatchService,
    private readonly leases: LeasesRepository,
    private readonly schedules: SchedulesRepository,
    private readonly limits: TypeLimitsRepository,
    private readonly clock: QueueClock,
    private readonly bulk: BulkOperations,
    private readonly retention: RetentionPruner,
  ) {}

  onApplicationBootstrap(): void {
    const b = this.bus;
    this.subs = [
      b.respond(Subjects.taskSubmit, async (dto) => {
        const reply = await this.dispatch.submit(dto);
        if (reply.status === 'scheduled') this.clock.recheck();
        return reply;
      }),
      b.respond(Subjects.taskClaim, (req) => this.dispatch.claim(req)),
      b.respond(Subjects.taskHeartbeat, (req) => this.dispatch.heartbeat(req)),
      b.respond(Subjects.taskFinish, (req) => this.dispatch.finish(req)),
      b.respond(Subjects.taskRelease, (req) => this.dispatch.release(req)),
      b.respond(Subjects.taskCheckpoint, async (req) => ({ saved: await this.leases.checkpoint(req, req.checkpoint) })),
      b.respond(Subjects.taskGet, (req) => this.dispatch.get(req.id)),
      b.respond(Subjects.taskList, (req) => this.dispatch.list(req)),
      b.respond(Subjects.taskCount, (req) => this.dispatch.countByGoal(req.goalId)),
      b.respond(Subjects.taskCancel, (req) =>
        this.dispatch.cancel(req.id, req.reason ?? `cancelled by ${req.by ?? 'a caller'}`),
      ),
      b.respond(Subjects.taskRetry, (req) => this.dispatch.retry(req.id)),
      b.respond(Subjects.scheduleCreate, async (req) => {
        const s = await this.schedules.create(req);
        this.clock.recheck();
        return s;
      }),
      b.respond(Subjects.scheduleList, () => this.schedules.list()),
      b.respond(Subjects.scheduleDelete, async (req) => ({ deleted: await this.schedules.delete(req.name) })),
      b.respond(Subjects.taskTypeLimitsSet, (req) => this.limits.set(req)),
      b.respond(Subjects.taskTypeLimitsList, () => this.limits.list()),
      b.respond(Subjects.taskTypePause, (req) => this.limits.pause(req.type, req.reason)),
      b.respond(Subjects.taskTypeResume, async (req) => {
        const view = await this.limits.resume(req.type);
        if (!view) throw new TaskError(404, `task type ${req.type} is not paused`);
        this.dispatch.wake('task type resumed');
        return view;
      }),
      b.respond(Subjects.taskSubmitBatch, async (req) => {
        const reply = await this.dispatch.submitBatch(req.tasks);
        if (reply.results.some((r) => r.status === 'scheduled')) this.clock.recheck();
        return reply;
      }),
      b.respond(Subjects.taskCancelBulk, (req) => this.bulk.cancel(req)),
      b.respond(Subjects.taskRetryBulk, (req) => this.bulk.retry(req)),
      b.respond(Subjects.taskSnooze, async (req) => {
        const reply = await this.dispatch.snooze(req);
        if (reply.snoozed) this.clock.recheck();
        return reply;
      }),
      b.respond(Subjects.taskRetentionGet, async () => this.retention.status()),
    ];
  }

  /** SIGTERM: stop taking requests but answer every one already received (drain, not unsubscribe). */
  async onModuleDestroy(): Promise<void> {
    await Promise.all(this.subs.map((s) => s.drain().catch(() => undefined)));
  }
}
