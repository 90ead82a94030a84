import { ApiProperty } from '@nestjs/swagger';

/** One set of traffic weights of a bandit experiment, as it was applied from `at` on. */
export class VariantWeightsV1 {
  @ApiProperty({ description: '1 for the weights the experiment started with, then one more per reweighting.' })
  version!: number;
  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'number' },
    description: 'Share of new units per variant (sums to 1).',
  })
  weights!: Record<string, number>;
  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'number' },
    nullable: true,
    description: "Each variant's chance to be best the weights were computed from (null for the start).",
  })
  chanceToBeBest!: Record<string, number> | null;
  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'number' },
    nullable: true,
    description: 'Units per variant when the weights were computed.',
  })
  units!: Record<string, number> | null;
  @ApiProperty() reason!: string;
  @ApiProperty() at!: string;
}

/** A bandit experiment's traffic weights now and every earlier set (`GET /experiments/{id}/weights`). */
export class VariantWeightsHistoryV1 {
  @ApiProperty({ format: 'uuid' }) experimentId!: string;
  @ApiProperty({ description: 'False for an experiment with fixed weights (its history is its one set of weights).' })
  bandit!: boolean;
  @ApiProperty({ type: VariantWeightsV1 }) current!: VariantWeightsV1;
  @ApiProperty({ type: [VariantWeightsV1], description: 'Newest first.' }) history!: VariantWeightsV1[];
}
