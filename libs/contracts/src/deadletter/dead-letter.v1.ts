import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsISO8601, IsOptional, IsString } from 'class-validator';

/** A message that could not be processed, kept with the reason so it can be inspected and replayed. */
export class DeadLetterV1 {
  @ApiProperty({ description: 'Subject the message arrived on.' })
  @IsString()
  subject!: string;

  @ApiProperty({ description: 'Why it was dead-lettered.' })
  @IsString()
  reason!: string;

  @ApiProperty({ description: 'The original message body, as received (UTF-8).' })
  @IsString()
  data!: string;

  @ApiProperty({ description: 'Service that rejected it.' })
  @IsString()
  service!: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  consumer?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsInt()
  deliveries?: number;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  correlationId?: string;

  @ApiProperty()
  @IsISO8601()
  at!: string;
}
