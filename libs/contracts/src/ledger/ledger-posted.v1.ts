import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsArray, IsISO8601, IsInt, IsOptional, IsString, IsUUID } from 'class-validator';

export class PostingV1 {
  @ApiProperty({ example: 'assets:cash:USD' })
  @IsString()
  account!: string;

  @ApiProperty({ description: 'Signed minor units: debits positive, credits negative.' })
  @IsInt()
  amountMinor!: number;

  @ApiProperty()
  @IsString()
  currency!: string;
}

export class LedgerPostedV1 {
  @ApiProperty({ format: 'uuid' })
  @IsUUID()
  transactionId!: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  eventId?: string;

  @ApiProperty({ example: 'revenue' })
  @IsString()
  kind!: string;

  @ApiProperty({ type: [PostingV1] })
  @IsArray()
  postings!: PostingV1[];

  @ApiProperty()
  @IsISO8601()
  occurredAt!: string;

  @ApiPropertyOptional({ description: 'Revenue source or cost category.' })
  @IsOptional()
  @IsString()
  source?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  experimentId?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  variantKey?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  unitId?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  goalId?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  taskId?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  taskType?: string;

  @ApiPropertyOptional({
    description: 'Headline amount of a revenue or cost event (positive), in minor units of `currency`.',
  })
  @IsOptional()
  @IsInt()
  amountMinor?: number;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  currency?: string;

  @ApiPropertyOptional({ format: 'uuid', description: 'For a reversal: the transaction it reverses.' })
  @IsOptional()
  @IsUUID()
  reverses?: string;
}
