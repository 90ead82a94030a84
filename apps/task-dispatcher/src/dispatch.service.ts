import { randomUUID } from 'node:crypto';
import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import {
  type ClaimedTaskV1,
  type ClaimTasksV1,
  type CreateTaskDto,
  type FinishReplyV1,
  type FinishTasksV1,
  type HeartbeatLeasesV1,
  type HeartbeatReplyV1,
  type LeaseRefV1,
  type ListTasksV1,
  type ReleaseTasksV1,
  type SignalSubjectMap,
  Subjects,
  type TaskHistoryEntryV1,
  type TaskPageV1,
  cutText,
  type SnoozeTaskV1,
  type TaskBatchReplyV1,
  type TaskCountsV1,
  TaskResultV1,
  type TaskSubmitReplyV1,
  type TaskViewV1,
} from '@juggernaut/contracts';
import { Bus, validateFlatPayload } from '@juggernaut/messaging';
import { encodeCursor } from '@juggernaut/persistence';
import { LOGGER } from '@juggernaut/service-kit';
import type { Subscription } from '@nats-io/transport-node';
import { isUUID } from 'class-validator';
import type { Logger } from 'pino';
import { claimBudgetLeftMs, claimBudgetMs } from './claiming/claim-budget';
import { ClaimTooLateError, LeasesRepository } from './claiming/leases.repository';
import { ParkedClaims } from './claiming/parked-claims';
import { DispatchMetrics } from './dispatch-metrics';
import { DispatchPolicy } from './policy/dispatch-policy';
import { TaskError } from './tasks/task-errors';
import { toTaskView } from './tasks/task-row';
import { type CreateOutcome, submissionProblem, TasksRepository } from './tasks/tasks.repository';

/** The dispatcher's use cases, reached from NATS (and through governance-api, from REST). */
@Injectable()
export class DispatchService implements OnApplicationBootstrap, OnModuleDestroy {
  /** Claims that found nothing, held until work arrives (a claim with `waitMs`). */
  private readonly parked = new ParkedClaims((req, receivedAt) => this.claimNow(req, receivedAt));
  /** Names this replica in its signals to the others (wake-ups, hand-backs, presence). */
  readonly origin = randomUUID();
  private wakes?: Subscription;
  private handBacks?: Subscription;

  constructor(
    private readonly tasks: TasksRepository,
    private readonly leases: LeasesRepository,
    private readonly metrics: DispatchMetrics,
    private readonly bus: Bus,
    private readonly policy: DispatchPolicy,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** Claims held here now, waiting for work. */
  get heldClaims(): number {
    return this.parked.size;
  }

  async submit(dto: CreateTaskDto): Promise<TaskSubmitReplyV1> {
    const problem = submissionProblem(dto);
    if (problem) throw new TaskError(400, problem);
    const handed = await this.handOff(dto);
    if (handed) {
      this.metrics.created.inc({ type: handed.row.type });
      // Answered with the state it was created in, as every submission is (its history shows both).
      return { ...replyOf(handed), status: 'pending' };
    }
    const outcome = await this.tasks.create(dto);
    this.afterCreate([outcome]);
    return replyOf(outcome);
  }

  /**
   * A task due now, without dependencies or a unique key, goes straight to a claim held here that
   * may take it (its types, level, capabilities and the policy), in the statement that creates it:
   * one write and no wake-up between submission and runner. Undefined when no held claim fits or
   * the task must take the queue's path (a paused or limited type, a used idempotency key, a claim
   * out of time); the held claim then stays held.
   */
  private async handOff(dto: CreateTaskDto): Promise<CreateOutcome | undefined> {
    if (this.parked.size === 0 || dto.runAt !== undefined || dto.dependsOn?.length || dto.uniqueKey) return undefined;
    const level = dto.requiredLevel ?? 1;
    const capabilities = dto.requiredCapabilities ?? [];
    let outcome: CreateOutcome | undefined;
    await this.parked.handOff(
      (req) =>
        req.types.includes(dto.type) &&
        req.level >= level &&
        capabilities.every((c) => req.capabilities.includes(c)) &&
        this.policy.claimableTypes([dto.type], req.level).length > 0,
      async (req, receivedAt) => {
        const budgetMs = claimBudgetLeftMs(req.timeoutMs, receivedAt, performance.now());
        if (budgetMs !== undefined && budgetMs <= 0) return undefined;
        try {
          const handed = await this.leases.handOff(dto, req, budgetMs);
          if (!handed) return undefined;
          outcome = { row: handed.row, created: true };
          this.metrics.pickup.observe(0);
          this.metrics.claimed.inc();
          return { tasks: [handed.task] };
        } catch (e) {
          if (!(e instanceof ClaimTooLateError)) throw e;
          this.metrics.claimsTooLate.inc();
          return undefined;
        }
      },
    );
    return outcome;
  }

  /** Up to 1,000 tasks in one transaction; an invalid one refuses the batch, naming it. */
  async submitBatch(dtos: CreateTaskDto[]): Promise<TaskBatchReplyV1> {
    const problems = dtos.map((d, i) => ({ i, problem: submissionProblem(d) })).filter((p) => p.problem);
    if (problems.length) throw new TaskError(400, problems.map((p) => `tasks.${p.i}: ${p.problem}`).join('; '));
    const outcomes = await this.tasks.createBatch(dtos);
    this.afterCreate(outcomes);
    return { results: outcomes.map(replyOf) };
  }

  private afterCreate(outcomes: CreateOutcome[]): void {
    let ready = false;
    for (const o of outcomes) {
      if (o.created) this.metrics.created.inc({ type: o.row.type });
      if ((o.created || o.replaced) && o.row.status === 'pending') ready = true;
    }
    if (ready) this.wake('task created');
  }

  /**
   * `receivedAt` (performance.now() when the request arrived) and the requester's `timeoutMs` give
   * the claim its time budget: what cannot be committed well before the requester gives up is
   * rolled back and answered empty, so no lease goes to a runner that is no longer listening.
   */
  async claim(req: ClaimTasksV1, receivedAt = performance.now()): Promise<{ tasks: ClaimedTaskV1[] }> {
    // A claim its runner already handed back (it stopped waiting for the answer) leases nothing.
    if (this.parked.gaveUp(req.claimId)) return { tasks: [] };
    const reply = await this.parked.track(req.claimId, this.claimNow(req, receivedAt));
    if (reply.tasks.length > 0 || !req.waitMs) return reply;
    // Nothing to claim: with `waitMs`, held until work arrives (answered at submit time) or the wait is up.
    const budgetMs = req.timeoutMs === undefined ? undefined : claimBudgetMs(req.timeoutMs);
    const holdMs = ParkedClaims.holdMs(req, budgetMs);
    if (holdMs <= 0 || this.policy.claimableTypes(req.types, req.level).length === 0) return reply;
    return this.parked.park(req, receivedAt, receivedAt + holdMs);
  }

  /**
   * Work that arrived at another replica wakes the claims held here too: a runner's claim waits at
   * whichever replica its request reached, and that replica learns of the work by the wake signal.
   */
  onApplicationBootstrap(): void {
    this.wakes = this.bus.listen(Subjects.runnerWake, (signal) => {
      if (signal.origin !== this.origin) this.parked.wake();
    });
    this.handBacks = this.bus.listen(Subjects.claimsHandedBack, (signal) => this.handedBackElsewhere(signal));
  }

  /** Answers held claims empty: the dispatcher is stopping (their runners claim again elsewhere). */
  onModuleDestroy(): void {
    this.wakes?.unsubscribe();
    this.handBacks?.unsubscribe();
    this.parked.close();
  }

  private async claimNow(req: ClaimTasksV1, receivedAt: number): Promise<{ tasks: ClaimedTaskV1[] }> {
    // The kill switch, a policy not known yet and per-type minimum levels narrow what this worker may claim (maybe to nothing).
    const types = this.policy.claimableTypes(req.types, req.level);
    if (types.length === 0) return { tasks: [] };
    const budgetMs = claimBudgetLeftMs(req.timeoutMs, receivedAt, performance.now());
    if (budgetMs !== undefined && budgetMs <= 0) {
      this.metrics.claimsTooLate.inc();
      return { tasks: [] };
    }
    try {
      const { tasks, pickupSeconds } = await this.leases.claim({ ...req, types }, budgetMs);
      for (const s of pickupSeconds) this.metrics.pickup.observe(s);
      if (tasks.length) this.metrics.claimed.inc(tasks.length);
      return { tasks };
    } catch (e) {
      if (!(e instanceof ClaimTooLateError)) throw e;
      this.metrics.claimsTooLate.inc();
      this.logger.warn(
        { workerId: req.workerId, budgetMs },
        'claim rolled back: it could not commit before the runner stops waiting',
      );
      return { tasks: [] };
    }
  }

  heartbeat(req: HeartbeatLeasesV1): Promise<HeartbeatReplyV1> {
    return this.leases.heartbeat(req.workerId, req.leases);
  }

  async finish(req: FinishTasksV1): Promise<FinishReplyV1> {
    // Each result is checked on its own: an invalid one is refused alone, its batch-mates are applied.
    const valid: TaskResultV1[] = [];
    const invalid: FinishReplyV1['rejected'] = [];
    for (const raw of req.results as Array<Record<string, unknown>>) {
      const checked = validateFlatPayload(TaskResultV1, withErrorCut(raw));
      if (checked.ok) valid.push(checked.value);
      else
        invalid.push({
          taskId: typeof raw['taskId'] === 'string' ? raw['taskId'].slice(0, 100) : '(none)',
          reason: `invalid result: ${checked.reason}`,
        });
    }
    if (invalid.length) this.logger.warn({ workerId: req.workerId, invalid }, 'invalid task results refused');
    if (valid.length === 0) return { accepted: [], rejected: invalid };
    const { reply, runSeconds, unblocked } = await this.leases.finish(req.workerId, valid);
    for (const r of runSeconds) {
      this.metrics.runDuration.observe({ type: r.type, outcome: r.status }, r.seconds);
      this.metrics.completed.inc({ type: r.type, outcome: r.status });
    }
    if (unblocked > 0 || runSeconds.some((r) => r.status === 'failed')) this.wake('tasks became claimable');
    if (reply.rejected.length)
      this.logger.warn({ workerId: req.workerId, rejected: reply.rejected.length }, 'stale completions rejected');
    return { accepted: reply.accepted, rejected: [...reply.rejected, ...invalid] };
  }

  async release(req: ReleaseTasksV1): Promise<{ released: string[] }> {
    const released = await this.handBack(req.workerId, req.leases ?? [], req.claimIds ?? [], req.reason);
    // The claims may have reached another replica (one that stalled while they waited): it hands back what it leased to them.
    if (req.claimIds?.length)
      this.bus.signal(Subjects.claimsHandedBack, {
        workerId: req.workerId,
        claimIds: req.claimIds,
        reason: req.reason,
        origin: this.origin,
      });
    return { released };
  }

  /**
   * Another replica took a runner's hand-back of claims: a claim of these ids held or being
   * answered here leases nothing more (waited for when it is being answered), and whatever one of
   * them leased here goes back to the queue without burning its attempt. A claim's request is read
   * here before a hand-back of it can be (it was sent well before), so none slips past. A lost
   * signal leaves such leases to expire (the reaper then counts the attempt).
   */
  private async handedBackElsewhere(
    signal: Partial<SignalSubjectMap[typeof Subjects.claimsHandedBack]>,
  ): Promise<void> {
    if (signal.origin === this.origin) return;
    const claimIds = Array.isArray(signal.claimIds)
      ? signal.claimIds.filter((id): id is string => typeof id === 'string' && isUUID(id))
      : [];
    if (claimIds.length === 0 || typeof signal.workerId !== 'string' || typeof signal.reason !== 'string') return;
    const released = await this.handBack(signal.workerId, [], claimIds, signal.reason);
    if (released.length)
      this.logger.warn(
        { workerId: signal.workerId, tasks: released.length },
        'handed back tasks leased here by claims their runner gave up on (the hand-back reached another replica)',
      );
  }

  /** Leases back to the queue, named by token or by the claim they came from; the runners told when any went back. */
  private async handBack(
    workerId: string,
    leases: LeaseRefV1[],
    claimIds: string[],
    reason: string,
  ): Promise<string[]> {
    // A claim its runner gave up on may still be held here: it must not lease anything after this hand-back.
    await this.parked.drop(claimIds);
    const released = await this.leases.release(workerId, leases, claimIds, reason);
    if (released.length) this.wake('tasks released');
    return released;
  }

  /** A handler asked to run again later: scheduled without burning the attempt, and the timer told. */
  async snooze(req: SnoozeTaskV1): Promise<{ snoozed: boolean }> {
    const moved = await this.leases.snooze(req);
    if (moved) this.metrics.snoozed.inc({ type: moved.type });
    return { snoozed: moved !== undefined };
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
    return {
      items: rows.slice(0, limit).map(toTaskView),
      nextCursor: last ? encodeCursor(last.created_at, last.id) : null,
    };
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

  /**
   * Serves the claims held here and tells idle runners, and the other replicas' held claims, there is
   * work; a lost wake-up is covered by the runners' polling fallback (a held claim's wait is at most that).
   */
  wake(reason: string): void {
    this.parked.wake();
    this.bus.signal(Subjects.runnerWake, { reason, origin: this.origin });
  }
}

/** A result whose error text is over the limit keeps its first part: the failure is recorded, not refused. */
function withErrorCut(raw: Record<string, unknown>): Record<string, unknown> {
  const error = raw['error'];
  const cut = typeof error === 'string' ? cutText(error) : error;
  return cut === error ? raw : { ...raw, error: cut };
}

function replyOf(o: CreateOutcome): TaskSubmitReplyV1 {
  return { id: o.row.id, status: o.row.status, created: o.created, ...(o.replaced ? { replaced: true } : {}) };
}
