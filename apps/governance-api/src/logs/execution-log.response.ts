import { ApiProperty } from '@nestjs/swagger';
import { LOG_LEVELS } from '@juggernaut/contracts';
import type { ExecutionLogView } from './logs.service';

/** A stored execution log line, as readers see it (secrets redacted). */
export class ExecutionLogResponse implements ExecutionLogView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() workerId!: string;
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) taskId!: string | null;
  @ApiProperty({ type: Number, nullable: true }) step!: number | null;
  @ApiProperty() action!: string;
  @ApiProperty({ enum: LOG_LEVELS }) level!: string;
  @ApiProperty() message!: string;
  @ApiProperty({ type: 'object', additionalProperties: true, nullable: true }) outputData!: Record<
    string,
    unknown
  > | null;
  @ApiProperty({ type: Number, nullable: true }) durationMs!: number | null;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
}
