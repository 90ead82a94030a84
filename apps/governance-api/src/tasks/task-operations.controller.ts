import { BadRequestException, Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  BulkTasksReplyV1, BulkTasksV1, PauseTaskTypeDto, Subjects, SubmitTaskBatchV1, TaskBatchReplyV1, TaskRetentionV1, TaskTypeLimitsViewV1,
} from '@juggernaut/contracts';
import { Bus } from '@juggernaut/messaging';
import { CurrentCaller } from '../auth/caller.decorator';
import { type Caller, READERS, Roles, WRITERS } from '../auth/roles';

/** The same format as a task's `type` (CreateTaskDto). */
const TASK_TYPE = /^[a-z][a-z0-9_.-]{0,99}$/;

function taskType(type: string): string {
  if (!TASK_TYPE.test(type)) throw new BadRequestException(['type must be lowercase letters, digits, ".", "_" or "-" (at most 100)']);
  return type;
}

/** Operations on many tasks at once: batch submission, bulk cancel and redrive, retention. */
@ApiTags('tasks')
@Controller('tasks')
export class TaskBatchController {
  constructor(private readonly bus: Bus) {}

  @Post('batch')
  @Roles(...WRITERS)
  @ApiOperation({ summary: 'Submit up to 1,000 tasks in one transaction' })
  @ApiCreatedResponse({ type: TaskBatchReplyV1, description: 'Every task is created (or found by its idempotency or unique key), or none is; each answer says which.' })
  batch(@Body() body: SubmitTaskBatchV1): Promise<TaskBatchReplyV1> {
    return this.bus.request(Subjects.taskSubmitBatch, body, 30_000);
  }

  @Post('bulk-cancel')
  @HttpCode(200)
  @Roles('admin', 'operator')
  @ApiOperation({ summary: 'Cancel the unfinished tasks a filter matches (up to 1,000 per call)' })
  @ApiOkResponse({ type: BulkTasksReplyV1 })
  cancel(@Body() body: BulkTasksV1, @CurrentCaller() caller: Caller): Promise<BulkTasksReplyV1> {
    return this.bus.request(Subjects.taskCancelBulk, { ...body, by: caller.name }, 60_000);
  }

  @Post('bulk-retry')
  @HttpCode(200)
  @Roles('admin', 'operator')
  @ApiOperation({ summary: 'Redrive the dead, failed or cancelled tasks a filter matches (up to 1,000 per call)' })
  @ApiOkResponse({ type: BulkTasksReplyV1 })
  retry(@Body() body: BulkTasksV1, @CurrentCaller() caller: Caller): Promise<BulkTasksReplyV1> {
    return this.bus.request(Subjects.taskRetryBulk, { ...body, by: caller.name }, 60_000);
  }
}

@ApiTags('tasks')
@Controller('task-retention')
export class TaskRetentionController {
  constructor(private readonly bus: Bus) {}

  @Get()
  @Roles(...READERS)
  @ApiOperation({ summary: 'How long finished tasks are kept, and the last pruning run' })
  @ApiOkResponse({ type: TaskRetentionV1 })
  get(): Promise<TaskRetentionV1> {
    return this.bus.request(Subjects.taskRetentionGet, {});
  }
}

/** Pausing and resuming a task type. */
@ApiTags('tasks')
@Controller('task-types')
export class TaskTypePauseController {
  constructor(private readonly bus: Bus) {}

  @Post(':type/pause')
  @HttpCode(200)
  @Roles('admin', 'operator')
  @ApiOperation({ summary: 'Pause a task type: none of its tasks is handed out until it is resumed (running ones finish)' })
  @ApiOkResponse({ type: TaskTypeLimitsViewV1 })
  pause(@Param('type') type: string, @Body() body: PauseTaskTypeDto): Promise<TaskTypeLimitsViewV1> {
    return this.bus.request(Subjects.taskTypePause, { type: taskType(type), ...(body.reason ? { reason: body.reason } : {}) });
  }

  @Post(':type/resume')
  @HttpCode(200)
  @Roles('admin', 'operator')
  @ApiOperation({ summary: 'Resume a paused task type' })
  @ApiOkResponse({ type: TaskTypeLimitsViewV1 })
  resume(@Param('type') type: string): Promise<TaskTypeLimitsViewV1> {
    return this.bus.request(Subjects.taskTypeResume, { type: taskType(type) });
  }
}
