import { Injectable, NotFoundException } from '@nestjs/common';
import type { CreateGoalDto, GoalStatus, GoalV1, Page, UpdateGoalDto } from '@juggernaut/contracts';
import { encodeCursor } from '@juggernaut/persistence';
import { DataSource } from 'typeorm';
import type { Caller } from '../auth/roles';
import { AuditLog } from '../audit/audit-log';
import { checkedCursor } from '../http/checked-cursor';
import { GoalProgressReader, type GoalProgressSummary } from './goal-progress';
import { GoalsRepository, toGoal } from './goals.repository';

export type GoalWithProgress = GoalV1 & { progress: GoalProgressSummary };

@Injectable()
export class GoalsService {
  constructor(
    private readonly db: DataSource,
    private readonly repo: GoalsRepository,
    private readonly audit: AuditLog,
    private readonly reader: GoalProgressReader,
  ) {}

  /** Creates a goal; the audit entry commits with it. */
  async create(input: CreateGoalDto, by: Caller): Promise<GoalV1> {
    return this.db.transaction(async (tx) => {
      const goal = toGoal(await this.repo.create(input, by.name, tx));
      await this.audit.record(
        { actor: by, action: 'goal.create', resourceType: 'goals', resourceId: goal.id, after: goal },
        tx,
      );
      return goal;
    });
  }

  /** Changes a goal (title, criteria, budget, status, due date) with its before and after audited. */
  async update(id: string, input: UpdateGoalDto, by: Caller): Promise<GoalV1> {
    return this.db.transaction(async (tx) => {
      const before = await this.repo.lock(id, tx);
      if (!before) throw new NotFoundException(`goal ${id} not found`);
      const after = toGoal(await this.repo.update(id, input, tx));
      await this.audit.record(
        { actor: by, action: 'goal.update', resourceType: 'goals', resourceId: id, before: toGoal(before), after },
        tx,
      );
      return after;
    });
  }

  async get(id: string): Promise<GoalV1> {
    const row = await this.repo.get(id);
    if (!row) throw new NotFoundException(`goal ${id} not found`);
    return toGoal(row);
  }

  /** The goal with its progress rolled up from its tasks. */
  async getWithProgress(id: string): Promise<GoalWithProgress> {
    const goal = await this.get(id);
    return { ...goal, progress: await this.reader.summary(id) };
  }

  async list(status: GoalStatus | undefined, limit = 50, cursor?: string): Promise<Page<GoalV1>> {
    const rows = await this.repo.list(status, limit + 1, checkedCursor(cursor, 'uuid'));
    const last = rows.length > limit ? rows[limit - 1] : undefined;
    return {
      items: rows.slice(0, limit).map(toGoal),
      nextCursor: last ? encodeCursor(last.created_at, last.id) : null,
    };
  }
}
