import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsISO8601, IsOptional, IsString, IsUUID, MaxLength } from 'class-validator';
import { MAX_TEXT } from '../common/validation';

const EVENT_STATUSES = [
  'awaiting_approval',
  'merging',
  'merged',
  'rejected',
  'failed',
  'reverted',
  'cancelled',
] as const;

/**
 * A change request's milestones: `change.opened` (pull request opened), `change.merged` (squashed
 * into the target branch) and `change.closed` (ended rejected, failed, reverted or cancelled, with the reason).
 */
export class ChangeEventV1 {
  @ApiProperty({ format: 'uuid' })
  @IsUUID()
  changeId!: string;

  @ApiProperty()
  @IsString()
  repository!: string;

  @ApiProperty({ example: 'juggernaut/1f2e-add-retry' })
  @IsString()
  branch!: string;

  @ApiProperty({ example: 'main' })
  @IsString()
  targetBranch!: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  pullRequestUrl?: string;

  @ApiPropertyOptional({ description: 'Merge commit, when merged.' })
  @IsOptional()
  @IsString()
  commit?: string;

  @ApiPropertyOptional({ enum: EVENT_STATUSES, description: 'The status the change reached.' })
  @IsOptional()
  @IsIn(EVENT_STATUSES)
  status?: (typeof EVENT_STATUSES)[number];

  @ApiPropertyOptional({ description: 'Why it was closed.' })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_TEXT)
  reason?: string;

  @ApiPropertyOptional({ description: 'Revert commit, when reverted.' })
  @IsOptional()
  @IsString()
  revertCommit?: string;

  @ApiProperty()
  @IsISO8601()
  at!: string;
}
