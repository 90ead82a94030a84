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
  IsNotEmpty,
  IsNumber,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import { MAX_MINOR, MAX_NAME, MAX_TEXT } from '../common/validation';
import {
  AnalysisSettingsDto,
  AnalysisSettingsV1,
  BanditSettingsDto,
  BanditSettingsV1,
  MetricDto,
  MetricV1,
  PowerSettingsDto,
  PowerSettingsV1,
} from './experiment-settings.v1';
import { VariantWeightsV1 } from './experiment-weights.v1';

export const EXPERIMENT_STATUSES = ['draft', 'running', 'stopped', 'concluded'] as const;
export type ExperimentStatus = (typeof EXPERIMENT_STATUSES)[number];

/** What an experiment is judged on: the share of units that convert, or money per unit. */
export const EXPERIMENT_METRICS = ['conversion', 'revenue_per_unit'] as const;
export type ExperimentMetric = (typeof EXPERIMENT_METRICS)[number];

/**
 * How the decision rule reads the results: Bayesian chance to win and risk, the mSPRT always-valid
 * p-value (sequential), or the confidence sequence's anytime-valid p-value.
 */
export const DECISION_METHODS = ['bayesian', 'sequential', 'confidence-sequence'] as const;
export type DecisionMethod = (typeof DECISION_METHODS)[number];

export const DECISION_ACTIONS = ['start', 'continue', 'blocked', 'conclude', 'stop'] as const;
export type DecisionAction = (typeof DECISION_ACTIONS)[number];

export class VariantDto {
  @ApiProperty({ example: 'control', description: 'Stable key: letters, digits, "_" or "-".' })
  @IsString()
  @Matches(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, { message: 'key must be 1–64 letters, digits, "_" or "-"' })
  key!: string;

  @ApiPropertyOptional({ example: 'Current checkout' })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_NAME)
  name?: string;

  @ApiProperty({
    example: 50,
    minimum: 1,
    maximum: 10000,
    description: 'Traffic weight; shares are weight / sum of weights.',
  })
  @IsInt()
  @Min(1)
  @Max(10_000)
  weight!: number;

  @ApiPropertyOptional({ description: 'Exactly one variant is the control.' })
  @IsOptional()
  @IsBoolean()
  control?: boolean;
}

export class GuardrailDto {
  @ApiProperty({ enum: EXPERIMENT_METRICS })
  @IsIn(EXPERIMENT_METRICS)
  metric!: ExperimentMetric;

  @ApiProperty({
    example: 0.1,
    description: 'Breached when a variant is credibly worse than control by more than this share.',
  })
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0.001)
  @Max(0.999)
  maxRelativeDrop!: number;

  @ApiPropertyOptional({
    example: 0.95,
    default: 0.95,
    description: 'Posterior probability of the drop that counts as a breach.',
  })
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0.5)
  @Max(0.9999)
  confidence?: number;
}

export class DecisionRuleDto {
  @ApiPropertyOptional({ enum: DECISION_METHODS, default: 'bayesian' })
  @IsOptional()
  @IsIn(DECISION_METHODS)
  method?: DecisionMethod;

  @ApiPropertyOptional({
    default: 100,
    description: 'Units each variant needs before any decision (and before guardrails act).',
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(100_000_000)
  minUnitsPerVariant?: number;

  @ApiPropertyOptional({
    description: 'Conclude keeping the control once every variant has this many units without a winner.',
  })
  @IsOptional()
  @IsInt()
  @Min(2)
  @Max(1_000_000_000)
  maxUnitsPerVariant?: number;

  @ApiPropertyOptional({ default: 0.95, description: "Bayesian: the winner's chance to be best must reach this." })
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0.5)
  @Max(0.99999)
  chanceToWinThreshold?: number;

  @ApiPropertyOptional({
    default: 0.01,
    description: "Bayesian: the winner's expected loss, as a share of the control's mean, must be at most this.",
  })
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(1)
  maxRelativeLoss?: number;

  @ApiPropertyOptional({
    default: 0.05,
    description:
      'sequential and confidence-sequence: significance level of the anytime-valid p-value (corrected across variants and metrics).',
  })
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0.0001)
  @Max(0.5)
  alpha?: number;
}

/** An experiment as a caller creates it (`POST /api/v1/experiments`, `juggernaut.experiment.create.v1`). */
export class CreateExperimentDto {
  @ApiProperty({ example: 'One-page checkout' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(MAX_NAME)
  name!: string;

  @ApiProperty({ example: 'A one-page checkout converts more visitors than the three-step one.' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(MAX_TEXT)
  hypothesis!: string;

  @ApiProperty({ enum: EXPERIMENT_METRICS })
  @IsIn(EXPERIMENT_METRICS)
  primaryMetric!: ExperimentMetric;

  @ApiProperty({ type: [VariantDto], description: '2–10 variants, exactly one with control: true.' })
  @IsArray()
  @ArrayMinSize(2)
  @ArrayMaxSize(10)
  @ValidateNested({ each: true })
  @Type(() => VariantDto)
  variants!: VariantDto[];

  @ApiPropertyOptional({ type: [GuardrailDto] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(10)
  @ValidateNested({ each: true })
  @Type(() => GuardrailDto)
  guardrails?: GuardrailDto[];

  @ApiProperty({
    example: 50_000,
    description: 'Most it may spend, in minor units; cost posted to the ledger with this experiment id counts.',
  })
  @IsInt()
  @Min(0)
  @Max(MAX_MINOR)
  budgetMinor!: number;

  @ApiPropertyOptional({ example: 'USD', default: 'USD' })
  @IsOptional()
  @Matches(/^[A-Z]{3}$/, { message: 'currency must be an ISO 4217 code' })
  currency?: string;

  @ApiPropertyOptional({ type: DecisionRuleDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => DecisionRuleDto)
  decisionRule?: DecisionRuleDto;

  @ApiPropertyOptional({
    type: [MetricDto],
    description: 'Metrics besides the built-ins, and cappings or priors for the built-ins (at most 10).',
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(10)
  @ValidateNested({ each: true })
  @Type(() => MetricDto)
  metrics?: MetricDto[];

  @ApiPropertyOptional({ type: AnalysisSettingsDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => AnalysisSettingsDto)
  analysis?: AnalysisSettingsDto;

  @ApiPropertyOptional({
    type: PowerSettingsDto,
    description: 'The effect to detect and the planned end, for the power reported with the results.',
  })
  @IsOptional()
  @ValidateNested()
  @Type(() => PowerSettingsDto)
  power?: PowerSettingsDto;

  @ApiPropertyOptional({
    type: BanditSettingsDto,
    description: 'Adaptive traffic weights (top-two Thompson sampling) instead of fixed ones.',
  })
  @IsOptional()
  @ValidateNested()
  @Type(() => BanditSettingsDto)
  bandit?: BanditSettingsDto;

  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID()
  opportunityId?: string;

  /** Filled in by governance-api from the API key; not sent by callers over REST. */
  @ApiPropertyOptional({ readOnly: true })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_NAME)
  createdBy?: string;
}

export class VariantV1 {
  @ApiProperty() key!: string;
  @ApiProperty() name!: string;
  @ApiProperty() weight!: number;
  @ApiProperty() control!: boolean;
}

export class GuardrailV1 {
  @ApiProperty({ enum: EXPERIMENT_METRICS }) metric!: ExperimentMetric;
  @ApiProperty() maxRelativeDrop!: number;
  @ApiProperty() confidence!: number;
}

/** The decision rule with every default filled in. */
export class DecisionRuleV1 {
  @ApiProperty({ enum: DECISION_METHODS }) method!: DecisionMethod;
  @ApiProperty() minUnitsPerVariant!: number;
  @ApiProperty({ nullable: true, type: Number }) maxUnitsPerVariant!: number | null;
  @ApiProperty() chanceToWinThreshold!: number;
  @ApiProperty() maxRelativeLoss!: number;
  @ApiProperty() alpha!: number;
}

export class DecisionV1 {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) experimentId!: string;
  @ApiProperty({ enum: DECISION_ACTIONS }) action!: DecisionAction;
  @ApiProperty() reason!: string;
  @ApiProperty({ nullable: true, type: String }) winner!: string | null;
  @ApiProperty({ type: 'object', additionalProperties: true, description: 'The numbers the decision was made on.' })
  numbers!: Record<string, unknown>;
  @ApiProperty({ description: 'Who decided: "rules" or the caller.' }) decidedBy!: string;
  @ApiProperty() at!: string;
}

export class ExperimentV1 {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() name!: string;
  @ApiProperty() hypothesis!: string;
  @ApiProperty({ enum: EXPERIMENT_STATUSES }) status!: ExperimentStatus;
  @ApiProperty({ enum: EXPERIMENT_METRICS }) primaryMetric!: ExperimentMetric;
  @ApiProperty({ type: [VariantV1] }) variants!: VariantV1[];
  @ApiProperty({ type: [GuardrailV1] }) guardrails!: GuardrailV1[];
  @ApiProperty({ type: DecisionRuleV1 }) decisionRule!: DecisionRuleV1;
  @ApiProperty({ type: [MetricV1], description: 'Every metric analysed, built-ins first, with cappings and priors.' })
  metrics!: MetricV1[];
  @ApiProperty({ type: AnalysisSettingsV1 }) analysis!: AnalysisSettingsV1;
  @ApiProperty({ nullable: true, type: PowerSettingsV1 }) power!: PowerSettingsV1 | null;
  @ApiProperty({ nullable: true, type: BanditSettingsV1 }) bandit!: BanditSettingsV1 | null;
  @ApiProperty() budgetMinor!: number;
  @ApiProperty({ description: 'Cost attributed from the ledger, in minor units.' }) spentMinor!: number;
  @ApiProperty() currency!: string;
  @ApiProperty({ nullable: true, type: String }) winner!: string | null;
  @ApiProperty({ nullable: true, type: String }) endReason!: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'uuid' }) opportunityId!: string | null;
  @ApiProperty({ nullable: true, type: String }) createdBy!: string | null;
  @ApiProperty() createdAt!: string;
  @ApiProperty({ nullable: true, type: String }) startedAt!: string | null;
  @ApiProperty({ nullable: true, type: String }) endedAt!: string | null;
}

export class ExperimentWithDecisionsV1 extends ExperimentV1 {
  @ApiProperty({ type: [DecisionV1], description: 'Latest decisions first (up to 50).' }) decisions!: DecisionV1[];
  @ApiProperty({
    type: [VariantWeightsV1],
    description: 'Traffic weights, newest first: the configured ones, then each reweighting of a bandit (up to 200).',
  })
  weights!: VariantWeightsV1[];
}

export class ExperimentIdV1 {
  @ApiProperty({ format: 'uuid' })
  @IsUUID()
  id!: string;
}

export class ExperimentActionV1 extends ExperimentIdV1 {
  @ApiPropertyOptional({ example: 'the offer was withdrawn' })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_TEXT)
  reason?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(MAX_NAME)
  by?: string;
}

export class ListExperimentsV1 extends PageQuery {
  @ApiPropertyOptional({ enum: EXPERIMENT_STATUSES })
  @IsOptional()
  @IsIn(EXPERIMENT_STATUSES)
  status?: ExperimentStatus;
}

export class ExperimentPageV1 {
  @ApiProperty({ type: [ExperimentV1] }) items!: ExperimentV1[];
  @ApiProperty({ nullable: true, type: String }) nextCursor!: string | null;
}

export class AssignUnitV1 {
  @ApiProperty({ format: 'uuid' })
  @IsUUID()
  experimentId!: string;

  @ApiProperty({ example: 'visitor-42' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(MAX_NAME)
  unitId!: string;
}

export class AssignmentV1 {
  @ApiProperty({ format: 'uuid' }) experimentId!: string;
  @ApiProperty() unitId!: string;
  @ApiProperty({ description: 'The variant to show; the same unit always gets the same one.' }) variantKey!: string;
  @ApiProperty({ description: 'False once the experiment has ended: everyone gets the winner (or the control).' })
  inExperiment!: boolean;
  @ApiProperty({ enum: EXPERIMENT_STATUSES }) status!: ExperimentStatus;
}

export class SampleSizeQueryV1 {
  @ApiProperty({ enum: EXPERIMENT_METRICS })
  @IsIn(EXPERIMENT_METRICS)
  metric!: ExperimentMetric;

  @ApiPropertyOptional({ example: 0.1, description: "conversion: the control's conversion rate." })
  @IsOptional()
  @Type(() => Number)
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0.000001)
  @Max(0.999999)
  baselineRate?: number;

  @ApiPropertyOptional({ example: 0.05, description: 'conversion: the relative lift to detect.' })
  @IsOptional()
  @Type(() => Number)
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0.0001)
  @Max(10)
  relativeLift?: number;

  @ApiPropertyOptional({ example: 1500, description: 'revenue_per_unit: per-unit standard deviation, minor units.' })
  @IsOptional()
  @Type(() => Number)
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0.000001)
  standardDeviation?: number;

  @ApiPropertyOptional({
    example: 100,
    description: 'revenue_per_unit: the difference in mean to detect, minor units.',
  })
  @IsOptional()
  @Type(() => Number)
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0.000001)
  minimumDetectableDifference?: number;

  @ApiPropertyOptional({ default: 0.05 })
  @IsOptional()
  @Type(() => Number)
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0.0001)
  @Max(0.5)
  alpha?: number;

  @ApiPropertyOptional({ default: 0.8 })
  @IsOptional()
  @Type(() => Number)
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0.5)
  @Max(0.9999)
  power?: number;

  @ApiPropertyOptional({
    default: 2,
    description: 'Variants including control; the total is per-variant units × variants.',
  })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(2)
  @Max(10)
  variants?: number;

  @ApiPropertyOptional({
    default: 0,
    example: 0.3,
    description:
      'Share of the variance CUPED removes (the varianceReduction a running experiment reports; ρ² for one covariate of correlation ρ): the units needed shrink by it.',
  })
  @IsOptional()
  @Type(() => Number)
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(0.99)
  varianceReduction?: number;
}

export class SampleSizeV1 {
  @ApiProperty() unitsPerVariant!: number;
  @ApiProperty() totalUnits!: number;
  @ApiProperty() alpha!: number;
  @ApiProperty() power!: number;
  @ApiProperty({ description: 'The CUPED variance reduction applied (0 without).' }) varianceReduction!: number;
  @ApiProperty() formula!: string;
}
