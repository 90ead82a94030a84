import type { CreateExperimentDto, DecisionRuleV1, GuardrailV1 } from '@juggernaut/contracts';
import { ExperimentError } from './experiment-errors';
import { type ExperimentSettings, resolveSettings } from './experiment-settings';

export const DEFAULT_RULE: DecisionRuleV1 = {
  method: 'bayesian',
  minUnitsPerVariant: 100,
  maxUnitsPerVariant: null,
  chanceToWinThreshold: 0.95,
  maxRelativeLoss: 0.01,
  alpha: 0.05,
};

/** Fills in the rule's defaults and checks what field validation cannot: one control, unique keys, sane limits. */
export function resolveExperiment(dto: CreateExperimentDto): {
  rule: DecisionRuleV1;
  guardrails: GuardrailV1[];
  settings: ExperimentSettings;
} {
  const controls = dto.variants.filter((v) => v.control === true).length;
  if (controls !== 1)
    throw new ExperimentError(400, `variants: exactly one variant must have control: true (found ${controls})`);
  const keys = new Set(dto.variants.map((v) => v.key));
  if (keys.size !== dto.variants.length) throw new ExperimentError(400, 'variants: keys must be unique');
  const given = dto.decisionRule ?? {};
  const rule: DecisionRuleV1 = {
    method: given.method ?? DEFAULT_RULE.method,
    minUnitsPerVariant: given.minUnitsPerVariant ?? DEFAULT_RULE.minUnitsPerVariant,
    maxUnitsPerVariant: given.maxUnitsPerVariant ?? null,
    chanceToWinThreshold: given.chanceToWinThreshold ?? DEFAULT_RULE.chanceToWinThreshold,
    maxRelativeLoss: given.maxRelativeLoss ?? DEFAULT_RULE.maxRelativeLoss,
    alpha: given.alpha ?? DEFAULT_RULE.alpha,
  };
  if (rule.maxUnitsPerVariant !== null && rule.maxUnitsPerVariant < rule.minUnitsPerVariant) {
    throw new ExperimentError(400, 'decisionRule.maxUnitsPerVariant must be at least decisionRule.minUnitsPerVariant');
  }
  const guardrails = (dto.guardrails ?? []).map((g) => ({
    metric: g.metric,
    maxRelativeDrop: g.maxRelativeDrop,
    confidence: g.confidence ?? 0.95,
  }));
  return { rule, guardrails, settings: resolveSettings(dto, dto.variants.length) };
}
