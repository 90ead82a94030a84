import { type BeforeApplicationShutdown, Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { type ClaimedTaskV1, Subjects } from '@juggernaut/contracts';
import { ModelClient } from '@juggernaut/llm';
import { Bus } from '@juggernaut/messaging';
import { APP_CONFIG, LOGGER } from '@juggernaut/service-kit';
import type { Subscription } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import { DEV_BOT_CAPABILITY, DEV_CHANGE_TASK } from '../changes/changes.service';
import type { DevBotEnv } from '../config';
import { ChangePipeline } from '../pipeline/change-pipeline';
import { KillSwitch } from './kill-switch';
import { workerIdOf } from './worker-id';

interface Running {
  task: ClaimedTaskV1;
  controller: AbortController;
  abandoned?: string;
  done: Promise<void>;
}

/**
 * dev-bot as a worker of the task queue: claims `dev.change` tasks (capability `dev-bot`, its
 * level), heartbeats each lease from a timer, runs the change pipeline and reports the outcome.
 * A task whose lease is lost is abandoned at once; the next claim resumes the change from its
 * persisted status. The kill switch aborts running changes at once (model calls and checks see the
 * signal) and hands their leases back without burning attempts. Without a model configured it
 * claims nothing.
 */
@Injectable()
export class DevBotWorker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  readonly id: string;
  private readonly running = new Map<string, Running>();
  private stopping = false;
  private wakeUp?: () => void;
  private loop?: Promise<void>;
  private timers: NodeJS.Timeout[] = [];
  private subs: Subscription[] = [];
  private unwatchKill?: () => void;

  constructor(
    private readonly bus: Bus,
    private readonly pipeline: ChangePipeline,
    private readonly model: ModelClient,
    private readonly killSwitch: KillSwitch,
    @Inject(APP_CONFIG) private readonly config: DevBotEnv,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.id = workerIdOf(config);
  }

  onApplicationBootstrap(): void {
    if (!this.model.configured) {
      this.logger.warn('no model configured (OPENAI_BASE_URL or OPENAI_API_KEY): dev.change tasks are not claimed by this process');
      return;
    }
    this.subs.push(this.bus.listen(Subjects.runnerWake, () => this.wake()));
    this.subs.push(this.bus.listen(Subjects.taskAbort, (msg) => {
      const entry = msg.taskId ? this.running.get(msg.taskId) : undefined;
      if (entry) this.abandon(entry, msg.reason ?? 'cancelled');
    }));
    this.unwatchKill = this.killSwitch.onChange((engaged, reason) => {
      if (engaged) void this.stopAll(`kill switch engaged: ${reason}`);
      else this.wake();
    });
    this.timers.push(setInterval(() => void this.heartbeat(), this.config.DEVBOT_HEARTBEAT_INTERVAL_MS));
    this.loop = this.claimLoop();
    this.logger.info({ workerId: this.id, level: this.config.DEVBOT_LEVEL, concurrency: this.config.DEVBOT_CONCURRENCY }, 'dev-bot worker started');
  }

  /** Stops claiming and hands unfinished leases back without burning an attempt. */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    this.wake();
    await this.loop;
    const left = [...this.running.values()];
    if (left.length) {
      for (const r of left) this.abandon(r, 'dev-bot shutting down');
      try {
        await this.bus.request(Subjects.taskRelease, {
          workerId: this.id, reason: 'dev-bot shutting down', leases: left.map((r) => ({ taskId: r.task.id, claimToken: r.task.claimToken })),
        });
      } catch (e) {
        this.logger.warn({ err: e }, 'could not release leases; they will expire and be retried');
      }
      await Promise.allSettled(left.map((r) => r.done));
    }
    for (const t of this.timers) clearInterval(t);
    for (const s of this.subs) s.unsubscribe();
    this.unwatchKill?.();
  }

  /** Aborts every running change and hands its lease back (kill switch); the changes resume when it is released. */
  private async stopAll(reason: string): Promise<void> {
    const held = [...this.running.values()].filter((r) => !r.abandoned);
    if (held.length === 0) return;
    for (const r of held) this.abandon(r, reason);
    try {
      await this.bus.request(Subjects.taskRelease, { workerId: this.id, reason, leases: held.map((r) => ({ taskId: r.task.id, claimToken: r.task.claimToken })) });
    } catch (e) {
      this.logger.warn({ err: e }, 'could not release leases after the kill switch; they will expire');
    }
    this.logger.warn({ changes: held.length, reason }, 'running changes stopped');
  }

  private wake(): void {
    const w = this.wakeUp;
    this.wakeUp = undefined;
    w?.();
  }

  private waitForWake(ms: number): Promise<void> {
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
    while (!this.stopping) {
      const free = this.config.DEVBOT_CONCURRENCY - this.running.size;
      if (free <= 0 || this.killSwitch.engaged) {
        await this.waitForWake(this.config.DEVBOT_POLL_INTERVAL_MS);
        continue;
      }
      let tasks: ClaimedTaskV1[] = [];
      try {
        tasks = (await this.bus.request(Subjects.taskClaim, {
          workerId: this.id, level: this.config.DEVBOT_LEVEL, capabilities: [DEV_BOT_CAPABILITY], types: [DEV_CHANGE_TASK], max: free,
        }, 5_000)).tasks;
      } catch (e) {
        this.logger.warn({ err: e }, 'claim failed; retrying');
      }
      for (const t of tasks) this.start(t);
      if (tasks.length < free && !this.stopping) await this.waitForWake(this.config.DEVBOT_POLL_INTERVAL_MS);
    }
  }

  private start(task: ClaimedTaskV1): void {
    const entry: Running = { task, controller: new AbortController(), done: Promise.resolve() };
    this.running.set(task.id, entry);
    entry.done = this.execute(entry).finally(() => {
      this.running.delete(task.id);
      this.wake();
    });
  }

  private async execute(entry: Running): Promise<void> {
    const { task } = entry;
    try {
      const outcome = await this.pipeline.run({ task, workerId: this.id, level: this.config.DEVBOT_LEVEL, signal: entry.controller.signal });
      if (entry.abandoned) return;
      if (outcome.kind === 'blocked') {
        const { blocked } = await this.bus.request(Subjects.taskBlock, {
          taskId: task.id, claimToken: task.claimToken, workerId: this.id, blockedOn: outcome.blockedOn, reason: outcome.reason.slice(0, 10_000),
          ...(outcome.blockedOn === 'approval' ? { approvalId: outcome.approvalId } : {}),
        });
        if (!blocked) this.logger.warn({ taskId: task.id }, 'block refused: lease no longer held');
        return;
      }
      await this.finish(task, { outcome: 'succeeded', result: outcome.result });
    } catch (e) {
      if (entry.abandoned) return;
      const terminal = (e as { terminal?: unknown })?.terminal === true;
      this.logger.warn({ err: e, taskId: task.id }, 'dev.change attempt failed');
      await this.finish(task, { outcome: 'failed', error: (e as Error)?.message ?? String(e), retryable: !terminal });
    }
  }

  private async finish(task: ClaimedTaskV1, r: { outcome: 'succeeded' | 'failed'; result?: Record<string, unknown>; error?: string; retryable?: boolean }): Promise<void> {
    try {
      const reply = await this.bus.request(Subjects.taskFinish, {
        workerId: this.id,
        results: [{ taskId: task.id, claimToken: task.claimToken, outcome: r.outcome, ...(r.result ? { result: r.result } : {}),
          ...(r.error !== undefined ? { error: r.error.slice(0, 10_000), retryable: r.retryable ?? true } : {}) }],
      }, 10_000);
      if (reply.rejected.length) this.logger.warn({ taskId: task.id, reason: reply.rejected[0]!.reason }, 'result refused: lease no longer held');
    } catch (e) {
      this.logger.warn({ err: e, taskId: task.id }, 'could not report a result; the lease will expire and the change resumes');
    }
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
      }, Math.max(1_000, this.config.DEVBOT_HEARTBEAT_INTERVAL_MS));
      for (const lost of reply.lost) {
        const entry = this.running.get(lost.taskId);
        if (entry) {
          this.logger.warn({ taskId: lost.taskId, reason: lost.reason }, 'lease lost; stopping that change');
          this.abandon(entry, lost.reason);
        }
      }
    } catch (e) {
      this.logger.warn({ err: e }, 'heartbeat failed; retrying at the next interval');
    }
  }
}
