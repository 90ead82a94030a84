import { ApiProperty } from '@nestjs/swagger';
import {
  CAPPING_TYPES,
  type CappingType,
  CORRECTION_METHODS,
  type CorrectionMethod,
  PriorV1,
} from './experiment-settings.v1';
import {
  DECISION_ACTIONS,
  type DecisionAction,
  EXPERIMENT_METRICS,
  type ExperimentMetric,
  EXPERIMENT_STATUSES,
  type ExperimentStatus,
} from './experiment.v1';
import { VariantWeightsV1 } from './experiment-weights.v1';

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
  @ApiProperty({ nullable: true, type: Number, description: 'Null for the control.' }) chanceToBeatControl!:
    number | null;
  @ApiProperty({ nullable: true, type: Number, description: "E[max(control − variant, 0)] in the metric's units." })
  expectedLoss!: number | null;
  @ApiProperty({ nullable: true, type: Number, description: "Expected loss as a share of the control's mean." })
  relativeExpectedLoss!: number | null;
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
  @ApiProperty({ description: 'Minimum over every look so far: valid however often results are checked.' })
  alwaysValidPValue!: number;
  @ApiProperty({
    description: "Adjusted (the experiment's correction) across every variant and metric compared with control.",
  })
  adjustedAlwaysValidPValue!: number;
}

export class ConfidenceSequenceV1 {
  @ApiProperty({
    type: IntervalV1,
    description: 'Time-uniform interval for variant − control: valid at every look at once.',
  })
  difference!: IntervalV1;
  @ApiProperty({
    nullable: true,
    type: IntervalV1,
    description: "The same for the relative lift (delta-method variance); null when the control's mean is 0.",
  })
  lift!: IntervalV1 | null;
  @ApiProperty({ description: 'Anytime-valid p-value of the difference: the smallest α whose sequence excludes 0.' })
  pValue!: number;
  @ApiProperty({ description: "Adjusted across every variant and metric (the experiment's correction)." })
  adjustedPValue!: number;
}

export class LiftPosteriorV1 {
  @ApiProperty({ nullable: true, type: PriorV1, description: 'The proper prior used; null for the flat default.' })
  prior!: PriorV1 | null;
  @ApiProperty({ description: 'Posterior mean of the relative lift.' }) mean!: number;
  @ApiProperty() sd!: number;
  @ApiProperty() chanceToBeatControl!: number;
  @ApiProperty({ type: IntervalV1, description: 'Central credible interval at 1 − α.' }) interval!: IntervalV1;
  @ApiProperty({ description: 'E[max(−lift, 0)]: expected relative loss of shipping the variant.' }) risk!: number;
  @ApiProperty({ description: 'E[max(lift, 0)]: expected relative loss of keeping the control.' })
  riskOfControl!: number;
}

export class PowerResultV1 {
  @ApiProperty({ description: 'The relative lift to detect.' }) minimumDetectableEffect!: number;
  @ApiProperty({ description: 'Units (control + variant) in the comparison now.' }) units!: number;
  @ApiProperty({ description: 'Units (control + variant) projected at the planned end.' }) projectedUnits!: number;
  @ApiProperty({
    description:
      'Chance the fixed-horizon test (or, with a proper prior, the posterior) detects the effect by the planned end.',
  })
  power!: number;
  @ApiProperty({ description: 'The same for the confidence sequence.' }) sequentialPower!: number;
}

export class MetricComparisonV1 {
  @ApiProperty({ enum: ['two-proportion-z', 'welch-t'] }) test!: 'two-proportion-z' | 'welch-t';
  @ApiProperty() statistic!: number;
  @ApiProperty() pValue!: number;
  @ApiProperty({ description: "Adjusted across every variant and metric (the experiment's correction)." })
  adjustedPValue!: number;
  @ApiProperty({ description: 'Variant − control, on the adjusted (CUPED, capped, stratified) means.' })
  difference!: number;
  @ApiProperty({ type: IntervalV1 }) differenceInterval!: IntervalV1;
  @ApiProperty({ nullable: true, type: Number }) lift!: number | null;
  @ApiProperty({ nullable: true, type: IntervalV1 }) liftInterval!: IntervalV1 | null;
  @ApiProperty({ required: false }) degreesOfFreedom?: number;
}

export class MetricVariantResultV1 {
  @ApiProperty() key!: string;
  @ApiProperty() control!: boolean;
  @ApiProperty() units!: number;
  @ApiProperty({
    nullable: true,
    type: Number,
    description:
      'Mean per unit (or the ratio) before CUPED and post-stratification, after capping; null for a ratio without a denominator yet.',
  })
  mean!: number | null;
  @ApiProperty({
    nullable: true,
    type: Number,
    description: 'The estimate the tests use: CUPED-adjusted and post-stratified where those apply.',
  })
  adjustedMean!: number | null;
  @ApiProperty({ nullable: true, type: Number, description: 'Standard error of adjustedMean.' }) standardError!:
    number | null;
  @ApiProperty({ nullable: true, type: Number, description: '1 − Var(adjusted mean) / Var(plain mean).' })
  varianceReduction!: number | null;
  @ApiProperty({ nullable: true, type: MetricComparisonV1, description: 'Null for the control.' })
  comparison!: MetricComparisonV1 | null;
  @ApiProperty({ nullable: true, type: ConfidenceSequenceV1 }) confidenceSequence!: ConfidenceSequenceV1 | null;
  @ApiProperty({ nullable: true, type: SequentialResultV1, description: 'mSPRT always-valid p-value.' })
  sequential!: SequentialResultV1 | null;
  @ApiProperty({ nullable: true, type: LiftPosteriorV1 }) liftPosterior!: LiftPosteriorV1 | null;
  @ApiProperty({ nullable: true, type: PowerResultV1, description: 'Null without power settings.' })
  power!: PowerResultV1 | null;
}

export class CappingResultV1 {
  @ApiProperty({ enum: CAPPING_TYPES }) type!: CappingType;
  @ApiProperty({ description: 'The setting: the absolute cap or the quantile.' }) value!: number;
  @ApiProperty({
    nullable: true,
    type: Number,
    description: "The cap applied to per-unit values (the quantile's value for percentile capping).",
  })
  cap!: number | null;
  @ApiProperty({
    nullable: true,
    type: Number,
    description: 'The cap applied to the pre-exposure revenue covariate, when CUPED uses it.',
  })
  covariateCap!: number | null;
}

export class CupedResultV1 {
  @ApiProperty({
    type: [String],
    description: 'pre_revenue (ledger revenue in the lookback before first exposure), exposure_covariate.',
  })
  covariates!: string[];
  @ApiProperty({ type: [Number], description: 'θ per covariate (0 for one without spread), pooled over every unit.' })
  theta!: number[];
  @ApiProperty({ description: "Share of the variance of the arms' means CUPED removed (before post-stratification)." })
  varianceReduction!: number;
}

export class StratificationResultV1 {
  @ApiProperty({ description: 'Strata the means were averaged over (small strata pooled).' }) strata!: number;
  @ApiProperty({ description: 'Weighting periods of a bandit among them (1 without one).' }) periods!: number;
}

export class MetricResultV1 {
  @ApiProperty() key!: string;
  @ApiProperty({ enum: ['proportion', 'mean', 'ratio'] }) kind!: 'proportion' | 'mean' | 'ratio';
  @ApiProperty() primary!: boolean;
  @ApiProperty() numerator!: string;
  @ApiProperty({ nullable: true, type: String }) denominator!: string | null;
  @ApiProperty({ nullable: true, type: CappingResultV1 }) capping!: CappingResultV1 | null;
  @ApiProperty({ nullable: true, type: CupedResultV1, description: 'Null without CUPED (or for a ratio).' })
  cuped!: CupedResultV1 | null;
  @ApiProperty({ nullable: true, type: StratificationResultV1, description: 'Null when not post-stratified.' })
  stratification!: StratificationResultV1 | null;
  @ApiProperty({
    nullable: true,
    type: Number,
    description: "Share of the variance of the arms' means removed by CUPED and post-stratification together.",
  })
  varianceReduction!: number | null;
  @ApiProperty({ type: [MetricVariantResultV1] }) variants!: MetricVariantResultV1[];
}

export class BalanceResultV1 {
  @ApiProperty({ description: 'pre_revenue or exposure_covariate.' }) covariate!: string;
  @ApiProperty({ type: [Number], description: "Mean per variant, in the variants' order." }) means!: number[];
  @ApiProperty() fStatistic!: number;
  @ApiProperty({ type: [Number] }) degreesOfFreedom!: number[];
  @ApiProperty() pValue!: number;
  @ApiProperty({ description: 'p < 0.001: the arms differ before exposure; no decision is taken.' }) flagged!: boolean;
}

export class GuardrailResultV1 {
  @ApiProperty({ enum: EXPERIMENT_METRICS }) metric!: ExperimentMetric;
  @ApiProperty() maxRelativeDrop!: number;
  @ApiProperty({
    nullable: true,
    type: Number,
    description: 'P(variant < (1 − drop) × control); null before the minimum sample.',
  })
  probability!: number | null;
  @ApiProperty() breached!: boolean;
}

export class VariantResultV1 {
  @ApiProperty() key!: string;
  @ApiProperty() control!: boolean;
  @ApiProperty() weight!: number;
  @ApiProperty({ description: 'Units exposed.' }) units!: number;
  @ApiProperty({ description: 'Exposed units that converted.' }) conversions!: number;
  @ApiProperty() conversionRate!: number;
  @ApiProperty({ description: 'Revenue attributed from the ledger to this variant, minor units.' })
  revenueMinor!: number;
  @ApiProperty({ description: 'Mean value per exposed unit, minor units.' }) revenuePerUnit!: number;
  @ApiProperty({ nullable: true, type: BayesianResultV1 }) bayesian!: BayesianResultV1 | null;
  @ApiProperty({ nullable: true, type: FrequentistResultV1 }) frequentist!: FrequentistResultV1 | null;
  @ApiProperty({ nullable: true, type: SequentialResultV1 }) sequential!: SequentialResultV1 | null;
  @ApiProperty({
    nullable: true,
    type: ConfidenceSequenceV1,
    description: 'Confidence sequence of the primary metric.',
  })
  confidenceSequence!: ConfidenceSequenceV1 | null;
  @ApiProperty({
    nullable: true,
    type: LiftPosteriorV1,
    description: "Posterior of the primary metric's relative lift (with its prior, if set).",
  })
  liftPosterior!: LiftPosteriorV1 | null;
  @ApiProperty({ type: [GuardrailResultV1] }) guardrails!: GuardrailResultV1[];
}

export class SrmResultV1 {
  @ApiProperty() chiSquare!: number;
  @ApiProperty() degreesOfFreedom!: number;
  @ApiProperty() pValue!: number;
  @ApiProperty({ type: [Number] }) observed!: number[];
  @ApiProperty({ type: [Number], description: "What the weights promise (per period of a bandit's weights)." })
  expected!: number[];
  @ApiProperty({
    description:
      'Every arm was expected to hold the minimum (analysis.srmMinUnitsPerVariant), so the check could flag.',
  })
  checked!: boolean;
  @ApiProperty({ description: 'p < 0.001: assignment or logging is broken; no decision is taken.' }) flagged!: boolean;
}

export class HealthV1 {
  @ApiProperty({ type: SrmResultV1 }) srm!: SrmResultV1;
  @ApiProperty({ type: [BalanceResultV1], description: 'One per pre-exposure covariate with any spread.' })
  balance!: BalanceResultV1[];
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
  @ApiProperty({ description: 'All revenue the ledger attributed to this experiment, minor units.' })
  revenueMinor!: number;
  @ApiProperty({ type: SrmResultV1 }) srm!: SrmResultV1;
  @ApiProperty({ type: HealthV1 }) health!: HealthV1;
  @ApiProperty({
    enum: CORRECTION_METHODS,
    description: 'The multiple-comparison correction of every adjusted p-value.',
  })
  correction!: CorrectionMethod;
  @ApiProperty({ type: [VariantResultV1] }) variants!: VariantResultV1[];
  @ApiProperty({ type: [MetricResultV1], description: 'Every metric, the primary first.' }) metrics!: MetricResultV1[];
  @ApiProperty({ nullable: true, type: VariantWeightsV1, description: "A bandit's current traffic weights." })
  weights!: VariantWeightsV1 | null;
  @ApiProperty({
    type: SuggestedDecisionV1,
    description: 'What the decision rule says now (taken only by an evaluation).',
  })
  decision!: SuggestedDecisionV1;
  @ApiProperty() computedAt!: string;
}
