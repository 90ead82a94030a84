import { Injectable } from '@nestjs/common';
import type { BulkTasksReplyV1, BulkTasksV1, TaskStatus } from '@juggernaut/contracts';
import { SqlWhere } from '@juggernaut/persistence';
import { DataSource } from 'typeorm';
import { DispatchService } from '../dispatch.service';
import { TaskError } from './task-errors';
import { REDRIVABLE, UNFINISHED } from './task-row';

/**
 * Cancel and redrive by filter, up to 1,000 tasks per call, oldest first. Each task goes through the
 * same path as a single cancel or redrive (a running task's runner is told to abort; dependents are
 * cancelled or brought back), so a bulk operation means nothing a single one would not.
 */
@Injectable()
export class BulkOperations {
  constructor(
    private readonly db: DataSource,
    private readonly dispatch: DispatchService,
  ) {}

  async cancel(req: BulkTasksV1): Promise<BulkTasksReplyV1> {
    const reason = req.reason ?? `cancelled in bulk by ${req.by ?? 'a caller'}`;
    return this.apply(req, UNFINISHED, (id) => this.dispatch.cancel(id, reason));
  }

  async retry(req: BulkTasksV1): Promise<BulkTasksReplyV1> {
    return this.apply(req, REDRIVABLE, (id) => this.dispatch.retry(id));
  }

  private async apply(
    req: BulkTasksV1,
    allowed: TaskStatus[],
    act: (id: string) => Promise<unknown>,
  ): Promise<BulkTasksReplyV1> {
    const f = req.filter;
    if (!Object.values(f).some((v) => v !== undefined))
      throw new TaskError(
        400,
        'filter: name at least one of type, status, goalId, parentTaskId, createdBefore, createdAfter',
      );
    if (f.status && !allowed.includes(f.status))
      throw new TaskError(400, `filter.status: only ${allowed.join(', ')} tasks can be taken by this operation`);
    const limit = req.limit ?? 1_000;
    const where = new SqlWhere();
    where.add('status = ANY(?::text[])', f.status ? [f.status] : allowed);
    if (f.type) where.add('type = ?', f.type);
    if (f.goalId) where.add('goal_id = ?', f.goalId);
    if (f.parentTaskId) where.add('parent_task_id = ?', f.parentTaskId);
    if (f.createdBefore) where.add('created_at < ?::timestamptz', f.createdBefore);
    if (f.createdAfter) where.add('created_at > ?::timestamptz', f.createdAfter);
    const rows: Array<{ id: string }> = await this.db.query(
      `SELECT id FROM dispatch.tasks ${where.clause} ORDER BY created_at, id LIMIT ${where.bind(limit + 1)}`,
      where.params,
    );
    const changed: string[] = [];
    const skipped: Array<{ taskId: string; reason: string }> = [];
    for (const { id } of rows.slice(0, limit)) {
      try {
        await act(id);
        changed.push(id);
      } catch (e) {
        // Changed by someone else meanwhile (finished, already cancelled), or refused (a dead dependency): left as it is.
        if (!(e instanceof TaskError)) throw e;
        skipped.push({ taskId: id, reason: e.message });
      }
    }
    return { changed, skipped, more: rows.length > limit };
  }
}
