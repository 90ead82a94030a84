import type {
  DecisionRuleV1,
  DecisionV1,
  ExperimentV1,
  GuardrailV1,
  VariantV1,
  VariantWeightsV1,
} from '@juggernaut/contracts';
import type { Narrow } from '@juggernaut/persistence';
import { type ExperimentSettings, storedSettings } from './experiment-settings';
import type {
  ExperimentsDecisions,
  ExperimentsExperiments,
  ExperimentsVariants,
  ExperimentsVariantWeights,
} from '../db/schema.generated';

export type ExperimentRow = Narrow<
  ExperimentsExperiments,
  {
    status: ExperimentV1['status'];
    primary_metric: ExperimentV1['primaryMetric'];
    decision_rule: DecisionRuleV1;
    guardrails: GuardrailV1[];
    always_valid: Record<string, number>;
    settings: Partial<ExperimentSettings>;
  }
>;

export type VariantRow = Pick<ExperimentsVariants, 'key' | 'name' | 'weight' | 'is_control'>;

export type DecisionRow = Narrow<
  ExperimentsDecisions,
  { action: DecisionV1['action']; numbers: Record<string, unknown> }
>;

export type WeightsRow = Narrow<
  Pick<ExperimentsVariantWeights, 'version' | 'weights' | 'chance_to_be_best' | 'units' | 'reason' | 'created_at'>,
  {
    weights: Record<string, number>;
    chance_to_be_best: Record<string, number> | null;
    units: Record<string, number> | null;
  }
>;

const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);

export function toWeights(r: WeightsRow): VariantWeightsV1 {
  return {
    version: r.version,
    weights: r.weights,
    chanceToBeBest: r.chance_to_be_best,
    units: r.units,
    reason: r.reason,
    at: iso(r.created_at)!,
  };
}

/** The settings of a row, defaults filled in. */
export function settingsOf(r: ExperimentRow): ExperimentSettings {
  return storedSettings(r.settings);
}

export function toVariant(v: VariantRow): VariantV1 {
  return { key: v.key, name: v.name, weight: v.weight, control: v.is_control };
}

export function toExperiment(r: ExperimentRow, variants: VariantRow[], spentMinor: number): ExperimentV1 {
  const settings = settingsOf(r);
  return {
    id: r.id,
    name: r.name,
    hypothesis: r.hypothesis,
    status: r.status,
    primaryMetric: r.primary_metric,
    variants: variants.map(toVariant),
    guardrails: r.guardrails,
    decisionRule: r.decision_rule,
    metrics: settings.metrics,
    analysis: settings.analysis,
    power: settings.power,
    bandit: settings.bandit,
    budgetMinor: Number(r.budget_minor),
    spentMinor,
    currency: r.currency,
    winner: r.winner,
    endReason: r.end_reason,
    opportunityId: r.opportunity_id,
    createdBy: r.created_by,
    createdAt: iso(r.created_at)!,
    startedAt: iso(r.started_at),
    endedAt: iso(r.ended_at),
  };
}

export function toDecision(r: DecisionRow): DecisionV1 {
  return {
    id: r.id,
    experimentId: r.experiment_id,
    action: r.action,
    reason: r.reason,
    winner: r.winner,
    numbers: r.numbers,
    decidedBy: r.decided_by,
    at: iso(r.created_at)!,
  };
}
