import type { DecisionAction, VariantResultV1 } from '@juggernaut/contracts';
import { type Analysis, type AnalysisInput, winnerRisk } from '../analysis/analyze';

export interface RuleDecision {
  action: DecisionAction;
  reason: string;
  winner: string | null;
  /** The numbers the decision was taken on, stored with it. */
  numbers: Record<string, unknown>;
}

export interface DecisionContext {
  input: AnalysisInput;
  analysis: Analysis;
  budgetMinor: number;
  spentMinor: number;
}

/**
 * The rules, in order: stop-loss (budget spent, then guardrails), sample ratio mismatch blocks any
 * decision, the minimum sample, then the decision rule (Bayesian: the variant most likely to be
 * best reaches the chance threshold with an expected loss under the limit; sequential: an
 * always-valid, Holm-adjusted p-value under α), and finally the maximum sample (keep the control).
 */
export function decide(ctx: DecisionContext): RuleDecision {
  const { analysis, budgetMinor, spentMinor } = ctx;
  const rule = analysis.rule;
  const control = analysis.variants.find((v) => v.control)!;
  const numbers = numbersOf(ctx);
  const mean = (v: VariantResultV1) => (analysis.metric === 'conversion' ? v.conversionRate : v.revenuePerUnit);
  const out = (action: DecisionAction, reason: string, winner: string | null = null): RuleDecision => ({ action, reason, winner, numbers });

  if (spentMinor > 0 && spentMinor >= budgetMinor) {
    return out('stop', `stop-loss: budget spent (${spentMinor} of ${budgetMinor} minor units)`);
  }
  for (const v of analysis.variants) {
    const hit = v.guardrails.find((g) => g.breached);
    if (hit) {
      return out('stop', `stop-loss: guardrail ${hit.metric} breached by ${v.key} (P(drop > ${pct(hit.maxRelativeDrop)}) = ${hit.probability!.toFixed(4)})`);
    }
  }
  if (analysis.srm.flagged) {
    return out('blocked', `sample ratio mismatch: observed ${analysis.srm.observed.join('/')} against expected ${analysis.srm.expected.map((e) => e.toFixed(1)).join('/')} (chi-square p = ${analysis.srm.pValue.toExponential(3)}); no decision until assignment is fixed`);
  }
  if (!analysis.minimumSampleReached) {
    const fewest = Math.min(...analysis.variants.map((v) => v.units));
    return out('continue', `waiting for ${rule.minUnitsPerVariant} units per variant (fewest has ${fewest})`);
  }

  if (rule.method === 'bayesian') {
    const ranked = analysis.variants.filter((v) => v.bayesian).sort((a, b) => b.bayesian!.chanceToBeBest - a.bayesian!.chanceToBeBest);
    const leader = ranked[0];
    if (leader?.bayesian) {
      const risk = winnerRisk(ctx.input, leader.key);
      const chance = leader.bayesian.chanceToBeBest;
      if (chance >= rule.chanceToWinThreshold && risk !== null && risk <= rule.maxRelativeLoss) {
        return out('conclude', `${leader.key} is best with chance ${chance.toFixed(4)} ≥ ${rule.chanceToWinThreshold} and expected loss ${risk.toExponential(3)} ≤ ${rule.maxRelativeLoss} of the control's mean`, leader.key);
      }
    }
  } else {
    const significant = analysis.variants
      .filter((v) => v.sequential && v.sequential.adjustedAlwaysValidPValue < rule.alpha)
      .sort((a, b) => a.sequential!.adjustedAlwaysValidPValue - b.sequential!.adjustedAlwaysValidPValue);
    const better = significant.filter((v) => mean(v) > mean(control));
    if (better.length > 0) {
      const w = better.sort((a, b) => mean(b) - mean(a))[0]!;
      return out('conclude', `${w.key} beats control with always-valid p = ${w.sequential!.adjustedAlwaysValidPValue.toExponential(3)} < α = ${rule.alpha} (Holm-adjusted)`, w.key);
    }
    const treatments = analysis.variants.filter((v) => !v.control);
    if (treatments.length > 0 && treatments.every((v) => significant.includes(v) && mean(v) < mean(control))) {
      return out('conclude', `every variant is worse than control with always-valid p < α = ${rule.alpha} (Holm-adjusted)`, control.key);
    }
  }

  if (rule.maxUnitsPerVariant !== null && analysis.variants.every((v) => v.units >= rule.maxUnitsPerVariant!)) {
    return out('conclude', `reached ${rule.maxUnitsPerVariant} units per variant without a winner; keeping ${control.key}`, control.key);
  }
  return out('continue', rule.method === 'bayesian' ? 'no variant is yet likely enough to be best at an acceptable risk' : 'no always-valid p-value is below α yet');
}

function pct(x: number): string {
  return `${+(x * 100).toFixed(2)}%`;
}

function numbersOf(ctx: DecisionContext): Record<string, unknown> {
  const a = ctx.analysis;
  return {
    metric: a.metric,
    method: a.rule.method,
    budgetMinor: ctx.budgetMinor,
    spentMinor: ctx.spentMinor,
    srm: { chiSquare: a.srm.chiSquare, pValue: a.srm.pValue, flagged: a.srm.flagged },
    variants: a.variants.map((v) => ({
      key: v.key,
      units: v.units,
      conversions: v.conversions,
      conversionRate: v.conversionRate,
      revenuePerUnit: v.revenuePerUnit,
      revenueMinor: v.revenueMinor,
      chanceToBeBest: v.bayesian?.chanceToBeBest ?? null,
      chanceToBeatControl: v.bayesian?.chanceToBeatControl ?? null,
      relativeExpectedLoss: v.bayesian?.relativeExpectedLoss ?? null,
      pValue: v.frequentist?.pValue ?? null,
      adjustedPValue: v.frequentist?.adjustedPValue ?? null,
      alwaysValidPValue: v.sequential?.adjustedAlwaysValidPValue ?? null,
      guardrails: v.guardrails.map((g) => ({ metric: g.metric, probability: g.probability, breached: g.breached })),
    })),
  };
}
