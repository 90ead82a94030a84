import { ApiProperty } from '@nestjs/swagger';

export class ExperimentAllocationEntryV1 {
  @ApiProperty({ format: 'uuid' }) experimentId!: string;
  @ApiProperty() name!: string;
  @ApiProperty() currency!: string;
  @ApiProperty({
    description: "Share of its currency's budget pool: how often its best variant's sampled lift was the largest.",
  })
  share!: number;
  @ApiProperty({ description: 'Budget it has left, minor units.' }) remainingBudgetMinor!: number;
  @ApiProperty({
    description:
      'share × pool, minor units (the pool is the remaining budget of every running experiment in the currency).',
  })
  allocatedMinor!: number;
  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'number' },
    description: 'Thompson traffic share per variant (its chance to be best).',
  })
  variantShares!: Record<string, number>;
}

/** `juggernaut.experiment.allocation.v1`: budget allocation across running experiments by Thompson sampling. */
export class ExperimentAllocationV1 {
  @ApiProperty({ format: 'uuid' }) allocationId!: string;
  @ApiProperty() at!: string;
  @ApiProperty({ description: 'Posterior draws per experiment.' }) draws!: number;
  @ApiProperty({ description: 'Seed of the random draws, so the allocation can be recomputed.' }) seed!: string;
  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'number' },
    description: 'Pool per currency, minor units.',
  })
  poolsMinor!: Record<string, number>;
  @ApiProperty({ type: [ExperimentAllocationEntryV1] }) experiments!: ExperimentAllocationEntryV1[];
}
