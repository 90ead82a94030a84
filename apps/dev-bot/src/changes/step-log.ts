import { Inject, Injectable } from '@nestjs/common';
import { type LogLevel, Subjects } from '@juggernaut/contracts';
import { Bus } from '@juggernaut/messaging';
import { redact } from '@juggernaut/observability';
import { APP_CONFIG, LOGGER } from '@juggernaut/service-kit';
import type { Logger } from 'pino';
import type { DevBotEnv } from '../config';
import { workerIdOf } from '../worker/worker-id';

/** A timeline step as stored, to be mirrored into the execution log. */
export interface StoredStep {
  seq: number;
  changeId: string;
  taskId: string | null;
  stage: string;
  message: string;
  data?: Record<string, unknown>;
}

/**
 * Mirrors each step of a change's timeline into the execution log (`juggernaut.log.append.v1`,
 * durable; the log id is fixed per step, so a line is stored once), so `GET /api/v1/logs?taskId=`
 * shows a dev.change task like any agent task. The timeline in `devbot.change_steps` stays the
 * record; a line that cannot be sent is only logged here.
 */
@Injectable()
export class StepLog {
  private readonly workerId: string;

  constructor(
    private readonly bus: Bus,
    @Inject(APP_CONFIG) config: DevBotEnv,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.workerId = workerIdOf(config);
  }

  async publish(steps: StoredStep[]): Promise<void> {
    for (const s of steps) {
      const logId = `devbot:${s.changeId}:${s.seq}`;
      const level: LogLevel = ['failed', 'rejected', 'reverted', 'cancelled'].includes(s.stage) ? 'warn' : 'info';
      try {
        await this.bus.publish(
          Subjects.logAppend,
          {
            workerId: this.workerId,
            action: `devbot.${s.stage}`,
            message: s.message.slice(0, 10_000),
            level,
            logId,
            ...(s.taskId ? { taskId: s.taskId } : {}),
            outputData: redact({ changeId: s.changeId, ...(s.data ?? {}) }),
          },
          { msgId: logId },
        );
      } catch (e) {
        this.logger.warn({ err: e, changeId: s.changeId, seq: s.seq }, 'could not write an execution log line');
      }
    }
  }
}
