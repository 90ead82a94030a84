import type { DecisionAction, VariantResultV1 } from '@juggernaut/contracts';
import { type Analysis, winnerRisk } from '../analysis/analyze';

export interface RuleDecision {
  action: DecisionAction;
  reason: string;
  winner: string | null;
  /** The numbers the decision was taken on, stored with it. */
  numbers: Record<string, unknown>;
}

export interface DecisionContext {
  analysis: Analysis;
  budgetMinor: number;
  spentMinor: number;
}

/**
 * The rules, in order: stop-loss (budget spent, then guardrails), sample ratio mismatch and
 * unbalanced pre-exposure covariates block any decision, the minimum sample, then the decision rule
 * (Bayesian: the variant most likely to be best reaches the chance threshold with an expected loss
 * under the limit, or with a proper prior on the primary metric the lift posteriors do; sequential:
 * the mSPRT always-valid p-value; confidence-sequence: the sequence's anytime-valid p-value; both
 * adjusted by the experiment's correction across variants and metrics, under α), and finally the
 * maximum sample (keep the control).
 */
export function decide(ctx: DecisionContext): RuleDecision {
  const { analysis, budgetMinor, spentMinor } = ctx;
  const rule = analysis.rule;
  const control = analysis.variants.find((v) => v.control)!;
  const numbers = numbersOf(ctx);
  // The primary metric's estimate the tests used (CUPED-adjusted, capped, stratified where set).
  const primary = analysis.metrics.find((m) => m.primary)!;
  const mean = (v: VariantResultV1) =>
    primary.variants.find((x) => x.key === v.key)?.adjustedMean ??
    (analysis.metric === 'conversion' ? v.conversionRate : v.revenuePerUnit);
  const out = (action: DecisionAction, reason: string, winner: string | null = null): RuleDecision => ({
    action,
    reason,
    winner,
    numbers,
  });

  if (spentMinor > 0 && spentMinor >= budgetMinor) {
    return out('stop', `stop-loss: budget spent (${spentMinor} of ${budgetMinor} minor units)`);
  }
  for (const v of analysis.variants) {
    const hit = v.guardrails.find((g) => g.breached);
    if (hit) {
      return out(
        'stop',
        `stop-loss: guardrail ${hit.metric} breached by ${v.key} (P(drop > ${pct(hit.maxRelativeDrop)}) = ${hit.probability!.toFixed(4)})`,
      );
    }
  }
  if (analysis.srm.flagged) {
    return out(
      'blocked',
      `sample ratio mismatch: observed ${analysis.srm.observed.join('/')} against expected ${analysis.srm.expected.map((e) => e.toFixed(1)).join('/')} (chi-square p = ${analysis.srm.pValue.toExponential(3)}); no decision until assignment is fixed`,
    );
  }
  const unbalanced = analysis.health.balance.find((b) => b.flagged);
  if (unbalanced) {
    return out(
      'blocked',
      `pre-exposure covariate ${unbalanced.covariate} is unbalanced across variants (means ${unbalanced.means.map((m) => +m.toPrecision(6)).join('/')}, ANOVA p = ${unbalanced.pValue.toExponential(3)}); no decision until assignment or the covariate is fixed`,
    );
  }
  if (!analysis.minimumSampleReached) {
    const fewest = Math.min(...analysis.variants.map((v) => v.units));
    return out('continue', `waiting for ${rule.minUnitsPerVariant} units per variant (fewest has ${fewest})`);
  }

  if (rule.method === 'bayesian' && analysis.primaryPrior) {
    // With a proper prior the lift posteriors decide (GrowthBook's rule): a treatment likely enough
    // to beat control at a small relative risk wins; the control wins when no treatment is.
    const treatments = analysis.variants.filter((v) => !v.control && v.liftPosterior);
    const leader = [...treatments].sort(
      (a, b) => b.liftPosterior!.chanceToBeatControl - a.liftPosterior!.chanceToBeatControl,
    )[0];
    if (leader) {
      const lp = leader.liftPosterior!;
      if (lp.chanceToBeatControl >= rule.chanceToWinThreshold && lp.risk <= rule.maxRelativeLoss) {
        return out(
          'conclude',
          `${leader.key} beats control with chance ${lp.chanceToBeatControl.toFixed(4)} ≥ ${rule.chanceToWinThreshold} (prior on the lift N(${lp.prior!.mean}, ${lp.prior!.variance})) and relative risk ${lp.risk.toExponential(3)} ≤ ${rule.maxRelativeLoss}`,
          leader.key,
        );
      }
      const all = treatments.length === analysis.variants.length - 1;
      if (
        all &&
        treatments.every(
          (v) =>
            v.liftPosterior!.chanceToBeatControl <= 1 - rule.chanceToWinThreshold &&
            v.liftPosterior!.riskOfControl <= rule.maxRelativeLoss,
        )
      ) {
        return out(
          'conclude',
          `no variant beats control (every chance ≤ ${+(1 - rule.chanceToWinThreshold).toFixed(6)}, with the prior on the lift) at a relative risk ≤ ${rule.maxRelativeLoss}`,
          control.key,
        );
      }
    }
  } else if (rule.method === 'bayesian') {
    const ranked = analysis.variants
      .filter((v) => v.bayesian)
      .sort((a, b) => b.bayesian!.chanceToBeBest - a.bayesian!.chanceToBeBest);
    const leader = ranked[0];
    if (leader?.bayesian) {
      const risk = winnerRisk(analysis, leader.key);
      const chance = leader.bayesian.chanceToBeBest;
      if (chance >= rule.chanceToWinThreshold && risk !== null && risk <= rule.maxRelativeLoss) {
        return out(
          'conclude',
          `${leader.key} is best with chance ${chance.toFixed(4)} ≥ ${rule.chanceToWinThreshold} and expected loss ${risk.toExponential(3)} ≤ ${rule.maxRelativeLoss} of the control's mean`,
          leader.key,
        );
      }
    }
  } else {
    // The anytime-valid p-value the method reads, adjusted across variants and metrics.
    const cs = rule.method === 'confidence-sequence';
    const pOf = (v: VariantResultV1) =>
      (cs ? v.confidenceSequence?.adjustedPValue : v.sequential?.adjustedAlwaysValidPValue) ?? null;
    const what = cs ? 'confidence-sequence p' : 'always-valid p';
    const how = `${analysis.correction}-adjusted`;
    const significant = analysis.variants
      .filter((v) => {
        const p = pOf(v);
        return p !== null && p < rule.alpha;
      })
      .sort((a, b) => pOf(a)! - pOf(b)!);
    const better = significant.filter((v) => mean(v) > mean(control));
    if (better.length > 0) {
      const w = better.sort((a, b) => mean(b) - mean(a))[0]!;
      return out(
        'conclude',
        `${w.key} beats control with ${what} = ${pOf(w)!.toExponential(3)} < α = ${rule.alpha} (${how})`,
        w.key,
      );
    }
    const treatments = analysis.variants.filter((v) => !v.control);
    if (treatments.length > 0 && treatments.every((v) => significant.includes(v) && mean(v) < mean(control))) {
      return out(
        'conclude',
        `every variant is worse than control with ${what} < α = ${rule.alpha} (${how})`,
        control.key,
      );
    }
  }

  if (rule.maxUnitsPerVariant !== null && analysis.variants.every((v) => v.units >= rule.maxUnitsPerVariant!)) {
    return out(
      'conclude',
      `reached ${rule.maxUnitsPerVariant} units per variant without a winner; keeping ${control.key}`,
      control.key,
    );
  }
  return out(
    'continue',
    rule.method === 'bayesian'
      ? 'no variant is yet likely enough to be best at an acceptable risk'
      : `no ${rule.method === 'sequential' ? 'always-valid' : 'confidence-sequence'} p-value is below α yet`,
  );
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
    correction: a.correction,
    srm: { chiSquare: a.srm.chiSquare, pValue: a.srm.pValue, flagged: a.srm.flagged },
    balance: a.health.balance.map((b) => ({ covariate: b.covariate, pValue: b.pValue, flagged: b.flagged })),
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
      confidenceSequencePValue: v.confidenceSequence?.adjustedPValue ?? null,
      liftChanceToBeatControl: v.liftPosterior?.chanceToBeatControl ?? null,
      guardrails: v.guardrails.map((g) => ({ metric: g.metric, probability: g.probability, breached: g.breached })),
    })),
    metrics: a.metrics.map((m) => ({
      key: m.key,
      cap: m.capping?.cap ?? null,
      varianceReduction: m.varianceReduction,
      variants: m.variants.map((v) => ({
        key: v.key,
        adjustedMean: v.adjustedMean,
        adjustedPValue: v.comparison?.adjustedPValue ?? null,
      })),
    })),
  };
}
