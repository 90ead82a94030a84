import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsISO8601, IsObject, IsOptional, IsString, IsUUID } from 'class-validator';

export const ALERT_SEVERITIES = ['info', 'warning', 'critical'] as const;

export class AlertRaisedV1 {
  @ApiProperty({ format: 'uuid' })
  @IsUUID()
  alertId!: string;

  @ApiProperty({ example: 'queue_stuck' })
  @IsString()
  kind!: string;

  @ApiProperty({ enum: ALERT_SEVERITIES })
  @IsIn(ALERT_SEVERITIES)
  severity!: (typeof ALERT_SEVERITIES)[number];

  @ApiProperty()
  @IsString()
  message!: string;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true })
  @IsOptional()
  @IsObject()
  details?: Record<string, unknown>;

  @ApiProperty()
  @IsISO8601()
  at!: string;
}
