import { Body, Controller, ForbiddenException, Get, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiCreatedResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import {
  CreateTaskDto,
  Operations,
  Subjects,
  SubmitTaskBatchV1,
  TaskBatchReplyV1,
  TaskHistoryEntryV1,
  TaskSubmitReplyV1,
} from '@juggernaut/contracts';
import { Bus } from '@juggernaut/messaging';
import { redact } from '@juggernaut/observability';
import { AuditedInHandler } from '../audit/audited.decorator';
import { type AuditTrail, Trail } from '../audit/audit-trail';
import { CurrentCaller } from '../auth/caller.decorator';
import { type Caller, READERS, Roles, RolesAndPolicy, WRITERS } from '../auth/roles';
import { PoliciesService } from '../policies/policies.service';
import { submissionRefusal, withRequester } from './task-submission';

const AUDIT_UNAVAILABLE =
  'The audit entry of the intent could not be written, so the request was not sent; or the dispatcher did not answer.';
const INVALID_TASK =
  'A field is invalid, or holds text that cannot be stored (NUL, a lone UTF-16 surrogate); the message names it.';

/**
 * What governance-api adds to the task queue (owned by task-dispatcher) beyond the routes the
 * gateway builds from libs/contracts: submission checked against the policy, and a task's history.
 * Every change is audited, intent first.
 */
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
  @ApiBadRequestResponse({ description: INVALID_TASK })
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

  @Get(':id/events')
  @Roles(...READERS)
  @ApiOkResponse({ type: [TaskHistoryEntryV1] })
  @ApiNotFoundResponse({ description: 'No task with this id.' })
  async events(@Param('id', new ParseUUIDPipe()) id: string): Promise<TaskHistoryEntryV1[]> {
    return redact((await this.bus.request(Subjects.taskGet, { id })).history);
  }
}

/** Batch submission, each task checked against the policy as POST /tasks checks one. Audited, intent first. */
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
  @ApiBadRequestResponse({ description: INVALID_TASK })
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
    return trail.forward(() =>
      this.bus.request(Subjects.taskSubmitBatch, { tasks }, Operations.taskSubmitBatch.timeoutMs),
    );
  }
}
