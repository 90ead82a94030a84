import { ApiProperty } from '@nestjs/swagger';
import { DECISION_ACTIONS, type DecisionAction, EXPERIMENT_METRICS, type ExperimentMetric, EXPERIMENT_STATUSES, type ExperimentStatus } from './experiment.v1';

export class IntervalV1 {
  @ApiProperty() lower!: number;
  @ApiProperty() upper!: number;
}

export class PosteriorV1 {
  @ApiProperty({ enum: ['beta', 'normal'] }) kind!: 'beta' | 'normal';
  @ApiProperty() mean!: number;
  @ApiProperty() sd!: number;
  @ApiProperty({ required: false }) alpha?: number;
  @ApiProperty({ required: false }) beta?: number;
}

export class BayesianResultV1 {
  @ApiProperty({ type: PosteriorV1 }) posterior!: PosteriorV1;
  @ApiProperty() chanceToBeBest!: number;
  @ApiProperty({ nullable: true, type: Number, description: 'Null for the control.' }) chanceToBeatControl!: number | null;
  @ApiProperty({ nullable: true, type: Number, description: 'E[max(control − variant, 0)] in the metric\'s units.' }) expectedLoss!: number | null;
  @ApiProperty({ nullable: true, type: Number, description: 'Expected loss as a share of the control\'s mean.' }) relativeExpectedLoss!: number | null;
}

export class FrequentistResultV1 {
  @ApiProperty({ enum: ['two-proportion-z', 'welch-t'] }) test!: 'two-proportion-z' | 'welch-t';
  @ApiProperty() statistic!: number;
  @ApiProperty() pValue!: number;
  @ApiProperty({ description: 'Holm-adjusted across the variants compared with control.' }) adjustedPValue!: number;
  @ApiProperty() difference!: number;
  @ApiProperty({ type: IntervalV1 }) differenceInterval!: IntervalV1;
  @ApiProperty({ nullable: true, type: Number }) lift!: number | null;
  @ApiProperty({ nullable: true, type: IntervalV1 }) liftInterval!: IntervalV1 | null;
  @ApiProperty({ required: false }) degreesOfFreedom?: number;
}

export class SequentialResultV1 {
  @ApiProperty({ description: 'mSPRT p-value at this look.' }) pValue!: number;
  @ApiProperty({ description: 'Minimum over every look so far: valid however often results are checked.' }) alwaysValidPValue!: number;
  @ApiProperty({ description: 'Holm-adjusted across the variants compared with control.' }) adjustedAlwaysValidPValue!: number;
}

export class GuardrailResultV1 {
  @ApiProperty({ enum: EXPERIMENT_METRICS }) metric!: ExperimentMetric;
  @ApiProperty() maxRelativeDrop!: number;
  @ApiProperty({ nullable: true, type: Number, description: 'P(variant < (1 − drop) × control); null before the minimum sample.' }) probability!: number | null;
  @ApiProperty() breached!: boolean;
}

export class VariantResultV1 {
  @ApiProperty() key!: string;
  @ApiProperty() control!: boolean;
  @ApiProperty() weight!: number;
  @ApiProperty({ description: 'Units exposed.' }) units!: number;
  @ApiProperty({ description: 'Exposed units that converted.' }) conversions!: number;
  @ApiProperty() conversionRate!: number;
  @ApiProperty({ description: 'Revenue attributed from the ledger to this variant, minor units.' }) revenueMinor!: number;
  @ApiProperty({ description: 'Mean value per exposed unit, minor units.' }) revenuePerUnit!: number;
  @ApiProperty({ nullable: true, type: BayesianResultV1 }) bayesian!: BayesianResultV1 | null;
  @ApiProperty({ nullable: true, type: FrequentistResultV1 }) frequentist!: FrequentistResultV1 | null;
  @ApiProperty({ nullable: true, type: SequentialResultV1 }) sequential!: SequentialResultV1 | null;
  @ApiProperty({ type: [GuardrailResultV1] }) guardrails!: GuardrailResultV1[];
}

export class SrmResultV1 {
  @ApiProperty() chiSquare!: number;
  @ApiProperty() degreesOfFreedom!: number;
  @ApiProperty() pValue!: number;
  @ApiProperty({ type: [Number] }) observed!: number[];
  @ApiProperty({ type: [Number] }) expected!: number[];
  @ApiProperty({ description: 'p < 0.001: assignment or logging is broken; no decision is taken.' }) flagged!: boolean;
}

export class SuggestedDecisionV1 {
  @ApiProperty({ enum: DECISION_ACTIONS }) action!: DecisionAction;
  @ApiProperty() reason!: string;
  @ApiProperty({ nullable: true, type: String }) winner!: string | null;
}

export class ExperimentResultsV1 {
  @ApiProperty({ format: 'uuid' }) experimentId!: string;
  @ApiProperty({ enum: EXPERIMENT_STATUSES }) status!: ExperimentStatus;
  @ApiProperty({ enum: EXPERIMENT_METRICS }) primaryMetric!: ExperimentMetric;
  @ApiProperty() currency!: string;
  @ApiProperty() budgetMinor!: number;
  @ApiProperty() spentMinor!: number;
  @ApiProperty({ description: 'All revenue the ledger attributed to this experiment, minor units.' }) revenueMinor!: number;
  @ApiProperty({ type: SrmResultV1 }) srm!: SrmResultV1;
  @ApiProperty({ type: [VariantResultV1] }) variants!: VariantResultV1[];
  @ApiProperty({ type: SuggestedDecisionV1, description: 'What the decision rule says now (taken only by an evaluation).' }) decision!: SuggestedDecisionV1;
  @ApiProperty() computedAt!: string;
}
