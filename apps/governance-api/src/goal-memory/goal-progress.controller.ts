import { Controller, Get, Param, ParseUUIDPipe } from '@nestjs/common';
import { ApiOkResponse, ApiProperty, ApiTags } from '@nestjs/swagger';
import { Subjects, type TaskViewV1 } from '@juggernaut/contracts';
import { Bus } from '@juggernaut/messaging';
import { READERS, Roles } from '../auth/roles';

export class GoalTaskSummary {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() type!: string;
  @ApiProperty({ nullable: true, type: String }) title!: string | null;
  @ApiProperty() status!: string;
  @ApiProperty({ type: [String] }) dependsOn!: string[];
  @ApiProperty({ nullable: true, type: String }) reason!: string | null;
}

export class GoalProgress {
  @ApiProperty({ format: 'uuid' }) goalId!: string;
  @ApiProperty() total!: number;
  @ApiProperty() succeeded!: number;
  @ApiProperty({ description: 'succeeded / total, 0 when the goal has no tasks.' }) fraction!: number;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'integer' } }) byStatus!: Record<string, number>;
  @ApiProperty({ type: [GoalTaskSummary] }) tasks!: GoalTaskSummary[];
}

const MAX_TASKS = 1_000;

/** How far a goal has come: the state of every task under it (the planner's and its sub-tasks). */
@ApiTags('goals')
@Controller('goals/:goalId/progress')
export class GoalProgressController {
  constructor(private readonly bus: Bus) {}

  @Get()
  @Roles(...READERS)
  @ApiOkResponse({ type: GoalProgress })
  async progress(@Param('goalId', new ParseUUIDPipe()) goalId: string): Promise<GoalProgress> {
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
