import { Body, Controller, ForbiddenException, Get, HttpCode, Param, Post } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiCreatedResponse,
  ApiOkResponse,
  ApiOperation,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import {
  BulkTasksReplyV1,
  BulkTasksV1,
  PauseTaskTypeDto,
  Subjects,
  SubmitTaskBatchV1,
  TaskBatchReplyV1,
  TaskRetentionV1,
  TaskTypeLimitsViewV1,
} from '@juggernaut/contracts';
import { Bus } from '@juggernaut/messaging';
import { AuditedInHandler } from '../audit/audited.decorator';
import { type AuditTrail, Trail } from '../audit/audit-trail';
import { CurrentCaller } from '../auth/caller.decorator';
import { type Caller, READERS, Roles, RolesAndPolicy, WRITERS } from '../auth/roles';
import { PoliciesService } from '../policies/policies.service';
import { submissionRefusal, withRequester } from './task-submission';
import { TaskTypeParamPipe } from './task-type.pipe';

const AUDIT_UNAVAILABLE =
  'The audit entry of the intent could not be written, so the request was not sent; or the dispatcher did not answer.';

/** Operations on many tasks at once: batch submission, bulk cancel and redrive, retention. Every change is audited, intent first. */
@ApiTags('tasks')
@Controller('tasks')
@AuditedInHandler()
export class TaskBatchController {
  constructor(
    private readonly bus: Bus,
    private readonly policies: PoliciesService,
  ) {}

  @Post('batch')
  @RolesAndPolicy(
    'Each task must also be one the policy lets the key submit (as POST /tasks): a refusal names the task and the rule, and none is created.',
    ...WRITERS,
  )
  @ApiOperation({
    summary:
      'Submit up to 1,000 tasks in one transaction (payload.requestedBy, where a task carries one, is set to the calling key)',
  })
  @ApiCreatedResponse({
    type: TaskBatchReplyV1,
    description:
      'Every task is created (or found by its idempotency or unique key), or none is; each answer says which.',
  })
  @ApiBadRequestResponse({
    description:
      'A field is invalid, or holds text that cannot be stored (NUL, a lone UTF-16 surrogate); the message names it.',
  })
  @ApiServiceUnavailableResponse({ description: AUDIT_UNAVAILABLE })
  async batch(
    @Body() body: SubmitTaskBatchV1,
    @CurrentCaller() caller: Caller,
    @Trail() trail: AuditTrail,
  ): Promise<TaskBatchReplyV1> {
    const { permissions } = await this.policies.current();
    const tasks = body.tasks.map((task, i) => {
      const refusal = submissionRefusal(permissions, caller.role, task);
      if (refusal) throw new ForbiddenException(`tasks.${i}: ${refusal}`);
      const payload = withRequester(task.type, task.payload, caller.name);
      return { ...task, ...(payload ? { payload } : {}) };
    });
    return trail.forward(() => this.bus.request(Subjects.taskSubmitBatch, { tasks }, 30_000));
  }

  @Post('bulk-cancel')
  @HttpCode(200)
  @Roles('admin', 'operator')
  @ApiOperation({ summary: 'Cancel the unfinished tasks a filter matches (up to 1,000 per call)' })
  @ApiOkResponse({ type: BulkTasksReplyV1 })
  @ApiServiceUnavailableResponse({ description: AUDIT_UNAVAILABLE })
  cancel(
    @Body() body: BulkTasksV1,
    @CurrentCaller() caller: Caller,
    @Trail() trail: AuditTrail,
  ): Promise<BulkTasksReplyV1> {
    return trail.forward(() => this.bus.request(Subjects.taskCancelBulk, { ...body, by: caller.name }, 60_000));
  }

  @Post('bulk-retry')
  @HttpCode(200)
  @Roles('admin', 'operator')
  @ApiOperation({ summary: 'Redrive the dead, failed or cancelled tasks a filter matches (up to 1,000 per call)' })
  @ApiOkResponse({ type: BulkTasksReplyV1 })
  @ApiServiceUnavailableResponse({ description: AUDIT_UNAVAILABLE })
  retry(
    @Body() body: BulkTasksV1,
    @CurrentCaller() caller: Caller,
    @Trail() trail: AuditTrail,
  ): Promise<BulkTasksReplyV1> {
    return trail.forward(() => this.bus.request(Subjects.taskRetryBulk, { ...body, by: caller.name }, 60_000));
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

/** Pausing and resuming a task type. Every change is audited, intent first. */
@ApiTags('tasks')
@Controller('task-types')
@AuditedInHandler()
export class TaskTypePauseController {
  constructor(private readonly bus: Bus) {}

  @Post(':type/pause')
  @HttpCode(200)
  @Roles('admin', 'operator')
  @ApiOperation({
    summary: 'Pause a task type: none of its tasks is handed out until it is resumed (running ones finish)',
  })
  @ApiOkResponse({ type: TaskTypeLimitsViewV1 })
  @ApiBadRequestResponse({ description: 'The type is not a task type name (the format of CreateTaskDto.type).' })
  @ApiServiceUnavailableResponse({ description: AUDIT_UNAVAILABLE })
  pause(
    @Param('type', new TaskTypeParamPipe()) type: string,
    @Body() body: PauseTaskTypeDto,
    @Trail() trail: AuditTrail,
  ): Promise<TaskTypeLimitsViewV1> {
    return trail.forward(() =>
      this.bus.request(Subjects.taskTypePause, { type, ...(body.reason ? { reason: body.reason } : {}) }),
    );
  }

  @Post(':type/resume')
  @HttpCode(200)
  @Roles('admin', 'operator')
  @ApiOperation({ summary: 'Resume a paused task type' })
  @ApiOkResponse({ type: TaskTypeLimitsViewV1 })
  @ApiBadRequestResponse({ description: 'The type is not a task type name (the format of CreateTaskDto.type).' })
  @ApiServiceUnavailableResponse({ description: AUDIT_UNAVAILABLE })
  resume(
    @Param('type', new TaskTypeParamPipe()) type: string,
    @Trail() trail: AuditTrail,
  ): Promise<TaskTypeLimitsViewV1> {
    return trail.forward(() => this.bus.request(Subjects.taskTypeResume, { type }));
  }
}
