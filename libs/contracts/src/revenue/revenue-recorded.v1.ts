import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  IsISO4217CurrencyCode,
  IsInt,
  IsISO8601,
  IsNotEmpty,
  IsOptional,
  IsString,
  Max,
  MaxLength,
  Min,
} from 'class-validator';
import { MAX_MINOR, MAX_NAME, MAX_TEXT } from '../common/validation';

/**
 * Revenue earned, reported by another system. Posted to the ledger exactly once per eventId.
 * Kept flat (no class-transformer decorators): the ledger validates it with `validateFlatPayload`.
 */
export class RevenueRecordedV1 {
  @ApiProperty({ description: 'Unique per event; redelivery with the same id changes nothing.' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(MAX_NAME)
  eventId!: string;

  @ApiProperty({ description: 'Amount in integer minor units (cents).', minimum: 1 })
  @IsInt()
  @Min(1)
  @Max(MAX_MINOR)
  amountMinor!: number;

  @ApiProperty({ example: 'USD' })
  @IsISO4217CurrencyCode()
  currency!: string;

  @ApiProperty({ example: 'stripe' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(MAX_NAME)
  source!: string;

  @ApiProperty({ example: '2026-11-25T10:00:00Z' })
  @IsISO8601({ strict: true })
  occurredAt!: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(MAX_NAME)
  experimentId?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(MAX_NAME)
  variantKey?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(MAX_NAME)
  opportunityId?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(MAX_NAME)
  customerRef?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(MAX_TEXT)
  description?: string;

  @ApiPropertyOptional({
    description: 'Experiment unit (user, visitor) the revenue is attributed to; defaults to customerRef.',
  })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_NAME)
  unitId?: string;

  @ApiPropertyOptional({ description: 'Goal the revenue counts toward (P&L by goal).' })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_NAME)
  goalId?: string;
}

/** Money spent (LLM tokens, tools, infrastructure). Posted to the ledger exactly once per eventId. Kept flat, as above. */
export class CostRecordedV1 {
  @ApiProperty()
  @IsString()
  @IsNotEmpty()
  @MaxLength(MAX_NAME)
  eventId!: string;

  @ApiProperty({ minimum: 1 })
  @IsInt()
  @Min(1)
  @Max(MAX_MINOR)
  amountMinor!: number;

  @ApiProperty({ example: 'USD' })
  @IsISO4217CurrencyCode()
  currency!: string;

  @ApiProperty({ example: 'llm:gpt-4o-mini' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(MAX_NAME)
  category!: string;

  @ApiProperty({ example: 'agent-runner' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(MAX_NAME)
  source!: string;

  @ApiProperty()
  @IsISO8601({ strict: true })
  occurredAt!: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(MAX_NAME)
  taskId?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(MAX_NAME)
  experimentId?: string;

  @ApiPropertyOptional({ description: 'Type of the task that spent it (P&L by task type).', example: 'research' })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_NAME)
  taskType?: string;

  @ApiPropertyOptional({ description: 'Goal the spend served (P&L by goal).' })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_NAME)
  goalId?: string;

  @ApiPropertyOptional({ description: 'What was bought, for people reading the ledger.' })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_TEXT)
  description?: string;
}
