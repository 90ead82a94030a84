import { Inject, Injectable } from '@nestjs/common';
import { Subjects, type TaskEventV1 } from '@juggernaut/contracts';
import { Consume } from '@juggernaut/messaging';
import { LOGGER } from '@juggernaut/service-kit';
import type { Logger } from 'pino';
import { ChangesRepository } from '../changes/changes.repository';
import { DEV_CHANGE_TASK } from '../changes/changes.service';
import { ChangePipeline } from './change-pipeline';

/**
 * A change whose task ends outside the pipeline ends with it: a cancelled task cancels its change,
 * a dead one (attempts exhausted, e.g. by workers that kept crashing) fails it with the reason.
 */
@Injectable()
export class TaskOutcomes {
  constructor(
    private readonly changes: ChangesRepository,
    private readonly pipeline: ChangePipeline,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  @Consume(Subjects.taskCancelled, { durable: 'devbot-task-cancelled', deliverPolicy: 'new' })
  cancelled(e: TaskEventV1): Promise<void> {
    return this.apply(e);
  }

  @Consume(Subjects.taskDead, { durable: 'devbot-task-dead', deliverPolicy: 'new' })
  dead(e: TaskEventV1): Promise<void> {
    return this.apply(e);
  }

  async apply(e: TaskEventV1): Promise<void> {
    if (e.type !== DEV_CHANGE_TASK || (e.status !== 'cancelled' && e.status !== 'dead')) return;
    const change = await this.changes.findByTask(e.taskId);
    if (!change) return;
    const closed =
      e.status === 'cancelled'
        ? await this.pipeline.close(change.id, 'cancelled', `its task was cancelled${e.reason ? `: ${e.reason}` : ''}`)
        : await this.pipeline.close(change.id, 'failed', `its task died${e.reason ? `: ${e.reason}` : ''}`);
    if (closed)
      this.logger.info({ changeId: change.id, taskId: e.taskId, status: e.status }, 'change ended with its task');
  }
}
