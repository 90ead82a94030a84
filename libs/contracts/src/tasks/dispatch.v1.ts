import { PageQuery } from '../common/pagination';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsISO8601,
  IsNotEmpty,
  IsObject,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import { MAX_NAME, MAX_TEXT } from '../common/validation';
import { CreateTaskDto, RetryPolicyDto, TASK_STATUSES, type TaskStatus, TaskSubmitReplyV1 } from './task.v1';

/** A runner asking for work: who it is, what it can do, how many slots are free. */
export class ClaimTasksV1 {
  @IsString()
  @IsNotEmpty()
  @MaxLength(MAX_NAME)
  workerId!: string;

  @IsInt()
  @Min(1)
  @Max(5)
  level!: number;

  @IsArray()
  @ArrayMaxSize(100)
  @IsString({ each: true })
  capabilities!: string[];

  /** Task types this runner has handlers for. */
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(200)
  @IsString({ each: true })
  types!: string[];

  @IsInt()
  @Min(1)
  @Max(1000)
  max!: number;

  /**
   * Names this claim request, so a runner that never got its answer can hand its leases back by
   * this id (`task.release` with `claimIds`) without burning an attempt.
   */
  @IsOptional()
  @IsUUID()
  claimId?: string;

  /**
   * How long the runner waits for the answer. A claim the dispatcher cannot commit well within it is
   * rolled back and answered empty, so no lease is handed to a runner that stopped listening.
   */
  @IsOptional()
  @IsInt()
  @Min(100)
  @Max(600_000)
  timeoutMs?: number;

  /**
   * When nothing can be claimed now, the dispatcher may hold the request up to this long and answer
   * it as soon as work is submitted or becomes claimable (one hop from submission to the runner),
   * else answer it empty when the time is up. Bounded by the dispatcher to well within `timeoutMs`.
   * Absent or 0: answered at once.
   */
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(30_000)
  waitMs?: number;
}

export class ClaimedTaskV1 {
  id!: string;
  type!: string;
  title!: string | null;
  payload!: Record<string, unknown>;
  attempt!: number;
  maxAttempts!: number;
  claimToken!: string;
  leaseExpiresAt!: string;
  leaseMs!: number;
  goalId!: string | null;
  budgetMinor!: number | null;
  createdAt!: string;
  /** Checkpoint the previous attempt left, so work resumes where it stopped. */
  checkpoint!: Record<string, unknown> | null;
  /** The attempt's execution timeout (null: none): past it the worker aborts the run and the dispatcher extends no lease. */
  timeoutMs!: number | null;
}

export class LeaseRefV1 {
  @IsUUID() taskId!: string;
  @IsUUID() claimToken!: string;
}

export class HeartbeatLeasesV1 {
  @IsString()
  @IsNotEmpty()
  @MaxLength(MAX_NAME)
  workerId!: string;

  @IsArray()
  @ArrayMaxSize(2000)
  @ValidateNested({ each: true })
  @Type(() => LeaseRefV1)
  leases!: LeaseRefV1[];
}

export class HeartbeatReplyV1 {
  /** Leases extended, with their new expiry. */
  extended!: Array<{ taskId: string; leaseExpiresAt: string }>;
  /** Leases this worker no longer holds (expired and reclaimed, cancelled): stop that work now. */
  lost!: Array<{ taskId: string; reason: string }>;
}

export const TASK_OUTCOMES = ['succeeded', 'failed'] as const;

export class TaskResultV1 {
  @IsUUID() taskId!: string;
  @IsUUID() claimToken!: string;

  @IsIn(TASK_OUTCOMES)
  outcome!: (typeof TASK_OUTCOMES)[number];

  @IsOptional()
  @IsObject()
  result?: Record<string, unknown>;

  @IsOptional()
  @IsString()
  @MaxLength(MAX_TEXT)
  error?: string;

  /** For failures: whether another attempt may succeed. Terminal failures go straight to `dead`. */
  @IsOptional()
  @IsBoolean()
  retryable?: boolean;
}

/**
 * Completions and failures, batched: each is applied only if its claim token is still current.
 * Each result is validated on its own (`TaskResultV1`), so one malformed entry is refused alone
 * and never fails its batch-mates; an `error` longer than the limit is cut, not refused.
 */
export class FinishTasksV1 {
  @IsString()
  @IsNotEmpty()
  @MaxLength(MAX_NAME)
  workerId!: string;

  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(2000)
  @IsObject({ each: true })
  results!: Array<TaskResultV1 | Record<string, unknown>>;
}

export class FinishReplyV1 {
  /**
   * Results applied now, and (`alreadyDone`) results of an attempt this token had already finished:
   * a finish retried after a lost answer is answered, never applied twice.
   */
  accepted!: Array<{ taskId: string; status: TaskStatus; alreadyDone?: boolean }>;
  /** Results refused: a stale claim token (the lease is gone), or an invalid entry. */
  rejected!: Array<{ taskId: string; reason: string }>;
}

/**
 * Hands leases back without burning an attempt: a draining runner names its leases; a runner that
 * never received a claim's answer names the claim (`claimIds`).
 */
export class ReleaseTasksV1 {
  @IsString()
  @IsNotEmpty()
  @MaxLength(MAX_NAME)
  workerId!: string;

  @ValidateIf((o: ReleaseTasksV1) => o.claimIds === undefined || o.leases !== undefined)
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(2000)
  @ValidateNested({ each: true })
  @Type(() => LeaseRefV1)
  leases?: LeaseRefV1[];

  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(100)
  @IsUUID('all', { each: true })
  claimIds?: string[];

  @IsString()
  @MaxLength(MAX_NAME)
  reason!: string;
}

/** A running task asks to run again later, with a reason; the attempt is not counted. Fenced by the claim token. */
export class SnoozeTaskV1 extends LeaseRefV1 {
  @IsString()
  @IsNotEmpty()
  @MaxLength(MAX_NAME)
  workerId!: string;

  @IsInt()
  @Min(0)
  @Max(31 * 24 * 3_600_000)
  delayMs!: number;

  @IsString()
  @IsNotEmpty()
  @MaxLength(MAX_TEXT)
  reason!: string;
}

/** Saves a running task's progress (e.g. a conversation) so another runner can resume it. */
export class CheckpointTaskV1 extends LeaseRefV1 {
  @IsObject()
  checkpoint!: Record<string, unknown>;
}

/** Up to 1,000 tasks submitted in one transaction: all are created (or found by their keys), or none. */
export class SubmitTaskBatchV1 {
  @ApiProperty({ type: [CreateTaskDto], maxItems: 1000 })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(1000)
  @ValidateNested({ each: true })
  @Type(() => CreateTaskDto)
  tasks!: CreateTaskDto[];
}

export class TaskBatchReplyV1 {
  @ApiProperty({ type: [TaskSubmitReplyV1], description: 'One answer per submitted task, in order.' })
  results!: TaskSubmitReplyV1[];
}

/** Which tasks a bulk operation takes; at least one field. */
export class TaskFilterV1 {
  @ApiPropertyOptional({ example: 'opportunity.scan' })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  type?: string;

  @ApiPropertyOptional({ enum: TASK_STATUSES })
  @IsOptional()
  @IsIn(TASK_STATUSES)
  status?: TaskStatus;

  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID()
  goalId?: string;

  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID()
  parentTaskId?: string;

  @ApiPropertyOptional({ description: 'Only tasks created before this time (ISO 8601).' })
  @IsOptional()
  @IsISO8601({ strict: true })
  createdBefore?: string;

  @ApiPropertyOptional({ description: 'Only tasks created after this time (ISO 8601).' })
  @IsOptional()
  @IsISO8601({ strict: true })
  createdAfter?: string;
}

export class BulkTasksV1 {
  @ApiProperty({ type: TaskFilterV1 })
  @IsObject()
  @ValidateNested()
  @Type(() => TaskFilterV1)
  filter!: TaskFilterV1;

  @ApiPropertyOptional({
    minimum: 1,
    maximum: 1000,
    default: 1000,
    description: 'At most this many tasks per call; `more` says when others match.',
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1000)
  limit?: number;

  @ApiPropertyOptional({ example: 'superseded by plan v2' })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_TEXT)
  reason?: string;

  @IsOptional()
  @IsString()
  @MaxLength(MAX_NAME)
  by?: string;
}

export class BulkTasksReplyV1 {
  @ApiProperty({ type: [String], description: 'Tasks changed.' }) changed!: string[];
  @ApiProperty({
    type: 'array',
    items: { type: 'object', properties: { taskId: { type: 'string' }, reason: { type: 'string' } } },
    description: 'Tasks matched but left as they were, with why.',
  })
  skipped!: Array<{ taskId: string; reason: string }>;
  @ApiProperty({ description: 'More tasks match the filter than this call took: call again.' }) more!: boolean;
}

export class TaskTypeNameV1 {
  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  type!: string;
}

export class PauseTaskTypeV1 extends TaskTypeNameV1 {
  @IsOptional()
  @IsString()
  @MaxLength(MAX_TEXT)
  reason?: string;
}

export class PauseTaskTypeDto {
  @ApiPropertyOptional({ example: 'the payments provider is down' })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_TEXT)
  reason?: string;
}

export class TaskRetentionV1 {
  @ApiProperty({ description: 'Succeeded and cancelled tasks are pruned this many hours after they finished.' })
  finishedHours!: number;
  @ApiProperty({ description: 'Dead tasks are pruned this many hours after they died.' }) deadHours!: number;
  @ApiProperty({ description: 'How often pruning runs (ms).' }) intervalMs!: number;
  @ApiProperty({ description: 'Tasks deleted per transaction.' }) batchSize!: number;
  @ApiProperty({ nullable: true, type: String, description: 'When this replica last pruned.' }) lastRunAt!:
    string | null;
  @ApiProperty({ description: 'Tasks this replica pruned in its last run.' }) lastPruned!: number;
}

export class TaskIdV1 {
  @ApiProperty({ format: 'uuid' })
  @IsUUID()
  id!: string;
}

export class CancelTaskV1 extends TaskIdV1 {
  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(MAX_TEXT)
  reason?: string;

  @IsOptional()
  @IsString()
  @MaxLength(MAX_NAME)
  by?: string;
}

export class ListTasksV1 extends PageQuery {
  @ApiPropertyOptional({ enum: TASK_STATUSES })
  @IsOptional()
  @IsIn(TASK_STATUSES)
  status?: TaskStatus;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(100)
  type?: string;

  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID()
  goalId?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(MAX_NAME)
  workerId?: string;

  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID()
  parentTaskId?: string;
}

/** Counts of a goal's tasks by status (every task, however many). */
export class CountTasksV1 {
  @ApiProperty({ format: 'uuid' })
  @IsUUID()
  goalId!: string;
}

export class TaskCountsV1 {
  @ApiProperty() total!: number;
  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'integer' },
    description: 'Tasks per status; statuses with none are left out.',
  })
  byStatus!: Record<string, number>;
}

export class TaskViewV1 {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() type!: string;
  @ApiProperty({ nullable: true, type: String }) title!: string | null;
  @ApiProperty({ type: 'object', additionalProperties: true }) payload!: Record<string, unknown>;
  @ApiProperty({ enum: TASK_STATUSES }) status!: TaskStatus;
  @ApiProperty() priority!: number;
  @ApiProperty() runAt!: string;
  @ApiProperty() requiredLevel!: number;
  @ApiProperty({ type: [String] }) requiredCapabilities!: string[];
  @ApiProperty() attempts!: number;
  @ApiProperty() maxAttempts!: number;
  @ApiProperty({ nullable: true, type: String }) idempotencyKey!: string | null;
  @ApiProperty({ type: [String] }) dependsOn!: string[];
  @ApiProperty({ nullable: true, type: String }) goalId!: string | null;
  @ApiProperty({ nullable: true, type: String }) parentTaskId!: string | null;
  @ApiProperty({ nullable: true, type: Number }) budgetMinor!: number | null;
  @ApiProperty({ nullable: true, type: String }) workerId!: string | null;
  @ApiProperty({ nullable: true, type: String }) leaseExpiresAt!: string | null;
  @ApiProperty({ nullable: true, type: String, description: 'Why the task is blocked, failed, dead or cancelled.' })
  reason!: string | null;
  @ApiProperty({ nullable: true, type: 'object', additionalProperties: true }) result!: Record<string, unknown> | null;
  @ApiProperty() createdAt!: string;
  @ApiProperty() updatedAt!: string;
  @ApiProperty({ nullable: true, type: String }) finishedAt!: string | null;
}

export class TaskHistoryEntryV1 {
  @ApiProperty() id!: number;
  @ApiProperty({ enum: TASK_STATUSES }) status!: TaskStatus;
  @ApiProperty() attempt!: number;
  @ApiProperty({ nullable: true, type: String }) workerId!: string | null;
  @ApiProperty({ nullable: true, type: String }) reason!: string | null;
  @ApiProperty() at!: string;
}

export class TaskPageV1 {
  @ApiProperty({ type: [TaskViewV1] }) items!: TaskViewV1[];
  @ApiProperty({ nullable: true, type: String }) nextCursor!: string | null;
}

/** A cron schedule that creates one task per tick. */
export class CreateScheduleDto {
  @ApiProperty({ example: 'nightly-scan' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  @Matches(/^[a-z0-9][a-z0-9_.-]*$/)
  name!: string;

  @ApiProperty({
    example: '0 3 * * *',
    description: 'Standard 5-field cron: minute hour day-of-month month day-of-week.',
  })
  @IsString()
  @Matches(/^\S+(\s+\S+){4}$/, { message: 'cron must have 5 fields: minute hour day-of-month month day-of-week' })
  cron!: string;

  @ApiPropertyOptional({ example: 'Europe/Berlin', default: 'UTC' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  timezone?: string;

  @ApiPropertyOptional({
    enum: ['latest', 'none'],
    default: 'latest',
    description: 'After downtime: `latest` runs the most recent missed tick once, `none` skips missed ticks.',
  })
  @IsOptional()
  @IsIn(['latest', 'none'])
  catchUp?: 'latest' | 'none';

  @ApiProperty({
    type: CreateTaskDto,
    description: 'The task each tick creates (idempotency key and dependencies are set by the schedule).',
  })
  @IsObject()
  @ValidateNested()
  @Type(() => CreateTaskDto)
  task!: CreateTaskDto;
}

export class ScheduleViewV1 {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() name!: string;
  @ApiProperty() cron!: string;
  @ApiProperty() timezone!: string;
  @ApiProperty() catchUp!: string;
  @ApiProperty({ type: 'object', additionalProperties: true }) task!: Record<string, unknown>;
  @ApiProperty() enabled!: boolean;
  @ApiProperty() nextRunAt!: string;
  @ApiProperty({ nullable: true, type: String }) lastRunAt!: string | null;
}

export class ScheduleNameV1 {
  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  name!: string;
}

/** Per task type: concurrency cap, token-bucket rate limit, lease length, execution timeout and retry policy. */
export class TaskTypeLimitsDto {
  @ApiPropertyOptional({ description: 'Most tasks of this type running at once.' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(100_000)
  maxConcurrency?: number;

  @ApiPropertyOptional({ description: 'Tokens added per second (claims per second sustained).' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(100_000)
  ratePerSecond?: number;

  @ApiPropertyOptional({ description: 'Bucket size: claims allowed in a burst.' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(100_000)
  burst?: number;

  @ApiPropertyOptional({ description: 'Lease length for this type in seconds.', default: 30 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(86_400)
  leaseSeconds?: number;

  @ApiPropertyOptional({ description: "Execution timeout of this type's tasks in seconds (a task may set its own)." })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(86_400)
  timeoutSeconds?: number;

  @ApiPropertyOptional({ description: "Attempts for this type's tasks that do not set maxAttempts." })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(100)
  maxAttempts?: number;

  @ApiPropertyOptional({
    type: RetryPolicyDto,
    description: 'Retry backoff and never-retried errors for this type (a task may set its own).',
  })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => RetryPolicyDto)
  retry?: RetryPolicyDto;
}

export class SetTaskTypeLimitsV1 extends TaskTypeLimitsDto {
  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  type!: string;
}

export class TaskTypeLimitsViewV1 {
  @ApiProperty() type!: string;
  @ApiProperty({ nullable: true, type: Number }) maxConcurrency!: number | null;
  @ApiProperty({ nullable: true, type: Number }) ratePerSecond!: number | null;
  @ApiProperty({ nullable: true, type: Number }) burst!: number | null;
  @ApiProperty({ nullable: true, type: Number }) leaseSeconds!: number | null;
  @ApiProperty({ nullable: true, type: Number }) timeoutSeconds!: number | null;
  @ApiProperty({ nullable: true, type: Number }) maxAttempts!: number | null;
  @ApiProperty({ type: RetryPolicyDto }) retry!: RetryPolicyDto;
  @ApiProperty({ description: 'A paused type is not handed out until it is resumed.' }) paused!: boolean;
  @ApiProperty({ nullable: true, type: String }) pausedReason!: string | null;
  @ApiProperty({ nullable: true, type: String }) pausedAt!: string | null;
}

/** Runner presence, sent every few seconds; governance keeps the worker registry from it. */
export class WorkerHeartbeatV1 {
  @IsString()
  @IsNotEmpty()
  @MaxLength(MAX_NAME)
  workerId!: string;

  @IsInt()
  @Min(1)
  @Max(5)
  level!: number;

  @IsArray()
  @IsString({ each: true })
  capabilities!: string[];

  @IsInt()
  @Min(0)
  concurrency!: number;

  @IsArray()
  @IsString({ each: true })
  runningTaskIds!: string[];

  @IsBoolean()
  draining!: boolean;

  @IsISO8601()
  at!: string;
}

export class Empty {}
