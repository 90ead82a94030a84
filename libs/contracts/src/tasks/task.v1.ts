import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
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
  ValidateNested,
} from 'class-validator';
import { MAX_MINOR, MAX_NAME } from '../common/validation';

export const TASK_STATUSES = [
  'pending',
  'scheduled',
  'blocked',
  'running',
  'succeeded',
  'failed',
  'dead',
  'cancelled',
] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

export const UNIQUE_SCOPES = ['active', 'period'] as const;
export const UNIQUE_MODES = ['return', 'replace', 'debounce'] as const;

/** How a failed attempt is retried; what a task leaves out comes from its type, then from the dispatcher's settings. */
export class RetryPolicyDto {
  @ApiPropertyOptional({
    description: 'First retry delay in ms; each further retry doubles it (jittered).',
    example: 1000,
  })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(3_600_000)
  backoffBaseMs?: number;

  @ApiPropertyOptional({ description: 'Longest retry delay in ms.', example: 300000 })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(86_400_000)
  backoffMaxMs?: number;

  @ApiPropertyOptional({
    type: [String],
    description: 'A failure whose error text contains one of these is never retried (the task is dead at once).',
    example: ['invalid api key'],
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(50)
  @IsString({ each: true })
  @IsNotEmpty({ each: true })
  @MaxLength(200, { each: true })
  terminalErrors?: string[];
}

export const AUTONOMY_LEVELS = [1, 2, 3, 4, 5] as const;
export type AutonomyLevel = (typeof AUTONOMY_LEVELS)[number];

/** A task as a caller submits it, over REST (`POST /api/v1/tasks`) or NATS (`juggernaut.task.submit.v1`). */
export class CreateTaskDto {
  @ApiProperty({ example: 'noop', description: 'Task type; selects the handler that runs it.' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  @Matches(/^[a-z][a-z0-9_.-]*$/, { message: 'type must be lowercase letters, digits, ".", "_" or "-"' })
  type!: string;

  @ApiPropertyOptional({ example: 'Health check' })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_NAME)
  title?: string;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true, example: { sleepMs: 10 } })
  @IsOptional()
  @IsObject()
  payload?: Record<string, unknown>;

  @ApiPropertyOptional({ minimum: 0, maximum: 9, default: 5, description: '0 is highest.' })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(9)
  priority?: number;

  @ApiPropertyOptional({ description: 'Do not run before this time (ISO 8601).' })
  @IsOptional()
  @IsISO8601({ strict: true })
  runAt?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 5, default: 1 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(5)
  requiredLevel?: number;

  @ApiPropertyOptional({ type: [String] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(20)
  @IsString({ each: true })
  @MaxLength(100, { each: true })
  requiredCapabilities?: string[];

  @ApiPropertyOptional({ minimum: 1, maximum: 100, default: 5 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(100)
  maxAttempts?: number;

  @ApiPropertyOptional({ description: 'The same key returns the task already created.' })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(MAX_NAME)
  idempotencyKey?: string;

  @ApiPropertyOptional({ type: [String], format: 'uuid', description: 'Task ids that must succeed first.' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(100)
  @IsUUID('all', { each: true })
  dependsOn?: string[];

  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID()
  goalId?: string;

  @ApiPropertyOptional({ description: 'Spend cap for this task in minor units.' })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(MAX_MINOR)
  budgetMinor?: number;

  @ApiPropertyOptional({
    minimum: 1,
    maximum: 86400,
    description:
      "Execution timeout: an attempt running longer is aborted and counts as a retryable failure. Defaults to the type's.",
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(86_400)
  timeoutSeconds?: number;

  @ApiPropertyOptional({
    description:
      'Keyed uniqueness: while a task with this key is in scope, a submission with the same key does not create another (see uniqueScope, uniqueMode).',
  })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(MAX_NAME)
  uniqueKey?: string;

  @ApiPropertyOptional({
    enum: UNIQUE_SCOPES,
    default: 'active',
    description:
      '`active`: while the keyed task is unfinished; `period`: also for uniquePeriodSeconds after it was created.',
  })
  @IsOptional()
  @IsIn(UNIQUE_SCOPES)
  uniqueScope?: (typeof UNIQUE_SCOPES)[number];

  @ApiPropertyOptional({
    minimum: 1,
    maximum: 31536000,
    description: 'For uniqueScope "period": how long after its creation the key stays taken.',
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(31_536_000)
  uniquePeriodSeconds?: number;

  @ApiPropertyOptional({
    enum: UNIQUE_MODES,
    default: 'return',
    description:
      "When the key is taken: `return` answers the task already there; `replace` gives a task that has not started the new payload, title and priority (its run-at stays); `debounce` does that and moves its run-at to this submission's (each submission postpones it).",
  })
  @IsOptional()
  @IsIn(UNIQUE_MODES)
  uniqueMode?: (typeof UNIQUE_MODES)[number];

  @ApiPropertyOptional({
    type: RetryPolicyDto,
    description: "Retry backoff and never-retried errors for this task (defaults: its type's, then the dispatcher's).",
  })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => RetryPolicyDto)
  retry?: RetryPolicyDto;
}

export class TaskSubmitReplyV1 {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({
    enum: TASK_STATUSES,
    description:
      'The state the task was created in (pending, scheduled or blocked), or that of the task already there. A task ' +
      'handed at once to a waiting runner is already running when the answer arrives.',
  })
  status!: TaskStatus;
  @ApiProperty({ description: 'False when an idempotencyKey or uniqueKey answered with a task already there.' })
  created!: boolean;
  @ApiPropertyOptional({ description: 'True when uniqueMode replace/debounce updated the task already there.' })
  replaced?: boolean;
}

/** Every task state change, published on the events stream. */
export class TaskEventV1 {
  @ApiProperty({ format: 'uuid' })
  @IsUUID()
  taskId!: string;

  @ApiProperty()
  @IsString()
  type!: string;

  @ApiProperty({ enum: TASK_STATUSES })
  @IsIn(TASK_STATUSES)
  status!: TaskStatus;

  @ApiProperty()
  @IsInt()
  @Min(0)
  attempt!: number;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  workerId?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  reason?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsUUID()
  goalId?: string;

  @ApiProperty()
  @IsISO8601()
  at!: string;
}
