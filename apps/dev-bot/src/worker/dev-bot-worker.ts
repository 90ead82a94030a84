import { type BeforeApplicationShutdown, Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import type { ClaimedTaskV1 } from '@juggernaut/contracts';
import { ModelClient } from '@juggernaut/llm';
import { Bus } from '@juggernaut/messaging';
import { Metrics } from '@juggernaut/observability';
import { PolicyFollower } from '@juggernaut/policy';
import { APP_CONFIG, LOGGER } from '@juggernaut/service-kit';
import { type RunContext, type TaskOutcome, TaskWorker } from '@juggernaut/worker';
import type { Logger } from 'pino';
import { DEV_BOT_CAPABILITY, DEV_CHANGE_TASK } from '../changes/changes.service';
import type { DevBotEnv } from '../config';
import { ChangePipeline } from '../pipeline/change-pipeline';
import { workerIdOf } from './worker-id';

/**
 * dev-bot as a worker of the task queue: the shared TaskWorker (claims, leases heartbeated at a
 * third of their length, results reported until answered, wake-ups, drain, presence in the worker
 * registry, the kill switch) running the change pipeline for `dev.change` tasks (capability
 * `dev-bot`, its level). A task whose lease is lost is abandoned at once; the next claim resumes the
 * change from its persisted status. Without a model configured it claims nothing.
 */
@Injectable()
export class DevBotWorker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  readonly id: string;
  private readonly worker?: TaskWorker;

  constructor(
    bus: Bus,
    private readonly pipeline: ChangePipeline,
    private readonly model: ModelClient,
    policy: PolicyFollower,
    metrics: Metrics,
    @Inject(APP_CONFIG) private readonly config: DevBotEnv,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.id = workerIdOf(config);
    if (!model.configured) return;
    this.worker = new TaskWorker(
      bus,
      policy,
      logger,
      metrics,
      {
        workerId: this.id,
        level: config.DEVBOT_LEVEL,
        capabilities: [DEV_BOT_CAPABILITY],
        concurrency: config.DEVBOT_CONCURRENCY,
      },
      {
        pollIntervalMs: config.DEVBOT_POLL_INTERVAL_MS,
        heartbeatMaxIntervalMs: config.DEVBOT_HEARTBEAT_INTERVAL_MS,
        presenceIntervalMs: config.DEVBOT_PRESENCE_INTERVAL_MS,
        drainMs: config.DEVBOT_DRAIN_MS,
      },
      [DEV_CHANGE_TASK],
      (task, ctx) => this.execute(task, ctx),
    );
  }

  onApplicationBootstrap(): void {
    if (!this.worker) {
      this.logger.warn(
        'no model configured (OPENAI_BASE_URL or OPENAI_API_KEY): dev.change tasks are not claimed by this process',
      );
      return;
    }
    this.worker.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.worker?.stop();
  }

  private async execute(task: ClaimedTaskV1, ctx: RunContext): Promise<TaskOutcome> {
    try {
      const outcome = await this.pipeline.run({
        task,
        workerId: this.id,
        level: this.config.DEVBOT_LEVEL,
        signal: ctx.signal,
      });
      if (outcome.kind === 'finished') return { kind: 'succeeded', result: outcome.result };
      return {
        kind: 'blocked',
        blockedOn: outcome.blockedOn,
        reason: outcome.reason,
        ...(outcome.blockedOn === 'approval' ? { approvalId: outcome.approvalId } : {}),
      };
    } catch (e) {
      if (ctx.signal.aborted) throw e;
      this.logger.warn({ err: e, taskId: task.id }, 'dev.change attempt failed');
      return {
        kind: 'failed',
        error: (e as Error)?.message ?? String(e),
        retryable: (e as { terminal?: unknown })?.terminal !== true,
      };
    }
  }
}
