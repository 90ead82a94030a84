import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsDefined,
  IsInt,
  IsISO8601,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import { MAX_MINOR, MAX_NAME } from '../common/validation';
import { IsIntegerMap } from './number-map';
import { IsListMap } from './role-map';

/** Task types and tool names as they appear in policy maps. */
const NAME_KEY = /^[a-z][a-z0-9_.:-]{0,99}$/;
const LEVEL_KEY = /^[1-5]$/;
const MAX_ENTRIES = 500;

export class KillSwitchV1 {
  @ApiProperty({ description: 'While engaged, no task is claimed and runners abort what they run.' })
  @IsBoolean()
  engaged!: boolean;

  @ApiPropertyOptional({ example: 'runaway spend on experiment 42' })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  reason?: string;
}

/** Spend caps in integer minor units of `currency`; an absent cap means no cap at that scope. */
export class BudgetPolicyV1 {
  @ApiProperty({ example: 'USD', description: 'ISO 4217 code every cap is expressed in.' })
  @IsString()
  @Matches(/^[A-Z]{3}$/, { message: 'currency must be an ISO 4217 code such as USD' })
  currency!: string;

  @ApiPropertyOptional({ example: 500000 })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(MAX_MINOR)
  globalDailyCapMinor?: number;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: { type: 'integer' },
    example: { '1': 1000, '3': 50000 },
    description: 'Daily cap per autonomy level ("1" … "5").',
  })
  @IsOptional()
  @IsIntegerMap({ key: LEVEL_KEY, min: 0, max: MAX_MINOR, maxEntries: 5 })
  perLevelDailyCapMinor?: Record<string, number>;

  @ApiPropertyOptional({ example: 20000 })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(MAX_MINOR)
  perWorkerDailyCapMinor?: number;

  @ApiPropertyOptional({ example: 5000 })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(MAX_MINOR)
  perTaskCapMinor?: number;
}

/** API-key roles that may submit tasks over REST (`POST /api/v1/tasks`); viewers never may. */
export const TASK_SUBMITTER_ROLES = ['admin', 'operator', 'agent'] as const;
export type TaskSubmitterRole = (typeof TASK_SUBMITTER_ROLES)[number];

/**
 * Who may submit which task types when the policy does not say: a code change (`dev.change`,
 * carried out by dev-bot) and planning (`goal.plan`, level 5) only by people's keys. Entries in
 * `permissions.taskSubmitters` replace these per type; types listed in neither are open to every
 * submitter role.
 */
export const DEFAULT_TASK_SUBMITTERS: Readonly<Record<string, readonly TaskSubmitterRole[]>> = Object.freeze({
  'dev.change': ['admin', 'operator'],
  'goal.plan': ['admin', 'operator'],
});

/** The highest level of task an `agent` key may submit when the policy does not say (level 5 is planning and delegation). */
export const DEFAULT_AGENT_MAX_SUBMIT_LEVEL = 4;

/** The minimum autonomy level (1–5) a worker needs for each task type and each tool; unlisted ones need level 1. */
export class PermissionPolicyV1 {
  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'integer', minimum: 1, maximum: 5 },
    example: { 'experiment.run': 4 },
  })
  @IsDefined()
  @IsIntegerMap({ key: NAME_KEY, min: 1, max: 5, maxEntries: MAX_ENTRIES })
  taskTypes!: Record<string, number>;

  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'integer', minimum: 1, maximum: 5 },
    example: { 'http.post': 3, 'git.merge': 5 },
  })
  @IsDefined()
  @IsIntegerMap({ key: NAME_KEY, min: 1, max: 5, maxEntries: MAX_ENTRIES })
  tools!: Record<string, number>;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: { type: 'array', items: { type: 'string', enum: [...TASK_SUBMITTER_ROLES] } },
    example: { 'dev.change': ['admin', 'operator'], 'experiment.run': ['admin', 'operator', 'agent'] },
    description:
      'Which API-key roles may submit each task type through POST /api/v1/tasks. An entry replaces the default for its type; ' +
      `the defaults (also when the field is absent) are ${JSON.stringify(DEFAULT_TASK_SUBMITTERS)}; a type listed nowhere may be submitted by ` +
      'admin, operator and agent keys. A refusal is 403 naming the rule.',
  })
  @IsOptional()
  @IsListMap({ key: NAME_KEY, values: TASK_SUBMITTER_ROLES, maxEntries: MAX_ENTRIES })
  taskSubmitters?: Record<string, TaskSubmitterRole[]>;

  @ApiPropertyOptional({
    minimum: 1,
    maximum: 5,
    default: DEFAULT_AGENT_MAX_SUBMIT_LEVEL,
    description:
      "The highest level an agent key may submit a task at through POST /api/v1/tasks: the task's requiredLevel, or the minimum level " +
      `this policy sets for its type (taskTypes), whichever is higher. Default ${DEFAULT_AGENT_MAX_SUBMIT_LEVEL}.`,
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(5)
  agentMaxSubmitLevel?: number;
}

/** When an action must wait for a human. Approvals are never granted automatically. */
export class ApprovalPolicyV1 {
  @ApiPropertyOptional({ example: 10000, description: 'A spend above this many minor units needs an approval.' })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(MAX_MINOR)
  spendAboveMinor?: number;

  @ApiProperty({ type: [String], example: ['git.merge', 'payments.send'] })
  @IsArray()
  @ArrayMaxSize(MAX_ENTRIES)
  @IsString({ each: true })
  @Matches(NAME_KEY, { each: true, message: 'each toolsRequiringApproval entry must be a lowercase tool name' })
  toolsRequiringApproval!: string[];

  @ApiProperty({
    example: 86400,
    minimum: 60,
    maximum: 2592000,
    description: 'A pending approval expires after this many seconds.',
  })
  @IsInt()
  @Min(60)
  @Max(30 * 24 * 3600)
  ttlSeconds!: number;
}

/** What an admin sets: everything in the policy except the kill switch, which has its own route. */
export class PolicySettingsV1 {
  @ApiProperty({ type: BudgetPolicyV1 })
  @IsDefined()
  @ValidateNested()
  @Type(() => BudgetPolicyV1)
  budgets!: BudgetPolicyV1;

  @ApiProperty({ type: PermissionPolicyV1 })
  @IsDefined()
  @ValidateNested()
  @Type(() => PermissionPolicyV1)
  permissions!: PermissionPolicyV1;

  @ApiProperty({ type: ApprovalPolicyV1 })
  @IsDefined()
  @ValidateNested()
  @Type(() => ApprovalPolicyV1)
  approvals!: ApprovalPolicyV1;
}

/**
 * The whole policy in force, as `juggernaut.policy.get.v1` answers and `juggernaut.policy.changed.v1`
 * pushes it. `version` grows by one with every change (settings or kill switch), so a receiver
 * ignores a document older than the one it holds.
 */
export class PolicyDocumentV1 extends PolicySettingsV1 {
  @ApiProperty({ minimum: 1 })
  @IsInt()
  @Min(1)
  @Max(MAX_MINOR)
  version!: number;

  @ApiProperty()
  @IsISO8601()
  updatedAt!: string;

  @ApiPropertyOptional({ description: 'Who made this version (API key name).' })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_NAME)
  updatedBy?: string;

  @ApiProperty({ type: KillSwitchV1 })
  @IsDefined()
  @ValidateNested()
  @Type(() => KillSwitchV1)
  killSwitch!: KillSwitchV1;
}

/** Body of the kill-switch route. */
export class SetKillSwitchV1 extends KillSwitchV1 {}

/** The minimum level a worker needs for a task type (or tool) under a policy. */
export function minimumLevel(map: Record<string, number>, name: string): number {
  return Object.prototype.hasOwnProperty.call(map, name) ? map[name]! : 1;
}
