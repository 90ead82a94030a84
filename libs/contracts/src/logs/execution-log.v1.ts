import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsInt, IsNotEmpty, IsObject, IsOptional, IsString, IsUUID, Max, MaxLength, Min } from 'class-validator';
import { MAX_MINOR, MAX_NAME, MAX_TEXT } from '../common/validation';

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** One step of a worker's execution, appended to the execution log. */
export class CreateExecutionLogDto {
  @ApiProperty({ example: 'agent-runner-0' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(MAX_NAME)
  workerId!: string;

  @ApiProperty({ example: 'tool.http_fetch' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(MAX_NAME)
  action!: string;

  @ApiProperty({ example: 'fetched 3 items' })
  @IsString()
  @MaxLength(MAX_TEXT)
  message!: string;

  @ApiPropertyOptional({ enum: LOG_LEVELS, default: 'info' })
  @IsOptional()
  @IsIn(LOG_LEVELS)
  level?: LogLevel;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true })
  @IsOptional()
  @IsObject()
  outputData?: Record<string, unknown>;

  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID()
  taskId?: string;

  @ApiPropertyOptional({ description: 'Step number within the task run.' })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(1_000_000)
  step?: number;

  @ApiPropertyOptional()
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(MAX_MINOR)
  durationMs?: number;

  @ApiPropertyOptional({ description: 'Idempotency key: a redelivered log line is stored once.' })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_NAME)
  logId?: string;
}
