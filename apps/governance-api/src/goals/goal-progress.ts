import { Injectable } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';
import { Subjects, type TaskViewV1 } from '@juggernaut/contracts';
import { Bus } from '@juggernaut/messaging';

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
  @ApiProperty({ type: [GoalTaskSummary], description: 'Oldest first.' }) tasks!: GoalTaskSummary[];
}

const MAX_TASKS = 1_000;

/** How far a goal has come, rolled up from every task under it (the planner's and its sub-tasks). */
@Injectable()
export class GoalProgressReader {
  constructor(private readonly bus: Bus) {}

  async progress(goalId: string): Promise<GoalProgress> {
    const tasks: TaskViewV1[] = [];
    let cursor: string | null = null;
    do {
      const page: { items: TaskViewV1[]; nextCursor: string | null } = await this.bus.request(Subjects.taskList, { goalId, limit: 200, ...(cursor ? { cursor } : {}) });
      tasks.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor && tasks.length < MAX_TASKS);
    const byStatus: Record<string, number> = {};
    for (const t of tasks) byStatus[t.status] = (byStatus[t.status] ?? 0) + 1;
    const succeeded = byStatus['succeeded'] ?? 0;
    return {
      goalId, total: tasks.length, succeeded, fraction: tasks.length ? succeeded / tasks.length : 0, byStatus,
      tasks: tasks.reverse().map((t) => ({ id: t.id, type: t.type, title: t.title, status: t.status, dependsOn: t.dependsOn, reason: t.reason })),
    };
  }
}
