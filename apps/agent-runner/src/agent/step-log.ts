import { Inject, Injectable } from '@nestjs/common';
import { type AgentStepLogData, type ClaimedTaskV1, type LogLevel, Subjects } from '@juggernaut/contracts';
import { Bus } from '@juggernaut/messaging';
import { redact } from '@juggernaut/observability';
import { LOGGER } from '@juggernaut/service-kit';
import type { Logger } from 'pino';

/**
 * Writes each agent step to the execution log (through the durable `juggernaut.log.append.v1`
 * stream, so a log line is never lost and never doubled: its `logId` is fixed per task, step and
 * kind). Everything is redacted before it leaves the runner; governance redacts again on store.
 */
@Injectable()
export class StepLog {
  constructor(
    private readonly bus: Bus,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async write(
    task: ClaimedTaskV1,
    workerId: string,
    entry: {
      step: number;
      action: string;
      key: string;
      message: string;
      level?: LogLevel;
      durationMs?: number;
      data?: AgentStepLogData;
    },
  ): Promise<void> {
    const logId = `agent:${task.id}:${entry.step}:${entry.key}`;
    try {
      await this.bus.publish(
        Subjects.logAppend,
        {
          workerId,
          taskId: task.id,
          step: entry.step,
          action: entry.action,
          level: entry.level ?? 'info',
          message: redact(entry.message).slice(0, 10_000),
          logId,
          ...(entry.durationMs !== undefined ? { durationMs: Math.max(0, Math.round(entry.durationMs)) } : {}),
          ...(entry.data ? { outputData: redact(entry.data) as Record<string, unknown> } : {}),
        },
        { msgId: logId },
      );
    } catch (e) {
      // The run goes on; the step is still in the checkpoint and the service log.
      this.logger.warn({ err: e, taskId: task.id, step: entry.step }, 'could not write an execution log line');
    }
  }
}
