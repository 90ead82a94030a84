import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Post, Put, Query } from '@nestjs/common';
import { ApiOkResponse, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import {
  CreateScheduleDto, CreateTaskDto, ListTasksV1, type ScheduleViewV1, Subjects, TaskHistoryEntryV1, TaskPageV1,
  TaskSubmitReplyV1, TaskTypeLimitsDto, type TaskTypeLimitsViewV1, TaskViewV1,
} from '@juggernaut/contracts';
import { Bus } from '@juggernaut/messaging';
import { IsOptional, IsString, MaxLength } from 'class-validator';
import { CurrentCaller } from '../auth/caller.decorator';
import { type Caller, READERS, Roles, WRITERS } from '../auth/roles';

export class CancelTaskDto {
  @ApiPropertyOptional({ example: 'no longer needed' }) @IsOptional() @IsString() @MaxLength(2000)
  reason?: string;
}

export class TaskWithHistory extends TaskViewV1 {
  @ApiProperty({ type: [TaskHistoryEntryV1] }) history!: TaskHistoryEntryV1[];
}

/** The task queue, owned by task-dispatcher and reached over NATS. */
@ApiTags('tasks')
@Controller('tasks')
export class TasksController {
  constructor(private readonly bus: Bus) {}

  @Post()
  @Roles(...WRITERS)
  @ApiOkResponse({ type: TaskSubmitReplyV1, description: 'The same idempotencyKey returns the task already created.' })
  create(@Body() body: CreateTaskDto): Promise<TaskSubmitReplyV1> {
    return this.bus.request(Subjects.taskSubmit, body);
  }

  @Get()
  @Roles(...READERS)
  @ApiOkResponse({ type: TaskPageV1 })
  list(@Query() q: ListTasksV1): Promise<TaskPageV1> {
    return this.bus.request(Subjects.taskList, q);
  }

  @Get(':id')
  @Roles(...READERS)
  @ApiOkResponse({ type: TaskWithHistory, description: 'The task with every state change it went through.' })
  get(@Param('id', new ParseUUIDPipe()) id: string): Promise<TaskWithHistory> {
    return this.bus.request(Subjects.taskGet, { id });
  }

  @Get(':id/events')
  @Roles(...READERS)
  @ApiOkResponse({ type: [TaskHistoryEntryV1] })
  async events(@Param('id', new ParseUUIDPipe()) id: string): Promise<TaskHistoryEntryV1[]> {
    return (await this.bus.request(Subjects.taskGet, { id })).history;
  }

  @Post(':id/cancel')
  @HttpCode(200)
  @Roles('admin', 'operator')
  @ApiOkResponse({ type: TaskViewV1, description: 'A running task loses its lease at once and its runner aborts it.' })
  cancel(@Param('id', new ParseUUIDPipe()) id: string, @Body() body: CancelTaskDto, @CurrentCaller() caller: Caller): Promise<TaskViewV1> {
    return this.bus.request(Subjects.taskCancel, { id, by: caller.name, ...(body.reason ? { reason: body.reason } : {}) });
  }

  @Post(':id/retry')
  @HttpCode(200)
  @Roles('admin', 'operator')
  @ApiOkResponse({ type: TaskViewV1, description: 'Redrives a dead, failed or cancelled task with fresh attempts.' })
  retry(@Param('id', new ParseUUIDPipe()) id: string): Promise<TaskViewV1> {
    return this.bus.request(Subjects.taskRetry, { id });
  }
}

/** Cron schedules that create one task per tick. */
@ApiTags('tasks')
@Controller('schedules')
export class SchedulesController {
  constructor(private readonly bus: Bus) {}

  @Post()
  @Roles('admin', 'operator')
  create(@Body() body: CreateScheduleDto): Promise<ScheduleViewV1> {
    return this.bus.request(Subjects.scheduleCreate, body);
  }

  @Get()
  @Roles(...READERS)
  list(): Promise<ScheduleViewV1[]> {
    return this.bus.request(Subjects.scheduleList, {});
  }

  @Delete(':name')
  @Roles('admin', 'operator')
  delete(@Param('name') name: string): Promise<{ deleted: boolean }> {
    return this.bus.request(Subjects.scheduleDelete, { name });
  }
}

/** Per-type concurrency caps, rate limits and lease lengths. */
@ApiTags('tasks')
@Controller('task-types')
export class TaskTypesController {
  constructor(private readonly bus: Bus) {}

  @Get('limits')
  @Roles(...READERS)
  list(): Promise<TaskTypeLimitsViewV1[]> {
    return this.bus.request(Subjects.taskTypeLimitsList, {});
  }

  @Put(':type/limits')
  @Roles('admin')
  set(@Param('type') type: string, @Body() body: TaskTypeLimitsDto): Promise<TaskTypeLimitsViewV1> {
    return this.bus.request(Subjects.taskTypeLimitsSet, { ...body, type });
  }
}
