import { Injectable } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';
import { Subjects, type TaskViewV1 } from '@juggernaut/contracts';
import { Bus } from '@juggernaut/messaging';
import { redactString } from '@juggernaut/observability';

/** Tasks listed in a goal's progress; the counts always cover all of them. */
export const GOAL_TASKS_LISTED = 1_000;

export class GoalTaskSummary {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() type!: string;
  @ApiProperty({ nullable: true, type: String }) title!: string | null;
  @ApiProperty() status!: string;
  @ApiProperty({ type: [String] }) dependsOn!: string[];
  @ApiProperty({ nullable: true, type: String }) reason!: string | null;
}

export class GoalProgressSummary {
  @ApiProperty() total!: number;
  @ApiProperty() succeeded!: number;
  @ApiProperty({ description: 'succeeded / total, 0 when the goal has no tasks.' }) fraction!: number;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'integer' } }) byStatus!: Record<string, number>;
}

export class GoalProgress extends GoalProgressSummary {
  @ApiProperty({ format: 'uuid' }) goalId!: string;
  @ApiProperty({
    type: [GoalTaskSummary],
    description: `The newest ${GOAL_TASKS_LISTED} tasks at most, oldest first (the counts above cover every task).`,
  })
  tasks!: GoalTaskSummary[];
  @ApiProperty({ description: 'True when the goal has more tasks than are listed in `tasks`.' })
  tasksTruncated!: boolean;
}

/** How far a goal has come, rolled up from every task under it (the planner's and its sub-tasks). */
@Injectable()
export class GoalProgressReader {
  constructor(private readonly bus: Bus) {}

  /** The counts over every task of the goal, from the dispatcher (one grouped count). */
  async summary(goalId: string): Promise<GoalProgressSummary> {
    const counts = await this.bus.request(Subjects.taskCount, { goalId });
    const succeeded = counts.byStatus['succeeded'] ?? 0;
    return {
      total: counts.total,
      succeeded,
      fraction: counts.total ? succeeded / counts.total : 0,
      byStatus: counts.byStatus,
    };
  }

  /** The counts, and the newest GOAL_TASKS_LISTED tasks, oldest first. */
  async progress(goalId: string): Promise<GoalProgress> {
    const [summary, tasks] = await Promise.all([this.summary(goalId), this.newestTasks(goalId)]);
    return {
      goalId,
      ...summary,
      tasks: tasks.reverse().map((t) => ({
        id: t.id,
        type: t.type,
        title: t.title && redactString(t.title),
        status: t.status,
        dependsOn: t.dependsOn,
        reason: t.reason && redactString(t.reason),
      })),
      tasksTruncated: summary.total > tasks.length,
    };
  }

  private async newestTasks(goalId: string): Promise<TaskViewV1[]> {
    const tasks: TaskViewV1[] = [];
    let cursor: string | null = null;
    do {
      const limit = Math.min(200, GOAL_TASKS_LISTED - tasks.length);
      const page: { items: TaskViewV1[]; nextCursor: string | null } = await this.bus.request(Subjects.taskList, {
        goalId,
        limit,
        ...(cursor ? { cursor } : {}),
      });
      tasks.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor && tasks.length < GOAL_TASKS_LISTED);
    return tasks;
  }
}
