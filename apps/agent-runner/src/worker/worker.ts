import {
  type BeforeApplicationShutdown, Inject, Injectable, type OnApplicationBootstrap,
} from '@nestjs/common';
import { type ClaimedTaskV1, Subjects } from '@juggernaut/contracts';
import { Bus } from '@juggernaut/messaging';
import { Metrics } from '@juggernaut/observability';
import { APP_CONFIG, LOGGER } from '@juggernaut/service-kit';
import type { Subscription } from '@nats-io/transport-node';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { RunnerEnv } from '../config';
import { BlockTaskError, isTerminal, LeaseLostError, TASK_HANDLERS, type TaskHandler } from '../handlers/task-handler';
import { ModelClient } from '@juggernaut/llm';
import { PolicyState } from '../policy/policy-state';
import { FinishBatcher } from './finish-batcher';

interface Running {
  task: ClaimedTaskV1;
  controller: AbortController;
  /** Set when the lease is gone (cancelled, reclaimed) or handed back: the result must not be sent. */
  abandoned?: string;
  done: Promise<void>;
}

/**
 * The worker loop of an agent-runner process: claims up to its concurrency, runs each task's
 * handler, heartbeats every lease from a timer independent of the work, and reports results.
 * Woken over NATS when work arrives; polls only as a fallback. On shutdown it stops claiming at
 * once, lets running tasks finish within RUNNER_DRAIN_MS, and releases the rest without burning
 * an attempt.
 */
@Injectable()
export class Worker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  readonly id: string;
  private readonly handlers: Map<string, TaskHandler>;
  private readonly running = new Map<string, Running>();
  private readonly finisher: FinishBatcher;
  private stopping = false;
  private wakeUp?: () => void;
  private wakePending = false;
  private loop?: Promise<void>;
  private timers: NodeJS.Timeout[] = [];
  private subs: Subscription[] = [];
  private unwatchKill?: () => void;
  private readonly runningGauge;
  private readonly taskDuration;
  private readonly lostLeases;

  constructor(
    private readonly bus: Bus,
    @Inject(APP_CONFIG) private readonly config: RunnerEnv,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(TASK_HANDLERS) handlers: TaskHandler[],
    metrics: Metrics,
    private readonly policy: PolicyState,
    private readonly model: ModelClient,
  ) {
    this.id = config.HOSTNAME ?? hostname();
    this.handlers = new Map(handlers.filter((h) => (h.minLevel ?? 1) <= config.RUNNER_LEVEL).map((h) => [h.type, h]));
    this.finisher = new FinishBatcher(bus, this.id);
    this.runningGauge = metrics.gauge('juggernaut_runner_tasks_running', 'Tasks running in this runner');
    this.taskDuration = metrics.histogram('juggernaut_runner_task_duration_seconds', 'Handler run time', ['type', 'outcome']);
    this.lostLeases = metrics.counter('juggernaut_runner_leases_lost_total', 'Leases this runner lost while working (cancelled or reclaimed)');
  }

  onApplicationBootstrap(): void {
    this.subs.push(this.bus.listen(Subjects.runnerWake, () => this.wake()));
    this.subs.push(this.bus.listen(Subjects.taskAbort, (msg) => {
      const entry = msg.taskId ? this.running.get(msg.taskId) : undefined;
      if (entry) this.abandon(entry, msg.reason ?? 'cancelled');
    }));
    // The kill switch aborts running work at once (model and tool calls see the signal) and hands
    // the leases back without burning attempts; the checkpoints let the tasks resume later.
    this.unwatchKill = this.policy.onKillSwitch((engaged, reason) => {
      if (engaged) void this.stopAll(`kill switch engaged${reason ? `: ${reason}` : ''}`);
      else this.wake();
    });
    this.timers.push(setInterval(() => void this.heartbeat(), this.config.RUNNER_HEARTBEAT_INTERVAL_MS));
    this.timers.push(setInterval(() => this.announce(), this.config.RUNNER_PRESENCE_INTERVAL_MS));
    void this.presence('online', 'started');
    this.announce();
    this.loop = this.claimLoop();
    void this.releaseWaitingForModel();
    this.logger.info({ workerId: this.id, level: this.config.RUNNER_LEVEL, types: [...this.handlers.keys()], concurrency: this.config.RUNNER_CONCURRENCY }, 'worker started');
  }

  /** SIGTERM: stop claiming, drain, release what is left, go offline. */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    this.wake();
    await this.loop;
    const deadline = Date.now() + this.config.RUNNER_DRAIN_MS;
    while (this.running.size > 0 && Date.now() < deadline) {
      await Promise.race([Promise.all([...this.running.values()].map((r) => r.done)), new Promise((r) => setTimeout(r, Math.max(0, deadline - Date.now())))]);
    }
    const left = [...this.running.values()];
    if (left.length) {
      for (const r of left) this.abandon(r, 'runner shutting down');
      try {
        const { released } = await this.bus.request(Subjects.taskRelease, {
          workerId: this.id, reason: 'runner shutting down', leases: left.map((r) => ({ taskId: r.task.id, claimToken: r.task.claimToken })),
        });
        this.logger.info({ released: released.length }, 'released unfinished tasks');
      } catch (e) {
        this.logger.warn({ err: e }, 'could not release leases; they will expire and be retried');
      }
      await Promise.allSettled(left.map((r) => r.done));
    }
    for (const t of this.timers) clearInterval(t);
    for (const s of this.subs) s.unsubscribe();
    this.unwatchKill?.();
    this.announce();
    await this.presence('offline', 'stopped');
  }

  /** A wake-up that arrives while the loop is busy (mid-claim) is kept, so it is never missed. */
  private wake(): void {
    const w = this.wakeUp;
    this.wakeUp = undefined;
    if (w) w();
    else this.wakePending = true;
  }

  private waitForWake(ms: number): Promise<void> {
    if (this.wakePending) {
      this.wakePending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.wakeUp = undefined;
        resolve();
      }, ms);
      this.wakeUp = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  private async claimLoop(): Promise<void> {
    let failures = 0;
    while (!this.stopping) {
      let free = this.config.RUNNER_CONCURRENCY - this.running.size;
      if (free <= 0 || this.policy.killSwitchEngaged) {
        await this.waitForWake(this.config.RUNNER_POLL_INTERVAL_MS);
        continue;
      }
      if (free < this.config.RUNNER_CONCURRENCY / 4) {
        // Busy: let a few more slots free up so one claim fills several (fewer, larger transactions).
        await new Promise((r) => setTimeout(r, 2));
        free = this.config.RUNNER_CONCURRENCY - this.running.size;
      }
      let tasks: ClaimedTaskV1[] = [];
      try {
        tasks = (await this.bus.request(Subjects.taskClaim, {
          workerId: this.id, level: this.config.RUNNER_LEVEL, capabilities: this.config.RUNNER_CAPABILITIES,
          types: [...this.handlers.keys()], max: free,
        }, 5_000)).tasks;
        failures = 0;
      } catch (e) {
        failures++;
        if (failures === 1 || failures % 20 === 0) this.logger.warn({ err: e }, 'claim failed; retrying');
        await this.waitForWake(Math.min(5_000, 100 * 2 ** Math.min(failures, 6)));
        continue;
      }
      for (const t of tasks) this.start(t);
      if (tasks.length < free && !this.stopping) await this.waitForWake(this.config.RUNNER_POLL_INTERVAL_MS);
    }
  }

  private start(task: ClaimedTaskV1): void {
    const controller = new AbortController();
    const entry: Running = { task, controller, done: Promise.resolve() };
    this.running.set(task.id, entry);
    this.runningGauge.set(this.running.size);
    entry.done = this.execute(entry).finally(() => {
      this.running.delete(task.id);
      this.runningGauge.set(this.running.size);
      this.wake();
    });
  }

  private async execute(entry: Running): Promise<void> {
    const { task, controller } = entry;
    const handler = this.handlers.get(task.type)!;
    const started = performance.now();
    let result: Record<string, unknown> | undefined;
    let error: unknown;
    try {
      result = (await handler.run(task.payload, {
        task, workerId: this.id, level: this.config.RUNNER_LEVEL, signal: controller.signal,
        checkpoint: (data) => this.checkpoint(entry, data),
      })) ?? undefined;
    } catch (e) {
      error = e;
    }
    const outcome = error === undefined ? 'succeeded' : 'failed';
    this.taskDuration.observe({ type: task.type, outcome: error instanceof BlockTaskError ? 'blocked' : outcome }, (performance.now() - started) / 1000);
    if (entry.abandoned) return;
    if (error instanceof BlockTaskError) return this.block(entry, error);
    try {
      const answer = await this.finisher.submit({
        taskId: task.id, claimToken: task.claimToken, outcome,
        ...(result ? { result } : {}),
        ...(error !== undefined ? { error: (error as Error)?.message ?? String(error), retryable: !isTerminal(error) } : {}),
      });
      if (!answer.accepted) this.logger.warn({ taskId: task.id, reason: answer.reason }, 'result refused: lease no longer held');
    } catch (e) {
      // The lease will expire and the task will be retried elsewhere: never lost.
      this.logger.warn({ err: e, taskId: task.id }, 'could not report a result');
    }
  }

  /** A runner with a model configured frees the agent tasks that were parked for want of one. */
  private async releaseWaitingForModel(): Promise<void> {
    if (!this.model.configured) return;
    try {
      const { unblocked } = await this.bus.request(Subjects.taskUnblock, { blockedOn: 'model' });
      if (unblocked.length) this.logger.info({ tasks: unblocked.length }, 'released tasks that waited for a model');
    } catch (e) {
      this.logger.warn({ err: e }, 'could not release tasks waiting for a model');
    }
  }

  private async checkpoint(entry: Running, data: Record<string, unknown>): Promise<void> {
    if (entry.abandoned) throw new LeaseLostError(`lease given up: ${entry.abandoned}`);
    const { saved } = await this.bus.request(Subjects.taskCheckpoint, { taskId: entry.task.id, claimToken: entry.task.claimToken, checkpoint: data }, 10_000);
    if (!saved) {
      this.abandon(entry, 'lease lost');
      throw new LeaseLostError('checkpoint refused: the lease is no longer held');
    }
  }

  /** Parks the task `blocked` (approval, model, budget): the lease goes back without burning an attempt. */
  private async block(entry: Running, e: BlockTaskError): Promise<void> {
    try {
      const { blocked } = await this.bus.request(Subjects.taskBlock, {
        taskId: entry.task.id, claimToken: entry.task.claimToken, workerId: this.id, blockedOn: e.blockedOn, reason: e.message.slice(0, 10_000),
        ...(e.approvalId ? { approvalId: e.approvalId } : {}),
      });
      if (!blocked) this.logger.warn({ taskId: entry.task.id }, 'block refused: lease no longer held');
    } catch (err) {
      // The lease expires and the task is retried; its checkpoint brings it back to the same wait.
      this.logger.warn({ err, taskId: entry.task.id }, 'could not block a task');
    }
  }

  /** Aborts every running task and hands its lease back (kill switch). */
  private async stopAll(reason: string): Promise<void> {
    const held = [...this.running.values()].filter((r) => !r.abandoned);
    if (held.length === 0) return;
    for (const r of held) this.abandon(r, reason);
    try {
      await this.bus.request(Subjects.taskRelease, {
        workerId: this.id, reason, leases: held.map((r) => ({ taskId: r.task.id, claimToken: r.task.claimToken })),
      });
    } catch (e) {
      this.logger.warn({ err: e }, 'could not release leases after the kill switch; they will expire');
    }
    this.logger.warn({ tasks: held.length, reason }, 'running tasks stopped');
  }

  private abandon(entry: Running, reason: string): void {
    if (entry.abandoned) return;
    entry.abandoned = reason;
    entry.controller.abort(new Error(reason));
  }

  private async heartbeat(): Promise<void> {
    const held = [...this.running.values()].filter((r) => !r.abandoned);
    if (held.length === 0) return;
    try {
      const reply = await this.bus.request(Subjects.taskHeartbeat, {
        workerId: this.id, leases: held.map((r) => ({ taskId: r.task.id, claimToken: r.task.claimToken })),
      }, Math.max(1_000, this.config.RUNNER_HEARTBEAT_INTERVAL_MS));
      for (const lost of reply.lost) {
        const entry = this.running.get(lost.taskId);
        if (entry) {
          this.lostLeases.inc();
          this.logger.warn({ taskId: lost.taskId, reason: lost.reason }, 'lease lost; stopping that task');
          this.abandon(entry, lost.reason);
        }
      }
    } catch (e) {
      this.logger.warn({ err: e }, 'heartbeat failed; retrying at the next interval');
    }
  }

  private announce(): void {
    this.bus.signal(Subjects.workerHeartbeat, {
      workerId: this.id, level: this.config.RUNNER_LEVEL, capabilities: this.config.RUNNER_CAPABILITIES,
      concurrency: this.config.RUNNER_CONCURRENCY, runningTaskIds: [...this.running.keys()], draining: this.stopping,
      at: new Date().toISOString(),
    });
  }

  private async presence(state: 'online' | 'offline', reason: string): Promise<void> {
    try {
      await this.bus.publish(state === 'online' ? Subjects.workerOnline : Subjects.workerOffline, {
        workerId: this.id, level: this.config.RUNNER_LEVEL, capabilities: this.config.RUNNER_CAPABILITIES, reason, at: new Date().toISOString(),
      });
    } catch (e) {
      this.logger.warn({ err: e }, `could not announce worker ${state}`);
    }
  }
}
