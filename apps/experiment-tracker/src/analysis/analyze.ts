import type {
  BayesianResultV1, DecisionRuleV1, ExperimentMetric, FrequentistResultV1, GuardrailResultV1, GuardrailV1, PosteriorV1,
  SrmResultV1, VariantResultV1,
} from '@juggernaut/contracts';
import { chanceToBeBest, expectedLoss, probabilityGreater, probabilityWorseBy } from '../stats/bayesian';
import { twoProportionZTest, welchTTest } from '../stats/frequentist';
import { holmAdjust } from '../stats/multiple-comparisons';
import { betaPosterior, normalPosterior, type Posterior } from '../stats/posterior';
import { alwaysValid, defaultTauSquared, msprtPValue } from '../stats/sequential';
import { sampleRatioMismatch } from '../stats/srm';

/** Sufficient statistics of one variant, as the database aggregates them. */
export interface VariantStats {
  key: string;
  control: boolean;
  weight: number;
  /** Units exposed. */
  units: number;
  /** Exposed units with at least one conversion. */
  conversions: number;
  /** Σ per-unit value (minor units) and Σ value², over exposed units. */
  valueSum: number;
  valueSumSquares: number;
  /** Ledger revenue attributed to the variant (with or without a unit). */
  revenueMinor: number;
}

export interface AnalysisInput {
  metric: ExperimentMetric;
  variants: VariantStats[];
  guardrails: GuardrailV1[];
  rule: DecisionRuleV1;
  /** Always-valid p-values stored at earlier looks, by variant key. */
  previousAlwaysValid: Record<string, number>;
}

export interface Analysis {
  metric: ExperimentMetric;
  rule: DecisionRuleV1;
  variants: VariantResultV1[];
  srm: SrmResultV1;
  /** Every variant has the rule's minimum units. */
  minimumSampleReached: boolean;
  /** Always-valid p-values after this look, to store. */
  alwaysValid: Record<string, number>;
}

interface Moments {
  units: number;
  mean: number;
  variance: number;
}

function moments(v: VariantStats, metric: ExperimentMetric): Moments {
  if (metric === 'conversion') {
    const p = v.units > 0 ? v.conversions / v.units : 0;
    return { units: v.units, mean: p, variance: p * (1 - p) };
  }
  const mean = v.units > 0 ? v.valueSum / v.units : 0;
  const variance = v.units > 1 ? Math.max(0, (v.valueSumSquares - v.units * mean * mean) / (v.units - 1)) : 0;
  return { units: v.units, mean, variance };
}

/** The posterior of a metric for a variant, or null when a normal model has fewer than two units. */
export function posteriorOf(v: VariantStats, metric: ExperimentMetric): Posterior | null {
  if (metric === 'conversion') return betaPosterior(v.conversions, v.units);
  if (v.units < 2) return null;
  const m = moments(v, metric);
  return normalPosterior(m.units, m.mean, m.variance);
}

function describe(p: Posterior): PosteriorV1 {
  const out: PosteriorV1 = { kind: p.kind, mean: p.mean, sd: p.sd };
  if (p.kind === 'beta') Object.assign(out, { alpha: (p as unknown as { alpha: number }).alpha, beta: (p as unknown as { beta: number }).beta });
  return out;
}

/**
 * Every statistic of an experiment from its variants' sufficient statistics: Bayesian posteriors,
 * chance to beat control and to be best, expected loss; the frequentist test of the primary metric
 * with Holm-adjusted p-values; the mSPRT always-valid p-value; guardrails; sample ratio mismatch.
 */
export function analyze(input: AnalysisInput): Analysis {
  const { metric, variants, rule } = input;
  const control = variants.find((v) => v.control);
  if (!control) throw new Error('an experiment has exactly one control');
  const treatments = variants.filter((v) => !v.control);
  const posteriors = variants.map((v) => posteriorOf(v, metric));
  const allPosteriors = posteriors.every((p): p is Posterior => p !== null);
  const best = allPosteriors ? chanceToBeBest(posteriors) : null;
  const controlIndex = variants.indexOf(control);
  const controlPosterior = posteriors[controlIndex] ?? null;
  const cm = moments(control, metric);

  // Frequentist and sequential tests of each treatment against control, then Holm across treatments.
  const frequentist = new Map<string, Omit<FrequentistResultV1, 'adjustedPValue'>>();
  const sequential = new Map<string, { pValue: number; alwaysValidPValue: number }>();
  for (const t of treatments) {
    const tm = moments(t, metric);
    if (metric === 'conversion' && control.units > 0 && t.units > 0) {
      frequentist.set(t.key, { test: 'two-proportion-z', ...twoProportionZTest(
        { conversions: control.conversions, units: control.units }, { conversions: t.conversions, units: t.units }, rule.alpha,
      ) });
    } else if (metric === 'revenue_per_unit' && control.units > 1 && t.units > 1 && cm.variance + tm.variance > 0) {
      frequentist.set(t.key, { test: 'welch-t', ...welchTTest(cm, tm, rule.alpha) });
    }
    if (control.units > 1 && t.units > 1) {
      const variance = cm.variance / cm.units + tm.variance / tm.units;
      const pooled = ((cm.units - 1) * cm.variance + (tm.units - 1) * tm.variance) / (cm.units + tm.units - 2);
      const p = msprtPValue(tm.mean - cm.mean, variance, defaultTauSquared(pooled));
      sequential.set(t.key, { pValue: p, alwaysValidPValue: alwaysValid(input.previousAlwaysValid[t.key], p) });
    }
  }
  const freqKeys = [...frequentist.keys()];
  const freqAdjustedList = holmAdjust(freqKeys.map((k) => frequentist.get(k)!.pValue));
  const freqAdjusted = new Map(freqKeys.map((k, i) => [k, freqAdjustedList[i]!]));
  const seqKeys = [...sequential.keys()];
  const seqAdjusted = holmAdjust(seqKeys.map((k) => sequential.get(k)!.alwaysValidPValue));

  const minimumSampleReached = variants.every((v) => v.units >= rule.minUnitsPerVariant);
  const results: VariantResultV1[] = variants.map((v, i) => {
    const m = moments(v, 'revenue_per_unit');
    const p = posteriors[i] ?? null;
    let bayesian: BayesianResultV1 | null = null;
    if (p && best && controlPosterior) {
      const isControl = v.control;
      const loss = isControl ? null : expectedLoss(p, controlPosterior);
      bayesian = {
        posterior: describe(p),
        chanceToBeBest: best[i]!,
        chanceToBeatControl: isControl ? null : probabilityGreater(p, controlPosterior),
        expectedLoss: loss,
        relativeExpectedLoss: loss === null ? null : relativeTo(loss, controlPosterior.mean),
      };
    }
    const f = frequentist.get(v.key);
    const s = sequential.get(v.key);
    return {
      key: v.key,
      control: v.control,
      weight: v.weight,
      units: v.units,
      conversions: v.conversions,
      conversionRate: v.units > 0 ? v.conversions / v.units : 0,
      revenueMinor: v.revenueMinor,
      revenuePerUnit: m.mean,
      bayesian,
      frequentist: f ? { ...f, adjustedPValue: freqAdjusted.get(v.key)! } : null,
      sequential: s ? { ...s, adjustedAlwaysValidPValue: seqAdjusted[seqKeys.indexOf(v.key)]! } : null,
      guardrails: v.control ? [] : input.guardrails.map((g) => guardrail(g, v, control, rule)),
    };
  });

  const srm = sampleRatioMismatch(variants.map((v) => v.units), variants.map((v) => v.weight));
  return {
    metric,
    rule,
    variants: results,
    srm: { ...srm, observed: variants.map((v) => v.units) },
    minimumSampleReached,
    alwaysValid: Object.fromEntries([...sequential].map(([k, s]) => [k, s.alwaysValidPValue])),
  };
}

function guardrail(g: GuardrailV1, v: VariantStats, control: VariantStats, rule: DecisionRuleV1): GuardrailResultV1 {
  const enough = v.units >= rule.minUnitsPerVariant && control.units >= rule.minUnitsPerVariant;
  const pv = posteriorOf(v, g.metric);
  const pc = posteriorOf(control, g.metric);
  if (!enough || !pv || !pc) return { metric: g.metric, maxRelativeDrop: g.maxRelativeDrop, probability: null, breached: false };
  const probability = probabilityWorseBy(pv, pc, g.maxRelativeDrop);
  return { metric: g.metric, maxRelativeDrop: g.maxRelativeDrop, probability, breached: probability >= g.confidence };
}

/** A loss as a share of the control's mean; the absolute loss when the control's mean is 0. */
export function relativeTo(loss: number, controlMean: number): number {
  return controlMean > 0 ? loss / controlMean : loss;
}

/** Expected loss of shipping `winner` rather than any other variant (the largest pairwise risk), relative to control. */
export function winnerRisk(input: AnalysisInput, winnerKey: string): number | null {
  const winner = input.variants.find((v) => v.key === winnerKey);
  const control = input.variants.find((v) => v.control);
  if (!winner || !control) return null;
  const pw = posteriorOf(winner, input.metric);
  const pc = posteriorOf(control, input.metric);
  if (!pw || !pc) return null;
  let worst = 0;
  for (const other of input.variants) {
    if (other.key === winnerKey) continue;
    const po = posteriorOf(other, input.metric);
    if (!po) return null;
    worst = Math.max(worst, expectedLoss(pw, po));
  }
  return relativeTo(worst, pc.mean);
}
