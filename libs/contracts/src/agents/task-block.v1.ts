import { IsIn, IsNotEmpty, IsOptional, IsString, IsUUID, MaxLength } from 'class-validator';
import { MAX_NAME, MAX_TEXT } from '../common/validation';
import { LeaseRefV1 } from '../tasks/dispatch.v1';

/** What a blocked task waits for: a human's approval, a model to be configured, or more budget. */
export const BLOCKED_ON = ['approval', 'model', 'budget'] as const;
export type BlockedOn = (typeof BLOCKED_ON)[number];

/**
 * A runner parks its task: the lease is released without burning an attempt and the task waits
 * `blocked` with the reason. The checkpoint it saved stays, so the task resumes where it stopped.
 */
export class BlockTaskV1 extends LeaseRefV1 {
  @IsString()
  @IsNotEmpty()
  @MaxLength(MAX_NAME)
  workerId!: string;

  @IsIn(BLOCKED_ON)
  blockedOn!: BlockedOn;

  @IsString()
  @IsNotEmpty()
  @MaxLength(MAX_TEXT)
  reason!: string;

  /** With `blockedOn: approval`: the approval whose decision releases (approved) or fails (rejected, expired) the task. */
  @IsOptional()
  @IsUUID()
  approvalId?: string;
}

/** Returns tasks blocked on a condition that no longer holds (a model is now configured, a budget was raised). */
export class UnblockTasksV1 {
  @IsIn(BLOCKED_ON.filter((b) => b !== 'approval'))
  blockedOn!: Exclude<BlockedOn, 'approval'>;

  @IsOptional()
  @IsUUID()
  taskId?: string;
}
