import { randomUUID } from 'node:crypto';
import { type BlockedOn, type ClaimedTaskV1, cutText, type LeaseRefV1, Subjects } from '@juggernaut/contracts';
import { type Bus, RpcError } from '@juggernaut/messaging';
import type { Metrics } from '@juggernaut/observability';
import type { PolicyFollower } from '@juggernaut/policy';
import { RequestError, type Subscription } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import { FinishReporter } from './finish-reporter';
import { mayHaveBeenHandled, onReconnect, untilAnswered } from './until-answered';
import { WakeSignal } from './wake-signal';

/** Who a worker is, as the dispatcher and the registry see it. */
export interface WorkerIdentity {
  workerId: string;
  level: number;
  capabilities: string[];
  /** Tasks run at once. */
  concurrency: number;
}

export interface WorkerSettings {
  /** Fallback poll when no wake-up arrives. */
  pollIntervalMs: number;
  /** The longest gap between heartbeats; they go at a third of the shortest lease held when that is sooner. */
  heartbeatMaxIntervalMs: number;
  /** How often the worker announces itself to the registry. */
  presenceIntervalMs: number;
  /** On stop, how long running tasks may finish before their leases are handed back. */
  drainMs: number;
  /** How long a claim request waits for its answer. */
  claimTimeoutMs?: number;
  /**
   * How long a claim that finds nothing may be held at the dispatcher for work to arrive (capped at
   * the poll interval and a quarter of the claim timeout); 0 turns holding off. Default: the poll interval.
   */
  claimWaitMs?: number;
}

/** How one run of a task ended. */
export type TaskOutcome =
  | { kind: 'succeeded'; result?: Record<string, unknown> }
  | { kind: 'failed'; error: string; retryable: boolean }
  /** Parked until something outside the queue happens (an approval, a model, more budget); no attempt is burned. */
  | { kind: 'blocked'; blockedOn: BlockedOn; reason: string; approvalId?: string }
  /** Run again after `delayMs`, for the reason given; no attempt is burned. */
  | { kind: 'snoozed'; delayMs: number; reason: string };

export interface RunContext {
  /** Aborted when the task is cancelled, its lease is lost, the kill switch is engaged or the worker must stop. */
  signal: AbortSignal;
  /** Saves progress with the dispatcher (fenced by the claim token); throws LeaseGoneError when the lease is gone. */
  checkpoint(data: Record<string, unknown>): Promise<void>;
}

/** Runs a claimed task. Throwing counts as a retryable failure unless the error says `terminal`. */
export type ExecuteTask = (task: ClaimedTaskV1, ctx: RunContext) => Promise<TaskOutcome>;

/** The lease is no longer this worker's (taken back, cancelled, handed back): the work must stop. */
export class LeaseGoneError extends Error {}

/** The attempt ran past its execution timeout: the run is aborted and counts as a retryable failure. */
export class TaskTimeoutError extends Error {}

/** After a timeout's abort, how long a handler may take to wind down before its slot is freed anyway. */
const HUNG_GRACE_MS = 1_000;

interface Entry {
  task: ClaimedTaskV1;
  controller: AbortController;
  /** Set once the lease is gone or handed back: nothing more is reported for it. */
  abandoned?: string;
  /** 'running' while the handler runs; 'reporting' while its outcome is being reported. */
  phase: 'running' | 'reporting';
  done: Promise<void>;
}

const CLAIM_TIMEOUT_MS = 5_000;
/** How soon the leases of an unanswered claim are offered back again, and a claim retried when no dispatcher listens. */
const ORPHAN_RETRY_MS = 500;
/** How long claims go without `waitMs` after a dispatcher refused it (a rolling upgrade in progress). */
const HOLD_RETRY_MS = 60_000;
/** Heartbeats never go more often than this, however short the lease. */
const MIN_HEARTBEAT_MS = 100;

/**
 * The worker side of the task queue, shared by every service that runs tasks (agent-runner,
 * dev-bot): claims up to its concurrency, heartbeats each lease at a third of its length, runs the
 * task and reports how it ended — retried with the claim token until the dispatcher answers — and
 * follows the policy, failing closed: nothing is claimed until a policy is known, and the kill
 * switch aborts running work at once and hands its leases back without burning attempts.
 *
 * - A claim that finds nothing is held at the dispatcher (`waitMs`, up to the poll interval) and
 *   answered as soon as work arrives: a submitted task reaches an idle worker in one hop. Wake-ups
 *   over NATS start a claim at once when the worker is not waiting in one; polling is only the
 *   fallback. A wake-up that arrives mid-claim is kept. A failing claim backs off.
 * - A claim whose answer never arrived (a timeout) may still have leased tasks: its id is handed back
 *   (`task.release` with `claimIds`) before the next claim, so those tasks return without burning an
 *   attempt.
 * - Presence: `worker.online`/`worker.offline` events and a heartbeat signal list the worker in the
 *   registry (`GET /api/v1/workers`).
 * - `stop()` drains: claiming stops at once, running tasks get `drainMs` to finish, the rest are
 *   handed back, and results still being reported get the same time to arrive.
 */
export class TaskWorker {
  private readonly running = new Map<string, Entry>();
  private readonly wakeSignal = new WakeSignal();
  private readonly reporter: FinishReporter;
  private readonly orphanedClaims = new Set<string>();
  /** When a dispatcher of an earlier release refused `waitMs` (performance.now()); claims go unheld for a while. */
  private holdRefusedAt?: number;
  private stopping = false;
  private stopped = false;
  private giveUpReports = false;
  private loop?: Promise<void>;
  private heartbeatTimer?: NodeJS.Timeout;
  private presenceTimer?: NodeJS.Timeout;
  private subs: Subscription[] = [];
  private unwatchPolicy?: () => void;
  private unwatchBus?: () => void;
  private readonly runningGauge;
  private readonly taskDuration;
  private readonly lostLeases;

  constructor(
    private readonly bus: Bus,
    private readonly policy: PolicyFollower,
    private readonly logger: Logger,
    metrics: Metrics,
    private readonly identity: WorkerIdentity,
    private readonly settings: WorkerSettings,
    private readonly types: string[],
    private readonly execute: ExecuteTask,
  ) {
    this.reporter = new FinishReporter(bus, identity.workerId, logger);
    this.runningGauge = metrics.gauge('juggernaut_runner_tasks_running', 'Tasks running in this worker');
    this.taskDuration = metrics.histogram('juggernaut_runner_task_duration_seconds', 'Handler run time', [
      'type',
      'outcome',
    ]);
    this.lostLeases = metrics.counter(
      'juggernaut_runner_leases_lost_total',
      'Leases this worker lost while working (cancelled or reclaimed)',
    );
  }

  get id(): string {
    return this.identity.workerId;
  }

  get runningTaskIds(): string[] {
    return [...this.running.keys()];
  }

  start(): void {
    this.subs.push(this.bus.listen(Subjects.runnerWake, () => this.wakeSignal.wake()));
    // NATS back: a claim loop backing off (or waiting to hand back an unanswered claim) goes on at once.
    this.unwatchBus = onReconnect(this.bus)(() => this.wakeSignal.wake());
    this.subs.push(
      this.bus.listen(Subjects.taskAbort, (msg) => {
        const entry = msg.taskId ? this.running.get(msg.taskId) : undefined;
        if (entry) this.abandon(entry, msg.reason ?? 'cancelled');
      }),
    );
    this.unwatchPolicy = this.policy.onChange((doc, previous) => {
      if (doc.killSwitch.engaged)
        void this.stopAll(`kill switch engaged${doc.killSwitch.reason ? `: ${doc.killSwitch.reason}` : ''}`);
      else if (!previous || previous.killSwitch.engaged) this.wakeSignal.wake();
    });
    this.scheduleHeartbeat(this.settings.heartbeatMaxIntervalMs);
    this.presenceTimer = setInterval(() => this.announce(), this.settings.presenceIntervalMs);
    void this.presence('online', 'started');
    this.announce();
    this.loop = this.claimLoop();
    this.logger.info(
      { workerId: this.id, level: this.identity.level, types: this.types, concurrency: this.identity.concurrency },
      'worker started',
    );
  }

  /** Stops claiming, drains, hands back what is left, goes offline. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.wakeSignal.wake();
    await this.loop;
    // A claim whose answer never came may hold leases this worker will never run: hand them back now.
    if (this.orphanedClaims.size) await this.releaseOrphanedClaims();
    const deadline = Date.now() + this.settings.drainMs;
    const handlersRunning = () => [...this.running.values()].filter((r) => r.phase === 'running' && !r.abandoned);
    while (handlersRunning().length > 0 && Date.now() < deadline) {
      await within(Promise.all(handlersRunning().map((r) => r.done)), deadline - Date.now());
    }
    const left = handlersRunning();
    if (left.length) {
      for (const r of left) this.abandon(r, 'worker shutting down');
      await this.release(
        left.map((r) => r.task),
        'worker shutting down',
        () => Date.now() > deadline + 2_000,
      );
    }
    // Results still on their way get the rest of the drain time (at least a moment) to arrive.
    await within(this.reporter.settled(), Math.max(deadline, Date.now() + 2_000) - Date.now());
    this.giveUpReports = true;
    await within(Promise.allSettled([...this.running.values()].map((r) => r.done)), 1_000);
    this.stopped = true;
    clearTimeout(this.heartbeatTimer);
    clearInterval(this.presenceTimer);
    for (const s of this.subs) s.unsubscribe();
    this.unwatchPolicy?.();
    this.unwatchBus?.();
    this.announce();
    await this.presence('offline', 'stopped');
  }

  private async claimLoop(): Promise<void> {
    let failures = 0;
    while (!this.stopping) {
      const busy = [...this.running.values()];
      let free = this.identity.concurrency - busy.filter((r) => r.phase === 'running').length;
      const reporting = busy.length - (this.identity.concurrency - free);
      if (free <= 0 || reporting >= this.identity.concurrency || this.policy.killSwitchEngaged) {
        await this.wakeSignal.sleep(this.settings.pollIntervalMs);
        continue;
      }
      // Handing back an unanswered claim's leases is urgent (the dispatcher's reaper would burn their
      // attempts once its grace ends): retried within a second, whatever the claims' backoff.
      if (this.orphanedClaims.size && !(await this.releaseOrphanedClaims())) {
        await this.wakeSignal.sleep(ORPHAN_RETRY_MS);
        continue;
      }
      if (free < this.identity.concurrency / 4) {
        // Busy: let a few more slots free up so one claim fills several (fewer, larger transactions).
        await new Promise((r) => setTimeout(r, 2));
        free = this.identity.concurrency - [...this.running.values()].filter((r) => r.phase === 'running').length;
      }
      const claimId = randomUUID();
      const timeoutMs = this.settings.claimTimeoutMs ?? CLAIM_TIMEOUT_MS;
      // With nothing to claim, the dispatcher holds the claim up to this long and answers it when work arrives.
      const holdRefused = this.holdRefusedAt !== undefined && performance.now() - this.holdRefusedAt < HOLD_RETRY_MS;
      const waitMs = holdRefused
        ? 0
        : Math.floor(
            Math.min(
              this.settings.claimWaitMs ?? this.settings.pollIntervalMs,
              this.settings.pollIntervalMs,
              timeoutMs / 4,
            ),
          );
      const sentAt = performance.now();
      let tasks: ClaimedTaskV1[];
      try {
        tasks = (
          await this.bus.request(
            Subjects.taskClaim,
            {
              workerId: this.id,
              level: this.identity.level,
              capabilities: this.identity.capabilities,
              types: this.types,
              max: free,
              claimId,
              timeoutMs,
              ...(waitMs > 0 ? { waitMs } : {}),
            },
            timeoutMs,
          )
        ).tasks;
        failures = 0;
      } catch (e) {
        // A dispatcher from before held claims (mid-upgrade) refuses the field and claimed nothing:
        // claim without it for a while, then try again (the upgrade may have finished).
        if (e instanceof RpcError && e.status === 400 && waitMs > 0 && e.message.includes('waitMs')) {
          if (this.holdRefusedAt === undefined)
            this.logger.info('a dispatcher does not hold claims (an earlier release); claiming without waitMs');
          this.holdRefusedAt = performance.now();
          continue;
        }
        // Without an answer the claim may still have leased tasks: hand them back before claiming again.
        if (mayHaveBeenHandled(e)) this.orphanedClaims.add(claimId);
        failures++;
        if (failures === 1 || failures % 20 === 0) this.logger.warn({ err: e, failures }, 'claim failed; retrying');
        // A dispatcher that answers with errors is given room (backoff to 5 s); none listening at all
        // (restarting) costs nothing to ask again each second.
        await this.wakeSignal.sleep(
          e instanceof RpcError || !(e instanceof RequestError && e.isNoResponders())
            ? Math.min(5_000, 100 * 2 ** Math.min(failures, 6))
            : ORPHAN_RETRY_MS,
        );
        continue;
      }
      for (const t of tasks) this.startTask(t);
      // Claim again at once after work or a held claim's full wait (the next one is held in turn); an
      // empty answer that came at once (no work this worker may take, or a dispatcher that does not
      // hold claims) waits for a wake-up or the poll interval.
      const again = waitMs > 0 ? tasks.length > 0 || performance.now() - sentAt >= waitMs * 0.9 : tasks.length >= free;
      if (!again && !this.stopping) await this.wakeSignal.sleep(this.settings.pollIntervalMs);
    }
  }

  /** Hands back whatever the claims without an answer leased; true when the dispatcher answered. */
  private async releaseOrphanedClaims(): Promise<boolean> {
    const claimIds = [...this.orphanedClaims];
    try {
      const { released } = await this.bus.request(
        Subjects.taskRelease,
        { workerId: this.id, reason: 'claim answer not received', claimIds },
        5_000,
      );
      for (const id of claimIds) this.orphanedClaims.delete(id);
      if (released.length)
        this.logger.warn({ tasks: released.length }, 'handed back tasks leased by a claim whose answer never arrived');
      return true;
    } catch (e) {
      this.logger.debug({ err: e }, 'could not hand back the leases of unanswered claims yet');
      return false;
    }
  }

  private startTask(task: ClaimedTaskV1): void {
    const entry: Entry = { task, controller: new AbortController(), phase: 'running', done: Promise.resolve() };
    this.running.set(task.id, entry);
    this.runningGauge.set(this.running.size);
    // A short lease may need a heartbeat sooner than the one planned.
    this.scheduleHeartbeat(this.heartbeatInterval());
    entry.done = this.run(entry).finally(() => {
      this.running.delete(task.id);
      this.runningGauge.set(this.running.size);
      this.wakeSignal.wake();
    });
  }

  private async run(entry: Entry): Promise<void> {
    const { task } = entry;
    const started = performance.now();
    const outcome = await this.runWithTimeout(entry);
    this.taskDuration.observe({ type: task.type, outcome: outcome.kind }, (performance.now() - started) / 1000);
    if (entry.abandoned) return;
    entry.phase = 'reporting';
    this.wakeSignal.wake();
    try {
      if (outcome.kind === 'blocked') return await this.block(entry, outcome);
      if (outcome.kind === 'snoozed') return await this.snooze(entry, outcome);
      const answer = await this.reporter.submit(
        {
          taskId: task.id,
          claimToken: task.claimToken,
          outcome: outcome.kind,
          ...(outcome.kind === 'succeeded' && outcome.result ? { result: outcome.result } : {}),
          ...(outcome.kind === 'failed' ? { error: outcome.error, retryable: outcome.retryable } : {}),
        },
        () => this.giveUpReports || entry.abandoned !== undefined,
      );
      if (!answer.accepted)
        this.logger.warn({ taskId: task.id, reason: answer.reason }, 'result refused: lease no longer held');
      else if (answer.alreadyDone)
        this.logger.info(
          { taskId: task.id, status: answer.status },
          'result had already been applied (an earlier report whose answer was lost)',
        );
    } catch (e) {
      // Only when the worker gave up (shutting down with the dispatcher unreachable): the lease
      // expires and the task runs again elsewhere.
      this.logger.warn({ err: e, taskId: task.id }, 'could not report a result');
    }
  }

  /**
   * Runs the task; past its execution timeout the run is aborted (the handler sees the signal) and
   * reported as a retryable timeout. A handler that does not stop within a second of the abort is
   * left behind: its slot is freed and its result, should it ever come, is ignored.
   */
  private async runWithTimeout(entry: Entry): Promise<TaskOutcome> {
    const { task, controller } = entry;
    const failedWith = (e: unknown): TaskOutcome => ({
      kind: 'failed',
      error: (e as Error)?.message ?? String(e),
      retryable: (e as { terminal?: unknown })?.terminal !== true,
    });
    const running = this.execute(task, {
      signal: controller.signal,
      checkpoint: (data) => this.checkpoint(entry, data),
    }).catch(failedWith);
    if (task.timeoutMs === null || task.timeoutMs === undefined) return running;
    let timer: NodeJS.Timeout | undefined;
    let grace: NodeJS.Timeout | undefined;
    const timeout = new TaskTimeoutError(
      `execution timeout: ran longer than ${Math.round(task.timeoutMs / 100) / 10} s`,
    );
    const timedOut = new Promise<TaskOutcome>((resolve) => {
      timer = setTimeout(() => {
        controller.abort(timeout);
        grace = setTimeout(() => {
          this.logger.warn(
            { taskId: task.id, type: task.type },
            'handler did not stop after its timeout; its slot is freed and it is left behind',
          );
          resolve({ kind: 'failed', error: timeout.message, retryable: true });
        }, HUNG_GRACE_MS);
      }, task.timeoutMs!);
    });
    try {
      const outcome = await Promise.race([running, timedOut]);
      // A run that ended because of the timeout's abort is a timeout, whatever the handler made of it.
      return controller.signal.reason === timeout
        ? { kind: 'failed', error: timeout.message, retryable: true }
        : outcome;
    } finally {
      clearTimeout(timer);
      clearTimeout(grace);
    }
  }

  /** Asks to run again later; sent until answered, like a result. */
  private async snooze(entry: Entry, outcome: Extract<TaskOutcome, { kind: 'snoozed' }>): Promise<void> {
    const { task } = entry;
    const { snoozed } = await untilAnswered(
      () =>
        this.bus.request(Subjects.taskSnooze, {
          taskId: task.id,
          claimToken: task.claimToken,
          workerId: this.id,
          delayMs: outcome.delayMs,
          reason: cutText(outcome.reason),
        }),
      { giveUp: () => this.giveUpReports || entry.abandoned !== undefined, retryNow: onReconnect(this.bus) },
    );
    if (!snoozed) this.logger.warn({ taskId: task.id }, 'snooze refused: lease no longer held');
  }

  /** Parks the task `blocked`; sent until answered, like a result. */
  private async block(entry: Entry, outcome: Extract<TaskOutcome, { kind: 'blocked' }>): Promise<void> {
    const { task } = entry;
    const { blocked } = await untilAnswered(
      () =>
        this.bus.request(Subjects.taskBlock, {
          taskId: task.id,
          claimToken: task.claimToken,
          workerId: this.id,
          blockedOn: outcome.blockedOn,
          reason: cutText(outcome.reason),
          ...(outcome.approvalId ? { approvalId: outcome.approvalId } : {}),
        }),
      { giveUp: () => this.giveUpReports || entry.abandoned !== undefined, retryNow: onReconnect(this.bus) },
    );
    if (!blocked) this.logger.warn({ taskId: task.id }, 'block refused: lease no longer held');
  }

  private async checkpoint(entry: Entry, data: Record<string, unknown>): Promise<void> {
    if (entry.abandoned) throw new LeaseGoneError(`lease given up: ${entry.abandoned}`);
    const { saved } = await untilAnswered(
      () =>
        this.bus.request(
          Subjects.taskCheckpoint,
          { taskId: entry.task.id, claimToken: entry.task.claimToken, checkpoint: data },
          10_000,
        ),
      {
        giveUp: () => entry.abandoned !== undefined || entry.controller.signal.aborted,
        retryNow: onReconnect(this.bus),
      },
    );
    if (!saved) {
      this.abandon(entry, 'lease lost');
      throw new LeaseGoneError('checkpoint refused: the lease is no longer held');
    }
  }

  /** Aborts every running task and hands its lease back (the kill switch). */
  private async stopAll(reason: string): Promise<void> {
    const held = [...this.running.values()].filter((r) => !r.abandoned && r.phase === 'running');
    if (held.length === 0) return;
    for (const r of held) this.abandon(r, reason);
    await this.release(
      held.map((r) => r.task),
      reason,
      () => this.giveUpReports,
    );
    this.logger.warn({ tasks: held.length, reason }, 'running tasks stopped');
  }

  private async release(tasks: ClaimedTaskV1[], reason: string, giveUp: () => boolean): Promise<void> {
    const leases: LeaseRefV1[] = tasks.map((t) => ({ taskId: t.id, claimToken: t.claimToken }));
    try {
      const { released } = await untilAnswered(
        () => this.bus.request(Subjects.taskRelease, { workerId: this.id, reason, leases }),
        { giveUp, retryNow: onReconnect(this.bus) },
      );
      this.logger.info({ released: released.length, reason }, 'leases handed back');
    } catch (e) {
      this.logger.warn({ err: e }, 'could not hand leases back; they will expire and the tasks run again');
    }
  }

  private abandon(entry: Entry, reason: string): void {
    if (entry.abandoned) return;
    entry.abandoned = reason;
    entry.controller.abort(new LeaseGoneError(reason));
  }

  /** A third of the shortest lease held, within the configured ceiling. */
  private heartbeatInterval(): number {
    let interval = this.settings.heartbeatMaxIntervalMs;
    for (const r of this.running.values()) interval = Math.min(interval, r.task.leaseMs / 3);
    return Math.max(MIN_HEARTBEAT_MS, Math.floor(interval));
  }

  private nextHeartbeatAt = 0;

  /** Plans the next heartbeat in `inMs`, unless one is already planned sooner. */
  private scheduleHeartbeat(inMs: number): void {
    if (this.stopped) return;
    const at = Date.now() + inMs;
    if (this.heartbeatTimer !== undefined && this.nextHeartbeatAt <= at) return;
    clearTimeout(this.heartbeatTimer);
    this.nextHeartbeatAt = at;
    this.heartbeatTimer = setTimeout(() => void this.heartbeat(), inMs);
  }

  private async heartbeat(): Promise<void> {
    this.heartbeatTimer = undefined;
    const held = [...this.running.values()].filter((r) => !r.abandoned);
    let next = this.heartbeatInterval();
    if (held.length > 0) {
      try {
        const reply = await this.bus.request(
          Subjects.taskHeartbeat,
          {
            workerId: this.id,
            leases: held.map((r) => ({ taskId: r.task.id, claimToken: r.task.claimToken })),
          },
          Math.max(1_000, next),
        );
        for (const lost of reply.lost) {
          const entry = this.running.get(lost.taskId);
          // A lease whose attempt already finished belongs to a result on its way: its report learns the
          // rest. One past its execution timeout is being stopped by this worker's own timer.
          if (!entry || lost.reason.startsWith('finished') || lost.reason === 'execution timeout') continue;
          this.lostLeases.inc();
          this.logger.warn({ taskId: lost.taskId, reason: lost.reason }, 'lease lost; stopping that task');
          this.abandon(entry, lost.reason);
        }
      } catch (e) {
        // The dispatcher is away (restarting, NATS reconnecting): keep working and try again soon;
        // the dispatcher gives runners a grace after an outage before it takes leases back.
        this.logger.warn({ err: e }, 'heartbeat failed; retrying');
        next = Math.min(next, 1_000);
      }
    }
    this.scheduleHeartbeat(next);
  }

  private announce(): void {
    this.bus.signal(Subjects.workerHeartbeat, {
      workerId: this.id,
      level: this.identity.level,
      capabilities: this.identity.capabilities,
      concurrency: this.identity.concurrency,
      runningTaskIds: this.runningTaskIds,
      draining: this.stopping,
      at: new Date().toISOString(),
    });
  }

  private async presence(state: 'online' | 'offline', reason: string): Promise<void> {
    try {
      await this.bus.publish(state === 'online' ? Subjects.workerOnline : Subjects.workerOffline, {
        workerId: this.id,
        level: this.identity.level,
        capabilities: this.identity.capabilities,
        reason,
        at: new Date().toISOString(),
      });
    } catch (e) {
      this.logger.warn({ err: e }, `could not announce worker ${state}`);
    }
  }
}

/** Waits for `work`, or `ms` at most; the timer does not outlive the wait (it would hold the process open). */
async function within(work: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([work, new Promise((r) => (timer = setTimeout(r, Math.max(0, ms))))]);
  } finally {
    clearTimeout(timer);
  }
}
