import { Injectable } from '@nestjs/common';
import {
  type BulkTasksV1,
  type CancelTaskV1,
  type CheckpointTaskV1,
  type ClaimTasksV1,
  type CountTasksV1,
  type CreateScheduleDto,
  type CreateTaskDto,
  type FinishTasksV1,
  type HeartbeatLeasesV1,
  type ListTasksV1,
  type PauseTaskTypeV1,
  type ReleaseTasksV1,
  type ScheduleNameV1,
  type SetTaskTypeLimitsV1,
  type SnoozeTaskV1,
  type SubmitTaskBatchV1,
  Subjects,
  type TaskIdV1,
  type TaskTypeNameV1,
} from '@juggernaut/contracts';
import { Respond } from '@juggernaut/messaging';
import { DispatchService } from './dispatch.service';
import { TypeLimitsRepository } from './limits/type-limits.repository';
import { LeasesRepository } from './claiming/leases.repository';
import { QueueClock } from './scheduling/queue-clock';
import { SchedulesRepository } from './scheduling/schedules.repository';
import { RetentionPruner } from './retention/retention';
import { BulkOperations } from './tasks/bulk-operations';
import { TaskError } from './tasks/task-errors';

/**
 * Every dispatcher operation on NATS request/reply, in the `task-dispatcher` queue group. On SIGTERM
 * the service kit drains them: no new requests, and every one already received is answered.
 */
@Injectable()
export class DispatchMessaging {
  constructor(
    private readonly dispatch: DispatchService,
    private readonly leases: LeasesRepository,
    private readonly schedules: SchedulesRepository,
    private readonly limits: TypeLimitsRepository,
    private readonly clock: QueueClock,
    private readonly bulk: BulkOperations,
    private readonly retention: RetentionPruner,
  ) {}

  @Respond(Subjects.taskSubmit)
  async submit(dto: CreateTaskDto) {
    const reply = await this.dispatch.submit(dto);
    if (reply.status === 'scheduled') this.clock.recheck();
    return reply;
  }

  // The runners' hot path: flat request classes, checked by the cheaper validator.
  @Respond(Subjects.taskClaim, { flatPayload: true })
  claim(req: ClaimTasksV1) {
    return this.dispatch.claim(req);
  }

  @Respond(Subjects.taskHeartbeat)
  heartbeat(req: HeartbeatLeasesV1) {
    return this.dispatch.heartbeat(req);
  }

  @Respond(Subjects.taskFinish, { flatPayload: true })
  async finish(req: FinishTasksV1) {
    const reply = await this.dispatch.finish(req);
    // A retry waits out its backoff: the timer is armed for it (it would otherwise find it at its longest sleep).
    if (reply.accepted.some((a) => a.status === 'failed' && !a.alreadyDone)) this.clock.recheck();
    return reply;
  }

  @Respond(Subjects.taskRelease)
  release(req: ReleaseTasksV1) {
    return this.dispatch.release(req);
  }

  @Respond(Subjects.taskCheckpoint)
  async checkpoint(req: CheckpointTaskV1) {
    return { saved: await this.leases.checkpoint(req, req.checkpoint) };
  }

  @Respond(Subjects.taskGet)
  get(req: TaskIdV1) {
    return this.dispatch.get(req.id);
  }

  @Respond(Subjects.taskList)
  list(req: ListTasksV1) {
    return this.dispatch.list(req);
  }

  @Respond(Subjects.taskCount)
  count(req: CountTasksV1) {
    return this.dispatch.countByGoal(req.goalId);
  }

  @Respond(Subjects.taskCancel)
  cancel(req: CancelTaskV1) {
    return this.dispatch.cancel(req.id, req.reason ?? `cancelled by ${req.by ?? 'a caller'}`);
  }

  @Respond(Subjects.taskRetry)
  retry(req: TaskIdV1) {
    return this.dispatch.retry(req.id);
  }

  @Respond(Subjects.scheduleCreate)
  async createSchedule(req: CreateScheduleDto) {
    const s = await this.schedules.create(req);
    this.clock.recheck();
    return s;
  }

  @Respond(Subjects.scheduleList)
  listSchedules() {
    return this.schedules.list();
  }

  @Respond(Subjects.scheduleDelete)
  async deleteSchedule(req: ScheduleNameV1) {
    return { deleted: await this.schedules.delete(req.name) };
  }

  @Respond(Subjects.taskTypeLimitsSet)
  setLimits(req: SetTaskTypeLimitsV1) {
    return this.limits.set(req);
  }

  @Respond(Subjects.taskTypeLimitsList)
  listLimits() {
    return this.limits.list();
  }

  @Respond(Subjects.taskTypePause)
  pauseType(req: PauseTaskTypeV1) {
    return this.limits.pause(req.type, req.reason);
  }

  @Respond(Subjects.taskTypeResume)
  async resumeType(req: TaskTypeNameV1) {
    const view = await this.limits.resume(req.type);
    if (!view) throw new TaskError(404, `task type ${req.type} is not paused`);
    this.dispatch.wake('task type resumed');
    return view;
  }

  @Respond(Subjects.taskSubmitBatch)
  async submitBatch(req: SubmitTaskBatchV1) {
    const reply = await this.dispatch.submitBatch(req.tasks);
    if (reply.results.some((r) => r.status === 'scheduled')) this.clock.recheck();
    return reply;
  }

  @Respond(Subjects.taskCancelBulk)
  cancelBulk(req: BulkTasksV1) {
    return this.bulk.cancel(req);
  }

  @Respond(Subjects.taskRetryBulk)
  retryBulk(req: BulkTasksV1) {
    return this.bulk.retry(req);
  }

  @Respond(Subjects.taskSnooze)
  async snooze(req: SnoozeTaskV1) {
    const reply = await this.dispatch.snooze(req);
    if (reply.snoozed) this.clock.recheck();
    return reply;
  }

  @Respond(Subjects.taskRetentionGet)
  retentionStatus() {
    return this.retention.status();
  }
}
