import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsISO8601, IsNotEmpty, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { MAX_MINOR, MAX_NAME } from '../common/validation';

export class ExperimentExposureV1 {
  @ApiProperty() @IsString() @IsNotEmpty() @MaxLength(MAX_NAME)
  experimentId!: string;

  @ApiProperty() @IsString() @IsNotEmpty() @MaxLength(MAX_NAME)
  variantKey!: string;

  @ApiProperty({ description: 'The unit exposed (user, visitor, account).' })
  @IsString() @IsNotEmpty() @MaxLength(MAX_NAME)
  unitId!: string;

  @ApiProperty() @IsISO8601({ strict: true })
  occurredAt!: string;
}

export class ExperimentConversionV1 extends ExperimentExposureV1 {
  @ApiPropertyOptional({ description: 'Value of the conversion in minor units.' })
  @IsOptional() @IsInt() @Min(0) @Max(MAX_MINOR)
  valueMinor?: number;

  @ApiPropertyOptional({ description: 'Unique per conversion, so a unit may convert more than once; defaults to unitId (one conversion per unit).' })
  @IsOptional() @IsString() @IsNotEmpty() @MaxLength(MAX_NAME)
  conversionId?: string;
}

export class ExperimentLifecycleV1 {
  @ApiProperty() @IsString() @IsNotEmpty()
  experimentId!: string;

  @ApiProperty() @IsString() @IsNotEmpty()
  name!: string;

  @ApiProperty({ enum: ['running', 'stopped', 'concluded'] }) @IsString()
  status!: string;

  @ApiPropertyOptional({ description: 'Winning variant, when concluded with one.' })
  @IsOptional() @IsString()
  winner?: string;

  @ApiPropertyOptional() @IsOptional() @IsString()
  reason?: string;

  @ApiPropertyOptional({ description: 'The stored decision that changed the status.' }) @IsOptional() @IsString()
  decisionId?: string;

  @ApiProperty() @IsISO8601()
  at!: string;
}
