import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
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
} from 'class-validator';
import { MAX_MINOR, MAX_NAME, MAX_TEXT } from '../common/validation';

export const APPROVAL_STATUSES = ['pending', 'approved', 'rejected', 'expired'] as const;
export type ApprovalStatus = (typeof APPROVAL_STATUSES)[number];

/**
 * A worker asking a human to allow one action (`juggernaut.approval.request.v1`). The approval is
 * bound to the exact arguments through `argsHash` (a hash of their canonical JSON): asking again
 * with the same task, action and hash returns the approval already requested.
 */
export class RequestApprovalV1 {
  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID()
  taskId?: string;

  @ApiPropertyOptional({ example: 'agent-runner-0' })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(MAX_NAME)
  workerId?: string;

  @ApiProperty({ example: 'tool:payments.send', description: 'What would be done (a tool name, a merge, a spend).' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(MAX_NAME)
  action!: string;

  @ApiProperty({ example: 'sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08' })
  @IsString()
  @Matches(/^[A-Za-z0-9:_+/=.-]{8,200}$/, {
    message: 'argsHash must be 8 to 200 characters of a hash (letters, digits, ":_+/=.-")',
  })
  argsHash!: string;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: 'The arguments, with secrets already redacted, for the approver to read.',
  })
  @IsObject()
  args!: Record<string, unknown>;

  @ApiPropertyOptional({ description: 'Money the action would move, in minor units.' })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(MAX_MINOR)
  amountMinor?: number;

  @ApiProperty({ example: 'spend above the approval threshold' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(MAX_TEXT)
  reason!: string;
}

/** `juggernaut.approval.get.v1`. */
export class ApprovalIdV1 {
  @ApiProperty({ format: 'uuid' })
  @IsUUID()
  id!: string;
}

/** An approval as stored; carried by `approval.requested` and `approval.decided` events. */
export class ApprovalV1 {
  @ApiProperty({ format: 'uuid' })
  @IsUUID()
  id!: string;

  @ApiProperty({ enum: APPROVAL_STATUSES })
  @IsIn(APPROVAL_STATUSES)
  status!: ApprovalStatus;

  @ApiProperty()
  @IsString()
  @IsNotEmpty()
  @MaxLength(MAX_NAME)
  action!: string;

  @ApiProperty()
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  argsHash!: string;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true })
  @IsOptional()
  @IsObject()
  args?: Record<string, unknown>;

  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID()
  taskId?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(MAX_NAME)
  workerId?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(MAX_MINOR)
  amountMinor?: number;

  @ApiPropertyOptional({ description: 'Why the approval was requested.' })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_TEXT)
  reason?: string;

  @ApiPropertyOptional({ description: 'API key name of who decided; "system" for an expiry.' })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_NAME)
  decidedBy?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(MAX_TEXT)
  decisionReason?: string;

  @ApiProperty()
  @IsISO8601()
  expiresAt!: string;

  @ApiProperty()
  @IsISO8601()
  createdAt!: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsISO8601()
  decidedAt?: string;
}
