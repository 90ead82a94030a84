import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize, IsArray, IsIn, IsInt, IsISO8601, IsNotEmpty, IsObject, IsOptional, IsString, IsUUID, Matches,
  Max, MaxLength, Min,
} from 'class-validator';
import { MAX_MINOR, MAX_NAME } from '../common/validation';

export const TASK_STATUSES = [
  'pending', 'scheduled', 'blocked', 'running', 'succeeded', 'failed', 'dead', 'cancelled',
] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

export const AUTONOMY_LEVELS = [1, 2, 3, 4, 5] as const;
export type AutonomyLevel = (typeof AUTONOMY_LEVELS)[number];

/** A task as a caller submits it, over REST (`POST /api/v1/tasks`) or NATS (`juggernaut.task.submit.v1`). */
export class CreateTaskDto {
  @ApiProperty({ example: 'noop', description: 'Task type; selects the handler that runs it.' })
  @IsString() @IsNotEmpty() @MaxLength(100) @Matches(/^[a-z][a-z0-9_.-]*$/, { message: 'type must be lowercase letters, digits, ".", "_" or "-"' })
  type!: string;

  @ApiPropertyOptional({ example: 'Health check' })
  @IsOptional() @IsString() @MaxLength(MAX_NAME)
  title?: string;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true, example: { sleepMs: 10 } })
  @IsOptional() @IsObject()
  payload?: Record<string, unknown>;

  @ApiPropertyOptional({ minimum: 0, maximum: 9, default: 5, description: '0 is highest.' })
  @IsOptional() @IsInt() @Min(0) @Max(9)
  priority?: number;

  @ApiPropertyOptional({ description: 'Do not run before this time (ISO 8601).' })
  @IsOptional() @IsISO8601({ strict: true })
  runAt?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 5, default: 1 })
  @IsOptional() @IsInt() @Min(1) @Max(5)
  requiredLevel?: number;

  @ApiPropertyOptional({ type: [String] })
  @IsOptional() @IsArray() @ArrayMaxSize(20) @IsString({ each: true }) @MaxLength(100, { each: true })
  requiredCapabilities?: string[];

  @ApiPropertyOptional({ minimum: 1, maximum: 100, default: 5 })
  @IsOptional() @IsInt() @Min(1) @Max(100)
  maxAttempts?: number;

  @ApiPropertyOptional({ description: 'The same key returns the task already created.' })
  @IsOptional() @IsString() @IsNotEmpty() @MaxLength(MAX_NAME)
  idempotencyKey?: string;

  @ApiPropertyOptional({ type: [String], format: 'uuid', description: 'Task ids that must succeed first.' })
  @IsOptional() @IsArray() @ArrayMaxSize(100) @IsUUID('all', { each: true })
  dependsOn?: string[];

  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional() @IsUUID()
  goalId?: string;

  @ApiPropertyOptional({ description: 'Spend cap for this task in minor units.' })
  @IsOptional() @IsInt() @Min(0) @Max(MAX_MINOR)
  budgetMinor?: number;
}

export class TaskSubmitReplyV1 {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ enum: TASK_STATUSES }) status!: TaskStatus;
}

/** Every task state change, published on the events stream. */
export class TaskEventV1 {
  @ApiProperty({ format: 'uuid' }) @IsUUID()
  taskId!: string;

  @ApiProperty() @IsString()
  type!: string;

  @ApiProperty({ enum: TASK_STATUSES }) @IsIn(TASK_STATUSES)
  status!: TaskStatus;

  @ApiProperty() @IsInt() @Min(0)
  attempt!: number;

  @ApiPropertyOptional() @IsOptional() @IsString()
  workerId?: string;

  @ApiPropertyOptional() @IsOptional() @IsString()
  reason?: string;

  @ApiPropertyOptional() @IsOptional() @IsUUID()
  goalId?: string;

  @ApiProperty() @IsISO8601()
  at!: string;
}
