import { PageQuery } from '../common/pagination';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsNotEmpty, IsOptional, IsString, IsUUID, Matches, MaxLength } from 'class-validator';
import { MAX_NAME, MAX_TEXT } from '../common/validation';
import { BRANCH_NAME, REPOSITORY_NAME } from './repository.v1';

/**
 * A change request's life: queued → editing → checking → reviewing → (awaiting_approval) → merging
 * → verifying → merged; it ends rejected (a gate, the reviewer or an approver said no), failed (checks
 * kept failing, the author gave up), reverted (post-merge checks failed) or cancelled.
 */
export const CHANGE_STATUSES = [
  'queued',
  'editing',
  'checking',
  'reviewing',
  'awaiting_approval',
  'merging',
  'verifying',
  'merged',
  'rejected',
  'failed',
  'reverted',
  'cancelled',
] as const;
export type ChangeStatus = (typeof CHANGE_STATUSES)[number];
export const FINAL_CHANGE_STATUSES: readonly ChangeStatus[] = ['merged', 'rejected', 'failed', 'reverted', 'cancelled'];

/** `juggernaut.change.create.v1` and `POST /api/v1/changes`. */
export class CreateChangeV1 {
  @ApiProperty({ example: 'shop', description: 'A registered repository.' })
  @IsString()
  @Matches(REPOSITORY_NAME, { message: 'repository must be the name of a registered repository' })
  repository!: string;

  @ApiPropertyOptional({ example: 'main', description: "Default: the repository's default branch." })
  @IsOptional()
  @IsString()
  @Matches(BRANCH_NAME, { message: 'targetBranch must be a git branch name' })
  targetBranch?: string;

  @ApiProperty({
    example: 'Add a --verbose flag to the CLI that prints each step.',
    description: 'What to change, in words.',
  })
  @IsString()
  @IsNotEmpty()
  @MaxLength(MAX_TEXT)
  goal!: string;

  @ApiPropertyOptional({ example: 'Verbose CLI output' })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(MAX_NAME)
  title?: string;

  @ApiPropertyOptional({ description: 'Who asked (set by the API from the caller).' })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_NAME)
  requestedBy?: string;
}

/** `juggernaut.change.get.v1`. */
export class ChangeIdV1 {
  @ApiProperty({ format: 'uuid' })
  @IsUUID()
  id!: string;
}

/** `juggernaut.change.list.v1` and `GET /api/v1/changes`: newest first. */
export class ListChangesV1 extends PageQuery {
  @ApiPropertyOptional({ enum: CHANGE_STATUSES })
  @IsOptional()
  @IsIn(CHANGE_STATUSES)
  status?: ChangeStatus;

  @ApiPropertyOptional({ example: 'shop' })
  @IsOptional()
  @IsString()
  @Matches(REPOSITORY_NAME, { message: 'repository must be a repository name' })
  repository?: string;
}

export class ChangedFileV1 {
  @ApiProperty() path!: string;
  @ApiProperty({ enum: ['added', 'modified', 'deleted', 'renamed'] }) status!:
    'added' | 'modified' | 'deleted' | 'renamed';
  @ApiProperty() added!: number;
  @ApiProperty() removed!: number;
  @ApiPropertyOptional() oldPath?: string;
}

export class ChangeDiffSummaryV1 {
  @ApiProperty({ type: [ChangedFileV1] }) files!: ChangedFileV1[];
  @ApiProperty({ description: 'Lines added.' }) added!: number;
  @ApiProperty({ description: 'Lines removed.' }) removed!: number;
}

export class CheckResultV1 {
  @ApiProperty() name!: string;
  @ApiProperty() command!: string;
  @ApiProperty({ nullable: true, type: Number }) exitCode!: number | null;
  @ApiProperty() timedOut!: boolean;
  @ApiProperty() durationMs!: number;
  @ApiProperty({ description: 'The tail of the output, secrets redacted.' }) output!: string;
  @ApiProperty() ok!: boolean;
}

export class GateFindingV1 {
  @ApiProperty({ enum: ['size', 'files', 'protected-path', 'denied-path', 'secret', 'test-tamper', 'merge-approval'] })
  gate!: string;
  @ApiProperty({ enum: ['refuse', 'needs-approval'] }) verdict!: 'refuse' | 'needs-approval';
  @ApiProperty() message!: string;
  @ApiPropertyOptional() path?: string;
}

export class ChangeReviewV1 {
  @ApiProperty({ description: 'Only an explicit, schema-valid approval counts as yes.' }) approve!: boolean;
  @ApiProperty({ type: [String] }) reasons!: string[];
}

export class PullRequestViewV1 {
  @ApiProperty({ enum: ['local', 'github'] }) forge!: 'local' | 'github';
  @ApiProperty() number!: number;
  @ApiProperty() url!: string;
  @ApiPropertyOptional({ description: 'The unified diff (local forge).' }) diff?: string;
}

export class ChangeStepV1 {
  @ApiProperty() seq!: number;
  @ApiProperty({ example: 'checking' }) stage!: string;
  @ApiProperty() message!: string;
  @ApiPropertyOptional({ type: 'object', additionalProperties: true }) data?: Record<string, unknown>;
  @ApiProperty() at!: string;
}

export class ChangeAttemptsV1 {
  @ApiProperty({ description: 'Author rounds made (each one edits, then runs the checks).' }) made!: number;
  @ApiProperty() max!: number;
}

/** A change request with everything that happened to it. */
export class ChangeViewV1 {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() repository!: string;
  @ApiProperty() targetBranch!: string;
  @ApiProperty({ example: 'juggernaut/1f2e…-add-verbose-flag' }) branch!: string;
  @ApiProperty() title!: string;
  @ApiProperty() goal!: string;
  @ApiProperty({ enum: CHANGE_STATUSES }) status!: ChangeStatus;
  @ApiProperty({ nullable: true, type: String }) requestedBy!: string | null;
  @ApiProperty({ nullable: true, type: String, description: 'The dev.change task that runs it.' }) taskId!:
    string | null;
  @ApiProperty({ type: ChangeAttemptsV1 }) attempts!: ChangeAttemptsV1;
  @ApiProperty({ type: ChangeDiffSummaryV1, nullable: true }) diff!: ChangeDiffSummaryV1 | null;
  @ApiProperty({ type: [CheckResultV1], description: 'The last check run on the branch.' }) checks!: CheckResultV1[];
  @ApiProperty({ type: [CheckResultV1], description: 'The checks run again on the merge commit.' })
  postMergeChecks!: CheckResultV1[];
  @ApiProperty({ type: [GateFindingV1] }) gateFindings!: GateFindingV1[];
  @ApiProperty({ type: ChangeReviewV1, nullable: true }) review!: ChangeReviewV1 | null;
  @ApiProperty({ nullable: true, type: String, description: 'The approval a protected path asked for.' }) approvalId!:
    string | null;
  @ApiProperty({ type: PullRequestViewV1, nullable: true }) pullRequest!: PullRequestViewV1 | null;
  @ApiProperty({ nullable: true, type: String }) mergeCommit!: string | null;
  @ApiProperty({ nullable: true, type: String }) revertCommit!: string | null;
  @ApiProperty({ nullable: true, type: String, description: 'Why it ended the way it did.' }) reason!: string | null;
  @ApiProperty({ description: 'Model spend in minor units.' }) costMinor!: number;
  @ApiProperty() currency!: string;
  @ApiProperty({ type: [ChangeStepV1] }) steps!: ChangeStepV1[];
  @ApiProperty() createdAt!: string;
  @ApiProperty() updatedAt!: string;
}

export class ChangePageV1 {
  @ApiProperty({ type: [ChangeViewV1] }) items!: ChangeViewV1[];
  @ApiProperty({ nullable: true, type: String }) nextCursor!: string | null;
}
