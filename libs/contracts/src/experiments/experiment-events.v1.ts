import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsISO8601, IsNotEmpty, IsNumber, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { MAX_MINOR, MAX_NAME } from '../common/validation';
import {
  IsMetricValueMap,
  MAX_COVARIATE,
  MAX_STRATUM,
  METRIC_NAME,
  METRIC_VALUES_PER_CONVERSION,
} from './metric-values';

/** What exposures and conversions share: the unit, its variant and when. */
export class ExperimentUnitEventV1 {
  @ApiProperty()
  @IsString()
  @IsNotEmpty()
  @MaxLength(MAX_NAME)
  experimentId!: string;

  @ApiProperty()
  @IsString()
  @IsNotEmpty()
  @MaxLength(MAX_NAME)
  variantKey!: string;

  @ApiProperty({ description: 'The unit exposed (user, visitor, account).' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(MAX_NAME)
  unitId!: string;

  @ApiProperty()
  @IsISO8601({ strict: true })
  occurredAt!: string;
}

/** `juggernaut.experiment.exposure.v1`: a unit saw a variant. Only the first exposure of a unit counts. */
export class ExperimentExposureV1 extends ExperimentUnitEventV1 {
  @ApiPropertyOptional({
    description:
      'A number known about the unit before exposure (sessions last month, plan price): a CUPED covariate. Must not depend on the variant.',
    example: 12,
  })
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(-MAX_COVARIATE)
  @Max(MAX_COVARIATE)
  covariate?: number;

  @ApiPropertyOptional({
    description: 'A segment known before exposure (country, platform): results are post-stratified on it.',
    example: 'mobile',
  })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(MAX_STRATUM)
  stratum?: string;
}

/** `juggernaut.experiment.conversion.v1`: a unit converted (bought, signed up); a unit may convert more than once. */
export class ExperimentConversionV1 extends ExperimentUnitEventV1 {
  @ApiPropertyOptional({ description: 'Value of the conversion in minor units.' })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(MAX_MINOR)
  valueMinor?: number;

  @ApiPropertyOptional({
    description:
      'Unique per conversion, so a unit may convert more than once; defaults to unitId (one conversion per unit).',
  })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(MAX_NAME)
  conversionId?: string;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: { type: 'number' },
    example: { items: 3, refunds_minor: 0 },
    description: `Named numbers of the conversion (at most ${METRIC_VALUES_PER_CONVERSION}; names ${METRIC_NAME.source}): a unit's value of a name is the sum over its conversions, and mean and ratio metrics read them.`,
  })
  @IsOptional()
  @IsMetricValueMap()
  metrics?: Record<string, number>;
}

export class ExperimentLifecycleV1 {
  @ApiProperty()
  @IsString()
  @IsNotEmpty()
  experimentId!: string;

  @ApiProperty()
  @IsString()
  @IsNotEmpty()
  name!: string;

  @ApiProperty({ enum: ['running', 'stopped', 'concluded'] })
  @IsString()
  status!: string;

  @ApiPropertyOptional({ description: 'Winning variant, when concluded with one.' })
  @IsOptional()
  @IsString()
  winner?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  reason?: string;

  @ApiPropertyOptional({ description: 'The stored decision that changed the status.' })
  @IsOptional()
  @IsString()
  decisionId?: string;

  @ApiProperty()
  @IsISO8601()
  at!: string;
}
