import { ApiProperty } from '@nestjs/swagger';
import { IsInt, Max, Min } from 'class-validator';

/** `juggernaut.dispatch.health.v1`: what the monitor needs to know about the queue, answered by the dispatcher. */
export class DispatchHealthV1 {
  @ApiProperty({ description: 'Tasks ready to run and not yet claimed.' }) pendingCount!: number;
  @ApiProperty({ nullable: true, type: String, description: 'When the longest-waiting ready task became ready.' })
  oldestPendingSince!: string | null;
  @ApiProperty({
    description:
      'Running tasks whose lease expired more than the grace period ago (the reaper should have taken them).',
  })
  stuckCount!: number;
  @ApiProperty({ description: 'Up to 20 of them, longest expired first.' })
  stuck!: Array<{ taskId: string; type: string; workerId: string | null; leaseExpiresAt: string }>;
}

export class DispatchHealthQueryV1 {
  /** Seconds past lease expiry before a running task counts as stuck. */
  @ApiProperty()
  @IsInt()
  @Min(0)
  @Max(86_400)
  stuckAfterSeconds!: number;
}
