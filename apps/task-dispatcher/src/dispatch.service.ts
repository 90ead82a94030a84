import { Inject, Injectable } from '@nestjs/common';
import {
  type ClaimedTaskV1, type ClaimTasksV1, type CreateTaskDto, type FinishReplyV1, type FinishTasksV1, type HeartbeatLeasesV1,
  type HeartbeatReplyV1, type ListTasksV1, type ReleaseTasksV1, Subjects, type TaskHistoryEntryV1, type TaskPageV1,
  type TaskCountsV1, type TaskSubmitReplyV1, type TaskViewV1,
} from '@juggernaut/contracts';
import { Bus } from '@juggernaut/messaging';
import { encodeCursor } from '@juggernaut/persistence';
import { LOGGER } from '@juggernaut/service-kit';
import type { Logger } from 'pino';
import { LeasesRepository } from './claiming/leases.repository';
import { DispatchMetrics } from './dispatch-metrics';
import { DispatchPolicy } from './policy/dispatch-policy';
import { TaskError } from './tasks/task-errors';
import { toTaskView } from './tasks/task-row';
import { TasksRepository } from './tasks/tasks.repository';

/** The dispatcher's use cases, reached from NATS (and through governance-api, from REST). */
@Injectable()
export class DispatchService {
  constructor(
    private readonly tasks: TasksRepository,
    private readonly leases: LeasesRepository,
    private readonly metrics: DispatchMetrics,
    private readonly bus: Bus,
    private readonly policy: DispatchPolicy,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async submit(dto: CreateTaskDto): Promise<TaskSubmitReplyV1> {
    if (dto.runAt && Number.isNaN(Date.parse(dto.runAt))) throw new TaskError(400, 'runAt must be an ISO 8601 time');
    const { row, created } = await this.tasks.create(dto);
    if (created) {
      this.metrics.created.inc({ type: row.type });
      if (row.status === 'pending') this.wake('task created');
    }
    return { id: row.id, status: row.status };
  }

  async claim(req: ClaimTasksV1): Promise<{ tasks: ClaimedTaskV1[] }> {
    // The kill switch and per-type minimum levels narrow what this worker may claim (maybe to nothing).
    const types = this.policy.claimableTypes(req.types, req.level);
    if (types.length === 0) return { tasks: [] };
    const { tasks, pickupSeconds } = await this.leases.claim({ ...req, types });
    for (const s of pickupSeconds) this.metrics.pickup.observe(s);
    if (tasks.length) this.metrics.claimed.inc(tasks.length);
    return { tasks };
  }

  heartbeat(req: HeartbeatLeasesV1): Promise<HeartbeatReplyV1> {
    return this.leases.heartbeat(req.workerId, req.leases);
  }

  async finish(req: FinishTasksV1): Promise<FinishReplyV1> {
    const { reply, runSeconds, unblocked } = await this.leases.finish(req.workerId, req.results);
    for (const r of runSeconds) {
      this.metrics.runDuration.observe({ type: r.type, outcome: r.status }, r.seconds);
      this.metrics.completed.inc({ type: r.type, outcome: r.status });
    }
    if (unblocked > 0 || runSeconds.some((r) => r.status === 'failed')) this.wake('tasks became claimable');
    if (reply.rejected.length) this.logger.warn({ workerId: req.workerId, rejected: reply.rejected.length }, 'stale completions rejected');
    return reply;
  }

  async release(req: ReleaseTasksV1): Promise<{ released: string[] }> {
    const released = await this.leases.release(req.workerId, req.leases, req.reason);
    if (released.length) this.wake('tasks released');
    return { released };
  }

  async get(id: string): Promise<TaskViewV1 & { history: TaskHistoryEntryV1[] }> {
    const row = await this.tasks.get(id);
    if (!row) throw new TaskError(404, `task ${id} not found`);
    return { ...toTaskView(row), history: await this.tasks.history(id) };
  }

  async list(q: ListTasksV1): Promise<TaskPageV1> {
    const limit = q.limit ?? 50;
    const rows = await this.tasks.list({ ...q, limit });
    const last = rows.length > limit ? rows[limit - 1] : undefined;
    return { items: rows.slice(0, limit).map(toTaskView), nextCursor: last ? encodeCursor(last.created_at, last.id) : null };
  }

  countByGoal(goalId: string): Promise<TaskCountsV1> {
    return this.tasks.countByGoal(goalId);
  }

  async cancel(id: string, reason: string): Promise<TaskViewV1> {
    const { row, wasRunning } = await this.tasks.cancel(id, reason);
    if (wasRunning) this.bus.signal(Subjects.taskAbort, { taskId: id, workerId: wasRunning.workerId, reason });
    return toTaskView(row);
  }

  async retry(id: string): Promise<TaskViewV1> {
    const row = await this.tasks.retry(id);
    if (row.status === 'pending') this.wake('task redriven');
    return toTaskView(row);
  }

  /** Tells idle runners there is work; a lost wake-up is covered by their polling fallback. */
  wake(reason: string): void {
    this.bus.signal(Subjects.runnerWake, { reason });
  }
}
