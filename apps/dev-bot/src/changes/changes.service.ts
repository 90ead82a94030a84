import { Inject, Injectable } from '@nestjs/common';
import { type ChangeViewV1, type CreateChangeV1, Subjects } from '@juggernaut/contracts';
import { Bus } from '@juggernaut/messaging';
import { APP_CONFIG, LOGGER } from '@juggernaut/service-kit';
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { DevBotEnv } from '../config';
import { DevBotError } from '../dev-bot-errors';
import { RepositoriesRepository } from '../repositories/repositories.repository';
import { branchFor, titleFrom } from './branch-name';
import { type ChangeRow, ChangesRepository } from './changes.repository';

/** The task type dev-bot claims; the dispatcher gives it only to workers with the `dev-bot` capability at level 4+. */
export const DEV_CHANGE_TASK = 'dev.change';
export const DEV_CHANGE_LEVEL = 4;
export const DEV_BOT_CAPABILITY = 'dev-bot';

/** Filing change requests: from the API (a change, then its task) or from a task an agent submitted. */
@Injectable()
export class ChangesService {
  constructor(
    private readonly changes: ChangesRepository,
    private readonly repositories: RepositoriesRepository,
    private readonly bus: Bus,
    @Inject(APP_CONFIG) private readonly config: DevBotEnv,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** Stores the change (queued) and submits the `dev.change` task that will carry it out. */
  async create(dto: CreateChangeV1): Promise<ChangeViewV1> {
    const row = await this.store(dto, null);
    try {
      const task = await this.bus.request(Subjects.taskSubmit, {
        type: DEV_CHANGE_TASK,
        title: row.title.slice(0, 200),
        payload: { changeId: row.id },
        requiredLevel: DEV_CHANGE_LEVEL,
        requiredCapabilities: [DEV_BOT_CAPABILITY],
        idempotencyKey: `change:${row.id}`,
      });
      await this.changes.setTask(row.id, task.id);
    } catch (e) {
      this.logger.error({ err: e, changeId: row.id }, 'could not queue the dev.change task');
      await this.changes.advance(row.id, 'failed', 'the task that carries out the change could not be queued', {
        reason: `the dispatcher did not accept the dev.change task: ${(e as Error).message}`,
      });
    }
    return this.get(row.id);
  }

  /** The change an agent's `dev.change` task (payload {repository, targetBranch?, goal, title?}) asks for; one per task. */
  async forTask(taskId: string, payload: Record<string, unknown>): Promise<ChangeRow> {
    const dto: CreateChangeV1 = {
      repository: stringField(payload, 'repository'),
      goal: stringField(payload, 'goal'),
      ...(typeof payload['targetBranch'] === 'string' ? { targetBranch: payload['targetBranch'] } : {}),
      ...(typeof payload['title'] === 'string' && payload['title'].trim() ? { title: payload['title'] } : {}),
      ...(typeof payload['requestedBy'] === 'string' ? { requestedBy: payload['requestedBy'] } : {}),
    };
    return this.store(dto, taskId);
  }

  async get(id: string): Promise<ChangeViewV1> {
    const view = await this.changes.view(id);
    if (!view) throw new DevBotError(404, `change ${id} not found`);
    return view;
  }

  private async store(dto: CreateChangeV1, taskId: string | null): Promise<ChangeRow> {
    const repo = await this.repositories.get(dto.repository);
    const id = randomUUID();
    const title = dto.title?.trim() || titleFrom(dto.goal);
    return this.changes.insert({
      id,
      repository: repo.name,
      targetBranch: dto.targetBranch ?? repo.defaultBranch,
      branch: branchFor(id, title),
      title,
      goal: dto.goal,
      requestedBy: dto.requestedBy ?? null,
      taskId,
      maxAttempts: this.config.DEVBOT_MAX_ATTEMPTS,
      currency: this.config.AGENT_CURRENCY,
    });
  }
}

function stringField(payload: Record<string, unknown>, field: string): string {
  const v = payload[field];
  if (typeof v !== 'string' || !v.trim()) throw new DevBotError(400, `payload.${field} must be a non-empty string`);
  return v;
}
