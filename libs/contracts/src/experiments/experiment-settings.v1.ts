import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsISO8601,
  IsNumber,
  IsOptional,
  IsString,
  Matches,
  Max,
  Min,
  ValidateNested,
} from 'class-validator';
import { METRIC_NAME } from './metric-values';

/** Metric keys analysed for every experiment; a MetricDto with one of these keys only sets its capping or prior. */
export const BUILT_IN_METRICS = ['conversion', 'revenue_per_unit'] as const;

/** Per-unit values a mean or ratio metric can read, besides the named numbers conversions carry. */
export const METRIC_SOURCES = ['revenue', 'orders', 'converted'] as const;
export type MetricSource = (typeof METRIC_SOURCES)[number];

export const METRIC_KINDS = ['mean', 'ratio'] as const;
export type MetricKind = (typeof METRIC_KINDS)[number];

export const CAPPING_TYPES = ['absolute', 'percentile'] as const;
export type CappingType = (typeof CAPPING_TYPES)[number];

export const CORRECTION_METHODS = ['holm', 'benjamini-hochberg', 'none'] as const;
export type CorrectionMethod = (typeof CORRECTION_METHODS)[number];

export class CappingDto {
  @ApiProperty({
    enum: CAPPING_TYPES,
    description:
      "absolute: per-unit values above `value` become `value`; percentile: above that quantile of every exposed unit's value.",
  })
  @IsIn(CAPPING_TYPES)
  type!: CappingType;

  @ApiProperty({
    example: 0.99,
    description: "absolute: the cap, in the metric's units (> 0); percentile: the quantile, from 0.5 to 0.99999.",
  })
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0.000001)
  @Max(1e15)
  value!: number;
}

export class PriorDto {
  @ApiProperty({ example: 0, description: 'Prior mean of the relative lift (0.05 = +5%).' })
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(-10)
  @Max(10)
  mean!: number;

  @ApiProperty({
    example: 0.09,
    description: 'Prior variance of the relative lift (0.09: a standard deviation of 30%).',
  })
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0.000001)
  @Max(100)
  variance!: number;
}

/**
 * A metric to analyse. The built-ins (`conversion`, `revenue_per_unit`) are always analysed; list
 * one only to give it a capping or a prior. Any other key defines a metric: `mean` of a per-unit
 * value, or `ratio` of two per-unit values summed over an arm's units (revenue per order).
 */
export class MetricDto {
  @ApiProperty({ example: 'revenue_per_order', description: 'Unique key: lower-case letters, digits, "_".' })
  @IsString()
  @Matches(METRIC_NAME, { message: `key must match ${METRIC_NAME.source}` })
  key!: string;

  @ApiPropertyOptional({ enum: METRIC_KINDS, description: 'Required for a new metric; absent for a built-in.' })
  @IsOptional()
  @IsIn(METRIC_KINDS)
  kind?: MetricKind;

  @ApiPropertyOptional({
    example: 'revenue',
    description:
      'The per-unit value averaged (mean) or summed on top (ratio): revenue (minor units), orders (conversions), converted (0/1), or a name conversions carry in `metrics`.',
  })
  @IsOptional()
  @IsString()
  @Matches(METRIC_NAME, { message: `numerator must match ${METRIC_NAME.source}` })
  numerator?: string;

  @ApiPropertyOptional({ example: 'orders', description: 'ratio only: the per-unit value summed underneath.' })
  @IsOptional()
  @IsString()
  @Matches(METRIC_NAME, { message: `denominator must match ${METRIC_NAME.source}` })
  denominator?: string;

  @ApiPropertyOptional({
    type: CappingDto,
    description: 'Winsorize per-unit values (the numerator of a ratio); not for conversion.',
  })
  @IsOptional()
  @ValidateNested()
  @Type(() => CappingDto)
  capping?: CappingDto;

  @ApiPropertyOptional({
    type: PriorDto,
    description: 'A proper Normal prior on the relative lift; without one the prior is flat (improper).',
  })
  @IsOptional()
  @ValidateNested()
  @Type(() => PriorDto)
  prior?: PriorDto;
}

export class AnalysisSettingsDto {
  @ApiPropertyOptional({
    enum: CORRECTION_METHODS,
    default: 'holm',
    description:
      'Multiple-comparison correction across every variant and metric; the adjusted p-values are what decisions use.',
  })
  @IsOptional()
  @IsIn(CORRECTION_METHODS)
  correction?: CorrectionMethod;

  @ApiPropertyOptional({
    default: false,
    description:
      "CUPED: adjust mean metrics by each unit's pre-exposure revenue (from the ledger) and the exposure's covariate.",
  })
  @IsOptional()
  @IsBoolean()
  cuped?: boolean;

  @ApiPropertyOptional({
    default: 30,
    description: "CUPED: days before a unit's first exposure whose ledger revenue is its pre-exposure value.",
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(365)
  cupedLookbackDays?: number;

  @ApiPropertyOptional({
    default: true,
    description: "Post-stratify mean metrics on the exposures' `stratum` (when any exposure has one).",
  })
  @IsOptional()
  @IsBoolean()
  postStratify?: boolean;

  @ApiPropertyOptional({
    default: 5000,
    description: 'Confidence sequences: the total units n* where they are narrowest (ρ is tuned for it).',
  })
  @IsOptional()
  @IsInt()
  @Min(10)
  @Max(1_000_000_000)
  sequentialTuning?: number;

  @ApiPropertyOptional({
    default: 50,
    description: 'Sample ratio mismatch flags only once every arm is expected to hold this many units.',
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  srmMinUnitsPerVariant?: number;
}

export class PowerSettingsDto {
  @ApiProperty({
    example: 0.05,
    description: 'Relative lift the experiment should detect (its minimum detectable effect).',
  })
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0.0001)
  @Max(10)
  minimumDetectableEffect!: number;

  @ApiPropertyOptional({ example: 5000, description: 'Units per variant at the planned end (or give plannedEndAt).' })
  @IsOptional()
  @IsInt()
  @Min(2)
  @Max(1_000_000_000)
  plannedUnitsPerVariant?: number;

  @ApiPropertyOptional({
    example: '2026-12-31T00:00:00Z',
    description: 'Planned end: units are projected at the traffic rate seen since the start.',
  })
  @IsOptional()
  @IsISO8601({ strict: true })
  plannedEndAt?: string;
}

export class BanditSettingsDto {
  @ApiProperty({ description: 'Reweight traffic across variants by top-two Thompson sampling on the primary metric.' })
  @IsBoolean()
  enabled!: boolean;

  @ApiPropertyOptional({ default: 100, description: 'No reweighting until every variant has this many units.' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(100_000_000)
  minUnitsPerVariant?: number;

  @ApiPropertyOptional({
    default: 0.05,
    description: 'Least share of traffic any variant keeps (at most 1 / variants).',
  })
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0.001)
  @Max(0.5)
  minWeight?: number;

  @ApiPropertyOptional({
    default: 0.5,
    description: 'Top-two β: the chance a unit goes to the arm a posterior draw ranks first (else to the challenger).',
  })
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0.01)
  @Max(1)
  topTwoProbability?: number;

  @ApiPropertyOptional({ default: 60, description: 'Least minutes between two reweightings (0: at every rules pass).' })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(10_080)
  reweightEveryMinutes?: number;
}

export class CappingV1 {
  @ApiProperty({ enum: CAPPING_TYPES }) type!: CappingType;
  @ApiProperty() value!: number;
}

export class PriorV1 {
  @ApiProperty() mean!: number;
  @ApiProperty() variance!: number;
}

/** A metric with its definition resolved (built-ins included). */
export class MetricV1 {
  @ApiProperty() key!: string;
  @ApiProperty({ enum: ['proportion', 'mean', 'ratio'] }) kind!: 'proportion' | 'mean' | 'ratio';
  @ApiProperty({ description: 'revenue, orders, converted or a conversion metric name.' }) numerator!: string;
  @ApiProperty({ nullable: true, type: String }) denominator!: string | null;
  @ApiProperty({ nullable: true, type: CappingV1 }) capping!: CappingV1 | null;
  @ApiProperty({ nullable: true, type: PriorV1, description: 'Null: the flat (improper) prior.' })
  prior!: PriorV1 | null;
}

export class AnalysisSettingsV1 {
  @ApiProperty({ enum: CORRECTION_METHODS }) correction!: CorrectionMethod;
  @ApiProperty() cuped!: boolean;
  @ApiProperty() cupedLookbackDays!: number;
  @ApiProperty() postStratify!: boolean;
  @ApiProperty() sequentialTuning!: number;
  @ApiProperty() srmMinUnitsPerVariant!: number;
}

export class PowerSettingsV1 {
  @ApiProperty() minimumDetectableEffect!: number;
  @ApiProperty({ nullable: true, type: Number }) plannedUnitsPerVariant!: number | null;
  @ApiProperty({ nullable: true, type: String }) plannedEndAt!: string | null;
}

export class BanditSettingsV1 {
  @ApiProperty() enabled!: boolean;
  @ApiProperty() minUnitsPerVariant!: number;
  @ApiProperty() minWeight!: number;
  @ApiProperty() topTwoProbability!: number;
  @ApiProperty() reweightEveryMinutes!: number;
}
