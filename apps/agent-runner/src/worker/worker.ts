import { type BeforeApplicationShutdown, Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { type ClaimedTaskV1, MODEL_CAPABILITY, Subjects } from '@juggernaut/contracts';
import { ModelClient } from '@juggernaut/llm';
import { Bus } from '@juggernaut/messaging';
import { Metrics } from '@juggernaut/observability';
import { PolicyFollower } from '@juggernaut/policy';
import { APP_CONFIG, LOGGER } from '@juggernaut/service-kit';
import { LeaseGoneError, type RunContext, type TaskOutcome, TaskWorker } from '@juggernaut/worker';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { RunnerEnv } from '../config';
import { BlockTaskError, isTerminal, SnoozeTaskError, TASK_HANDLERS, type TaskHandler } from '../handlers/task-handler';

/**
 * The agent-runner process as a worker of the task queue: the shared TaskWorker (claims, leases,
 * heartbeats, results reported until answered, the kill switch, drain) running this runner's task
 * handlers, one per type it may take at its level.
 */
@Injectable()
export class Worker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  readonly id: string;
  private readonly handlers: Map<string, TaskHandler>;
  private readonly worker: TaskWorker;

  constructor(
    private readonly bus: Bus,
    @Inject(APP_CONFIG) private readonly config: RunnerEnv,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(TASK_HANDLERS) handlers: TaskHandler[],
    metrics: Metrics,
    policy: PolicyFollower,
    private readonly model: ModelClient,
  ) {
    this.id = config.HOSTNAME ?? hostname();
    this.handlers = new Map(handlers.filter((h) => (h.minLevel ?? 1) <= config.RUNNER_LEVEL).map((h) => [h.type, h]));
    // A runner with a model says so: conversation answers (someone waits for them) go only to runners that can write them.
    const capabilities = model.configured
      ? [...new Set([...config.RUNNER_CAPABILITIES, MODEL_CAPABILITY])]
      : config.RUNNER_CAPABILITIES;
    this.worker = new TaskWorker(
      bus,
      policy,
      logger,
      metrics,
      { workerId: this.id, level: config.RUNNER_LEVEL, capabilities, concurrency: config.RUNNER_CONCURRENCY },
      {
        pollIntervalMs: config.RUNNER_POLL_INTERVAL_MS,
        claimWaitMs: config.RUNNER_CLAIM_WAIT_MS,
        heartbeatMaxIntervalMs: config.RUNNER_HEARTBEAT_INTERVAL_MS,
        presenceIntervalMs: config.RUNNER_PRESENCE_INTERVAL_MS,
        drainMs: config.RUNNER_DRAIN_MS,
      },
      [...this.handlers.keys()],
      (task, ctx) => this.execute(task, ctx),
    );
  }

  get runningTaskIds(): string[] {
    return this.worker.runningTaskIds;
  }

  onApplicationBootstrap(): void {
    this.worker.start();
    void this.releaseWaitingForModel();
  }

  /** SIGTERM: stop claiming, drain, hand back what is left, go offline. */
  async beforeApplicationShutdown(): Promise<void> {
    await this.worker.stop();
  }

  /** Runs the type's handler; its errors say how the run ended (blocked, terminal, retryable). */
  private async execute(task: ClaimedTaskV1, ctx: RunContext): Promise<TaskOutcome> {
    const handler = this.handlers.get(task.type)!;
    try {
      const result = await handler.run(task.payload, {
        task,
        workerId: this.id,
        level: this.config.RUNNER_LEVEL,
        signal: ctx.signal,
        checkpoint: ctx.checkpoint,
      });
      return { kind: 'succeeded', ...(result ? { result } : {}) };
    } catch (e) {
      if (e instanceof BlockTaskError)
        return {
          kind: 'blocked',
          blockedOn: e.blockedOn,
          reason: e.message,
          ...(e.approvalId ? { approvalId: e.approvalId } : {}),
        };
      if (e instanceof SnoozeTaskError) return { kind: 'snoozed', delayMs: e.delayMs, reason: e.message };
      if (e instanceof LeaseGoneError) throw e;
      return { kind: 'failed', error: (e as Error)?.message ?? String(e), retryable: !isTerminal(e) };
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
}
