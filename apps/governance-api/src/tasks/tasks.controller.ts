import {
  Body,
  Controller,
  Delete,
  ForbiddenException,
  Get,
  HttpCode,
  Param,
  ParseUUIDPipe,
  Post,
  Put,
  Query,
} from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiCreatedResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiProperty,
  ApiPropertyOptional,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import {
  CreateScheduleDto,
  CreateTaskDto,
  ListTasksV1,
  ScheduleViewV1,
  Subjects,
  TaskHistoryEntryV1,
  TaskPageV1,
  TaskSubmitReplyV1,
  TaskTypeLimitsDto,
  TaskTypeLimitsViewV1,
  TaskViewV1,
} from '@juggernaut/contracts';
import { Bus } from '@juggernaut/messaging';
import { redact } from '@juggernaut/observability';
import { IsOptional, IsString, MaxLength } from 'class-validator';
import { AuditedInHandler } from '../audit/audited.decorator';
import { type AuditTrail, Trail } from '../audit/audit-trail';
import { CurrentCaller } from '../auth/caller.decorator';
import { type Caller, READERS, Roles, RolesAndPolicy, WRITERS } from '../auth/roles';
import { checkedCursor } from '../http/checked-cursor';
import { DeletedResponse } from '../http/response-types';
import { PoliciesService } from '../policies/policies.service';
import { submissionRefusal, withRequester } from './task-submission';
import { TaskTypeParamPipe } from './task-type.pipe';

export class CancelTaskDto {
  @ApiPropertyOptional({ example: 'no longer needed' })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  reason?: string;
}

export class TaskWithHistory extends TaskViewV1 {
  @ApiProperty({ type: [TaskHistoryEntryV1] }) history!: TaskHistoryEntryV1[];
}

const AUDIT_UNAVAILABLE =
  'The audit entry of the intent could not be written, so the request was not sent; or the dispatcher did not answer.';

/**
 * A task as readers see it: payload, result, title and reasons redacted. The dispatcher stores what
 * callers and runners send; whoever may read tasks (every role) must not read the secrets in them.
 */
function readable<T extends Partial<TaskViewV1> & { history?: TaskHistoryEntryV1[] }>(task: T): T {
  return redact(task);
}

/** The task queue, owned by task-dispatcher and reached over NATS. Every change is audited, intent first. */
@ApiTags('tasks')
@Controller('tasks')
@AuditedInHandler()
export class TasksController {
  constructor(
    private readonly bus: Bus,
    private readonly policies: PoliciesService,
  ) {}

  @Post()
  @RolesAndPolicy(
    'An admin, operator or agent key may also be refused by the policy (permissions.taskSubmitters, permissions.agentMaxSubmitLevel): the message names the rule.',
    ...WRITERS,
  )
  @ApiOperation({
    summary:
      'Submit a task; payload.requestedBy, when the task carries one (dev.change always does), is set to the name of the calling key',
  })
  @ApiCreatedResponse({
    type: TaskSubmitReplyV1,
    description: 'The same idempotencyKey returns the task already created.',
  })
  @ApiBadRequestResponse({
    description:
      'A field is invalid, or holds text that cannot be stored (NUL, a lone UTF-16 surrogate); the message names it.',
  })
  @ApiServiceUnavailableResponse({ description: AUDIT_UNAVAILABLE })
  async create(
    @Body() body: CreateTaskDto,
    @CurrentCaller() caller: Caller,
    @Trail() trail: AuditTrail,
  ): Promise<TaskSubmitReplyV1> {
    const refusal = submissionRefusal((await this.policies.current()).permissions, caller.role, body);
    if (refusal) throw new ForbiddenException(refusal);
    const payload = withRequester(body.type, body.payload, caller.name);
    const task = { ...body, ...(payload ? { payload } : {}) };
    return trail.forward(() => this.bus.request(Subjects.taskSubmit, task));
  }

  @Get()
  @Roles(...READERS)
  @ApiOkResponse({ type: TaskPageV1, description: 'Payloads, results and reasons with secrets redacted.' })
  @ApiBadRequestResponse({ description: 'A filter is invalid, or the cursor is not one this list returned.' })
  async list(@Query() q: ListTasksV1): Promise<TaskPageV1> {
    checkedCursor(q.cursor, 'uuid');
    const page = await this.bus.request(Subjects.taskList, q);
    return { ...page, items: page.items.map(readable) };
  }

  @Get(':id')
  @Roles(...READERS)
  @ApiOkResponse({
    type: TaskWithHistory,
    description: 'The task with every state change it went through; payload, result and reasons with secrets redacted.',
  })
  @ApiNotFoundResponse({ description: 'No task with this id.' })
  async get(@Param('id', new ParseUUIDPipe()) id: string): Promise<TaskWithHistory> {
    return readable(await this.bus.request(Subjects.taskGet, { id }));
  }

  @Get(':id/events')
  @Roles(...READERS)
  @ApiOkResponse({ type: [TaskHistoryEntryV1] })
  @ApiNotFoundResponse({ description: 'No task with this id.' })
  async events(@Param('id', new ParseUUIDPipe()) id: string): Promise<TaskHistoryEntryV1[]> {
    return redact((await this.bus.request(Subjects.taskGet, { id })).history);
  }

  @Post(':id/cancel')
  @HttpCode(200)
  @Roles('admin', 'operator')
  @ApiOkResponse({ type: TaskViewV1, description: 'A running task loses its lease at once and its runner aborts it.' })
  @ApiServiceUnavailableResponse({ description: AUDIT_UNAVAILABLE })
  async cancel(
    @Param('id', new ParseUUIDPipe()) id: string,
    @Body() body: CancelTaskDto,
    @CurrentCaller() caller: Caller,
    @Trail() trail: AuditTrail,
  ): Promise<TaskViewV1> {
    return readable(
      await trail.forward(() =>
        this.bus.request(Subjects.taskCancel, { id, by: caller.name, ...(body.reason ? { reason: body.reason } : {}) }),
      ),
    );
  }

  @Post(':id/retry')
  @HttpCode(200)
  @Roles('admin', 'operator')
  @ApiOkResponse({ type: TaskViewV1, description: 'Redrives a dead, failed or cancelled task with fresh attempts.' })
  @ApiServiceUnavailableResponse({ description: AUDIT_UNAVAILABLE })
  async retry(@Param('id', new ParseUUIDPipe()) id: string, @Trail() trail: AuditTrail): Promise<TaskViewV1> {
    return readable(await trail.forward(() => this.bus.request(Subjects.taskRetry, { id })));
  }
}

/** Cron schedules that create one task per tick. */
@ApiTags('tasks')
@Controller('schedules')
@AuditedInHandler()
export class SchedulesController {
  constructor(private readonly bus: Bus) {}

  @Post()
  @Roles('admin', 'operator')
  @ApiCreatedResponse({ type: ScheduleViewV1 })
  @ApiServiceUnavailableResponse({ description: AUDIT_UNAVAILABLE })
  create(@Body() body: CreateScheduleDto, @Trail() trail: AuditTrail): Promise<ScheduleViewV1> {
    return trail.forward(() => this.bus.request(Subjects.scheduleCreate, body));
  }

  @Get()
  @Roles(...READERS)
  @ApiOkResponse({ type: [ScheduleViewV1] })
  async list(): Promise<ScheduleViewV1[]> {
    return redact(await this.bus.request(Subjects.scheduleList, {}));
  }

  @Delete(':name')
  @Roles('admin', 'operator')
  @ApiOkResponse({ type: DeletedResponse })
  @ApiServiceUnavailableResponse({ description: AUDIT_UNAVAILABLE })
  delete(@Param('name') name: string, @Trail() trail: AuditTrail): Promise<{ deleted: boolean }> {
    return trail.forward(() => this.bus.request(Subjects.scheduleDelete, { name }));
  }
}

/** Per-type concurrency caps, rate limits and lease lengths. */
@ApiTags('tasks')
@Controller('task-types')
@AuditedInHandler()
export class TaskTypesController {
  constructor(private readonly bus: Bus) {}

  @Get('limits')
  @Roles(...READERS)
  @ApiOkResponse({ type: [TaskTypeLimitsViewV1] })
  list(): Promise<TaskTypeLimitsViewV1[]> {
    return this.bus.request(Subjects.taskTypeLimitsList, {});
  }

  @Put(':type/limits')
  @Roles('admin')
  @ApiParam({
    name: 'type',
    description:
      'A task type, in the format of CreateTaskDto.type: lowercase letters, digits, ".", "_" or "-", starting with a letter; at most 100 characters.',
  })
  @ApiOkResponse({ type: TaskTypeLimitsViewV1 })
  @ApiBadRequestResponse({
    description: 'The type is not a task type name, or a limit is invalid; the message names it.',
  })
  @ApiServiceUnavailableResponse({ description: AUDIT_UNAVAILABLE })
  set(
    @Param('type', new TaskTypeParamPipe()) type: string,
    @Body() body: TaskTypeLimitsDto,
    @Trail() trail: AuditTrail,
  ): Promise<TaskTypeLimitsViewV1> {
    return trail.forward(() => this.bus.request(Subjects.taskTypeLimitsSet, { ...body, type }));
  }
}
