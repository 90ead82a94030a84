import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  IsISO4217CurrencyCode,
  IsInt,
  IsISO8601,
  IsNotEmpty,
  IsNumber,
  IsOptional,
  IsString,
  IsUUID,
  Max,
  MaxLength,
  Min,
} from 'class-validator';
import { MAX_MINOR, MAX_NAME, MAX_TEXT } from '../common/validation';

/** A revenue opportunity found by a worker or a person. */
export class CreateOpportunityDto {
  @ApiProperty({ example: 'saas' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  opportunityType!: string;

  @ApiProperty({ example: 'developer-tools' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  category!: string;

  @ApiProperty({ example: 'A hosted linter for YAML manifests' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(MAX_TEXT)
  description!: string;

  @ApiProperty({ description: 'Estimated value in integer minor units.', example: 500000 })
  @IsInt()
  @Min(0)
  @Max(MAX_MINOR)
  estimatedValueMinor!: number;

  @ApiPropertyOptional({ example: 'USD', default: 'USD' })
  @IsOptional()
  @IsISO4217CurrencyCode()
  currency?: string;

  @ApiProperty({ minimum: 0, maximum: 1, example: 0.4 })
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(1)
  confidenceScore!: number;

  @ApiPropertyOptional({ description: 'Where it was found (URL, feed, worker).' })
  @IsOptional()
  @IsString()
  @MaxLength(2048)
  source?: string;

  @ApiPropertyOptional({ description: 'Deduplication key; the same key returns the existing opportunity.' })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_NAME)
  dedupeKey?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(MAX_NAME)
  workerId?: string;

  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID()
  taskId?: string;
}

export class OpportunityV1 extends CreateOpportunityDto {
  @ApiProperty({ format: 'uuid' })
  @IsUUID()
  id!: string;

  @ApiProperty()
  @IsString()
  status!: string;

  @ApiProperty()
  @IsISO8601()
  createdAt!: string;
}
