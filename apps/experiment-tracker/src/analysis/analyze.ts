import type {
  BalanceResultV1,
  BayesianResultV1,
  ConfidenceSequenceV1,
  DecisionRuleV1,
  ExperimentMetric,
  FrequentistResultV1,
  GuardrailResultV1,
  GuardrailV1,
  HealthV1,
  LiftPosteriorV1,
  MetricComparisonV1,
  MetricResultV1,
  MetricV1,
  MetricVariantResultV1,
  PosteriorV1,
  PowerResultV1,
  SequentialResultV1,
  SrmResultV1,
  VariantResultV1,
  VariantWeightsV1,
} from '@juggernaut/contracts';
import type { ExperimentSettings } from '../experiments/experiment-settings';
import { isBuiltInMetric, storedSettings } from '../experiments/experiment-settings';
import { covariateBalance } from '../stats/balance';
import { chanceToBeBest, expectedLoss, probabilityGreater, probabilityWorseBy } from '../stats/bayesian';
import { csHalfwidth, csPValue, csRho } from '../stats/confidence-sequence';
import { adjustGroup, cupedTheta, type Univariate } from '../stats/cuped';
import { type MeanSummary, twoProportionZTest, welchTTest } from '../stats/frequentist';
import { liftPosterior } from '../stats/lift-posterior';
import { mergeAll, type Moments, project } from '../stats/moments';
import { adjustPValues } from '../stats/multiple-comparisons';
import { groupStrata, postStratifiedMean } from '../stats/post-stratification';
import { betaPosterior, normalDistribution, normalPosterior, type Posterior } from '../stats/posterior';
import { midExperimentPower } from '../stats/power';
import { ratioSummary } from '../stats/ratio';
import { alwaysValid, defaultTauSquared, msprtPValue } from '../stats/sequential';
import { sampleRatioMismatch, sampleRatioMismatchByPeriod } from '../stats/srm';

/** Units each arm needs in a stratum for the stratum to stand alone (smaller ones are pooled). */
export const MIN_UNITS_PER_STRATUM = 10;

export interface VariantInfo {
  key: string;
  control: boolean;
  /** Configured traffic weight. */
  weight: number;
  /** Ledger revenue attributed to the variant (with or without a unit). */
  revenueMinor: number;
}

/** The units of one variant in one weights period and stratum, with the moments of every metric. */
export interface Cell {
  variant: string;
  period: number;
  stratum: string;
  n: number;
  /** Units with at least one conversion. */
  conversions: number;
  /** Σ per-unit revenue, uncapped. */
  revenueSum: number;
  metrics: Record<string, Moments>;
}

export interface LoadedData {
  variants: VariantInfo[];
  cells: Cell[];
  /** The caps applied, by metric key (the cap of the pre-exposure revenue with revenue_per_unit's). */
  caps: Record<string, { cap: number | null; covariateCap: number | null }>;
  /** The covariates in every mean metric's moments (variables 1..k); empty without CUPED. */
  covariates: string[];
  stratified: boolean;
  strataNote: string | null;
}

export interface AnalysisInput {
  metric: ExperimentMetric;
  settings: ExperimentSettings;
  data: LoadedData;
  guardrails: GuardrailV1[];
  rule: DecisionRuleV1;
  /** Always-valid p-values stored at earlier looks: by variant key for the primary metric, `metric/variant` for others. */
  previousAlwaysValid: Record<string, number>;
  /** Every set of traffic weights, oldest first (empty: the configured weights throughout). */
  weights: VariantWeightsV1[];
  startedAt: Date | null;
  now: Date;
}

export interface Analysis {
  metric: ExperimentMetric;
  rule: DecisionRuleV1;
  variants: VariantResultV1[];
  metrics: MetricResultV1[];
  srm: SrmResultV1;
  health: HealthV1;
  correction: ExperimentSettings['analysis']['correction'];
  /** Every variant has the rule's minimum units. */
  minimumSampleReached: boolean;
  /** Always-valid p-values after this look, to store. */
  alwaysValid: Record<string, number>;
  /** Posteriors of the primary metric per variant (null below two units), for the rules and the allocation. */
  posteriors: Array<Posterior | null>;
  /** The primary metric has a proper prior: decisions read the lift posteriors. */
  primaryPrior: boolean;
  weights: VariantWeightsV1 | null;
}

/** Per-arm estimate of a metric: what the tests read. */
interface ArmEstimate {
  units: number;
  /** Plain mean (after capping); null for a ratio without a denominator. */
  mean: number | null;
  /** Variance of the plain mean. */
  plainVariance: number | null;
  /** The estimate the tests use, with its per-unit variance (units × variance of the estimate). */
  summary: MeanSummary | null;
}

interface MetricWork {
  def: MetricV1;
  primary: boolean;
  arms: ArmEstimate[];
  /** Conversion counts when a proportion is analysed unadjusted (z-test, Beta posterior). */
  exact: boolean;
  result: MetricResultV1;
}

/**
 * Every statistic of an experiment from its cells' sufficient statistics, for every metric: capped
 * and CUPED-adjusted, post-stratified means; Welch or z tests with the experiment's multiple
 * comparison correction across variants and metrics; confidence sequences and the mSPRT; the lift
 * posterior with the metric's prior; mid-experiment power; Bayesian posteriors and guardrails of the
 * primary metric; sample ratio mismatch and covariate balance.
 */
export function analyze(input: AnalysisInput): Analysis {
  const { data, rule, settings } = input;
  const variants = data.variants;
  const controlIndex = variants.findIndex((v) => v.control);
  if (controlIndex < 0) throw new Error('an experiment has exactly one control');
  const alpha = rule.alpha;
  const tuning = settings.analysis.sequentialTuning;
  const rho = csRho(alpha, tuning);
  const cellsOf = (key: string) => data.cells.filter((c) => c.variant === key);
  const unitsOf = variants.map((v) => cellsOf(v.key).reduce((s, c) => s + c.n, 0));
  const conversionsOf = variants.map((v) => cellsOf(v.key).reduce((s, c) => s + c.conversions, 0));
  const revenueSumOf = variants.map((v) => cellsOf(v.key).reduce((s, c) => s + c.revenueSum, 0));

  const works = settings.metrics.map((def) => estimateMetric(def, def.key === input.metric, input, conversionsOf));
  works.sort((a, b) => Number(b.primary) - Number(a.primary));

  // Comparisons of every treatment with control, for every metric; then the corrections. The family
  // is the primary metric with the experiment's own metrics (its goals); the other built-in metric is
  // reported, corrected across the variants alone, and decides nothing.
  const treatments = variants.map((_, i) => i).filter((i) => i !== controlIndex);
  type Member = {
    work: MetricWork;
    arm: number;
    comparison: Omit<MetricComparisonV1, 'adjustedPValue'> | null;
    cs: Omit<ConfidenceSequenceV1, 'adjustedPValue'> | null;
    seq: Omit<SequentialResultV1, 'adjustedAlwaysValidPValue'> | null;
  };
  const members: Member[] = [];
  for (const work of works) {
    for (const i of treatments) {
      const c = work.arms[controlIndex]!;
      const t = work.arms[i]!;
      members.push({
        work,
        arm: i,
        comparison: compare(work, c, t, conversionsOf[controlIndex]!, conversionsOf[i]!, alpha),
        cs: confidenceSequence(c.summary, t.summary, alpha, tuning, rho),
        seq: msprt(c.summary, t.summary, input.previousAlwaysValid[alwaysValidKey(work, variants[i]!.key)]),
      });
    }
  }
  const inFamily = (w: MetricWork) => w.primary || !isBuiltInMetric(w.def.key);
  const familySize = treatments.length * works.filter(inFamily).length;
  const correction = settings.analysis.correction;
  const adjustedFixed = new Map<Member, number>();
  const adjustedCs = new Map<Member, number>();
  const adjustedSeq = new Map<Member, number>();
  const families = [
    members.filter((m) => inFamily(m.work)),
    ...works.filter((w) => !inFamily(w)).map((w) => members.filter((m) => m.work === w)),
  ];
  for (const fam of families) {
    const adjust = (get: (m: Member) => number | null | undefined, into: Map<Member, number>) => {
      const present = fam.filter((m) => get(m) !== null && get(m) !== undefined);
      adjustPValues(
        present.map((m) => get(m)!),
        correction,
      ).forEach((p, j) => into.set(present[j]!, p));
    };
    adjust((m) => m.comparison?.pValue, adjustedFixed);
    adjust((m) => m.cs?.pValue, adjustedCs);
    adjust((m) => m.seq?.alwaysValidPValue, adjustedSeq);
  }

  const alwaysValidOut: Record<string, number> = {};
  members.forEach((f) => {
    const r = f.work.result.variants[f.arm]!;
    const c = f.work.arms[controlIndex]!;
    const t = f.work.arms[f.arm]!;
    r.comparison = f.comparison ? { ...f.comparison, adjustedPValue: adjustedFixed.get(f)! } : null;
    r.confidenceSequence = f.cs ? { ...f.cs, adjustedPValue: adjustedCs.get(f)! } : null;
    r.sequential = f.seq ? { ...f.seq, adjustedAlwaysValidPValue: adjustedSeq.get(f)! } : null;
    if (f.seq) alwaysValidOut[alwaysValidKey(f.work, variants[f.arm]!.key)] = f.seq.alwaysValidPValue;
    const lift = liftEstimate(c.summary, t.summary);
    r.liftPosterior = lift
      ? ({
          prior: f.work.def.prior,
          ...liftPosterior(lift.lift, lift.variance, f.work.def.prior, alpha),
        } satisfies LiftPosteriorV1)
      : null;
    r.power =
      lift && settings.power
        ? power(
            input,
            c.summary!,
            t.summary!,
            lift.variance,
            f.work.def,
            inFamily(f.work) ? familySize : treatments.length,
            alpha,
          )
        : null;
  });

  // The primary metric's Bayesian posteriors, chance to be best, expected loss.
  const primary = works[0]!;
  const posteriors: Array<Posterior | null> = variants.map((_, i) =>
    posteriorOfArm(primary, i, conversionsOf[i]!, unitsOf[i]!),
  );
  const allPosteriors = posteriors.every((p): p is Posterior => p !== null);
  const best = allPosteriors ? chanceToBeBest(posteriors) : null;
  const controlPosterior = posteriors[controlIndex] ?? null;
  const guardrailPosteriors = (metric: ExperimentMetric, i: number) => {
    const w = works.find((x) => x.def.key === metric)!;
    return posteriorOfArm(w, i, conversionsOf[i]!, unitsOf[i]!);
  };

  const minimumSampleReached = unitsOf.every((u) => u >= rule.minUnitsPerVariant);
  const results: VariantResultV1[] = variants.map((v, i) => {
    const p = posteriors[i] ?? null;
    let bayesian: BayesianResultV1 | null = null;
    if (p && best && controlPosterior) {
      const loss = v.control ? null : expectedLoss(p, controlPosterior);
      bayesian = {
        posterior: describe(p),
        chanceToBeBest: best[i]!,
        chanceToBeatControl: v.control ? null : probabilityGreater(p, controlPosterior),
        expectedLoss: loss,
        relativeExpectedLoss: loss === null ? null : relativeTo(loss, controlPosterior.mean),
      };
    }
    const r = primary.result.variants[i]!;
    const frequentist: FrequentistResultV1 | null = r.comparison ? { ...r.comparison } : null;
    return {
      key: v.key,
      control: v.control,
      weight: v.weight,
      units: unitsOf[i]!,
      conversions: conversionsOf[i]!,
      conversionRate: unitsOf[i]! > 0 ? conversionsOf[i]! / unitsOf[i]! : 0,
      revenueMinor: v.revenueMinor,
      revenuePerUnit: unitsOf[i]! > 0 ? revenueSumOf[i]! / unitsOf[i]! : 0,
      bayesian,
      frequentist,
      sequential: r.sequential,
      confidenceSequence: r.confidenceSequence,
      liftPosterior: r.liftPosterior,
      guardrails: v.control
        ? []
        : input.guardrails.map((g) =>
            guardrail(
              g,
              unitsOf[i]!,
              unitsOf[controlIndex]!,
              guardrailPosteriors(g.metric, i),
              guardrailPosteriors(g.metric, controlIndex),
              rule,
            ),
          ),
    };
  });

  const health = healthOf(input, unitsOf, works);
  return {
    metric: input.metric,
    rule,
    variants: results,
    metrics: works.map((w) => w.result),
    srm: health.srm,
    health,
    correction,
    minimumSampleReached,
    alwaysValid: alwaysValidOut,
    posteriors,
    primaryPrior: primary.def.prior !== null,
    weights: input.weights.length > 0 ? input.weights[input.weights.length - 1]! : null,
  };
}

function alwaysValidKey(work: MetricWork, variant: string): string {
  return work.primary ? variant : `${work.def.key}/${variant}`;
}

/** Per-arm estimates of one metric: capped plain means; CUPED and post-stratification where they apply. */
function estimateMetric(def: MetricV1, primary: boolean, input: AnalysisInput, conversions: number[]): MetricWork {
  const { data } = input;
  const variants = data.variants;
  const k = def.kind === 'ratio' ? 2 : 1 + data.covariates.length;
  const armMoments = variants.map((v) =>
    mergeAll(
      data.cells.filter((c) => c.variant === v.key).map((c) => c.metrics[def.key]!),
      k,
    ),
  );
  const cap = data.caps[def.key];
  const result: MetricResultV1 = {
    key: def.key,
    kind: def.kind,
    primary,
    numerator: def.numerator,
    denominator: def.denominator,
    capping: def.capping
      ? {
          type: def.capping.type,
          value: def.capping.value,
          cap: cap?.cap ?? null,
          covariateCap: cap?.covariateCap ?? null,
        }
      : null,
    cuped: null,
    stratification: null,
    varianceReduction: null,
    variants: variants.map(
      (v, i) =>
        ({
          key: v.key,
          control: v.control,
          units: armMoments[i]!.n,
          mean: null,
          adjustedMean: null,
          standardError: null,
          varianceReduction: null,
          comparison: null,
          confidenceSequence: null,
          sequential: null,
          liftPosterior: null,
          power: null,
        }) satisfies MetricVariantResultV1,
    ),
  };

  if (def.kind === 'ratio') {
    const arms = armMoments.map((m): ArmEstimate => {
      const s = ratioSummary(m);
      return { units: m.n, mean: s?.mean ?? null, plainVariance: s ? s.variance / s.units : null, summary: s };
    });
    arms.forEach((a, i) =>
      Object.assign(result.variants[i]!, {
        mean: a.mean,
        adjustedMean: a.mean,
        standardError: a.plainVariance === null ? null : Math.sqrt(a.plainVariance),
      }),
    );
    return { def, primary, arms, exact: false, result };
  }

  const pooled = mergeAll(armMoments, k);
  const theta = data.covariates.length > 0 ? cupedTheta(pooled) : [];
  const covariateMeans = pooled.mean.slice(1);
  const plain = armMoments.map((m) => adjustGroup(project(m, [0]), [], []));
  const cuped = armMoments.map((m) => adjustGroup(m, theta, covariateMeans));
  const adjustedByCuped = theta.some((t) => t !== 0);

  // Post-stratification over (weights period, stratum) groups.
  let stratified: Array<{ mean: number; varianceOfMean: number }> | null = null;
  const strataKeys = [...new Set(data.cells.map((c) => `${c.period}\u0000${c.stratum}`))];
  if (strataKeys.length > 1) {
    const cellMoments = strataKeys.map((sk) =>
      variants.map((v) =>
        mergeAll(
          data.cells
            .filter((c) => c.variant === v.key && `${c.period}\u0000${c.stratum}` === sk)
            .map((c) => c.metrics[def.key]!),
          k,
        ),
      ),
    );
    const grouping = groupStrata(
      cellMoments.map((arms) => arms.map((m) => m.n)),
      MIN_UNITS_PER_STRATUM,
    );
    if (grouping) {
      const groups = Array.from({ length: grouping.groups }, (_, g) =>
        variants.map((_, i) =>
          mergeAll(
            strataKeys
              .map((_, s) => s)
              .filter((s) => grouping.groupOf[s] === g)
              .map((s) => cellMoments[s]![i]!),
            k,
          ),
        ),
      );
      const total = pooled.n;
      const weights = groups.map((arms) => arms.reduce((s, m) => s + m.n, 0) / total);
      stratified = variants.map((_, i) =>
        postStratifiedMean(
          groups.map((arms) => adjustGroup(arms[i]!, theta, covariateMeans)),
          weights,
        ),
      );
      result.stratification = { strata: grouping.groups, periods: new Set(data.cells.map((c) => c.period)).size };
    }
  }

  const arms = variants.map((_, i): ArmEstimate => {
    const p = plain[i]!;
    const units = p.n;
    const plainVariance = units > 1 ? p.m2 / (units - 1) / units : null;
    let summary: MeanSummary | null = null;
    if (stratified) summary = { units, mean: stratified[i]!.mean, variance: stratified[i]!.varianceOfMean * units };
    else if (units > 1) summary = { units, mean: cuped[i]!.mean, variance: cuped[i]!.m2 / (units - 1) };
    return { units, mean: units > 0 ? p.mean : null, plainVariance, summary };
  });
  const exact = def.kind === 'proportion' && !adjustedByCuped && !stratified;
  if (exact) {
    // Unadjusted proportions keep the binomial variance p(1 − p) (the z-test's, and the first release's mSPRT).
    arms.forEach((a, i) => {
      const p = a.units > 0 ? conversions[i]! / a.units : 0;
      if (a.summary) a.summary = { units: a.units, mean: p, variance: p * (1 - p) };
    });
  }
  arms.forEach((a, i) => {
    const r = result.variants[i]!;
    r.mean = a.mean;
    r.adjustedMean = a.summary?.mean ?? a.mean;
    r.standardError = a.summary ? Math.sqrt(a.summary.variance / a.summary.units) : null;
    r.varianceReduction =
      a.summary && a.plainVariance ? 1 - a.summary.variance / a.summary.units / a.plainVariance : null;
  });
  const reduction = (vars: Array<number | null>) => {
    const plainSum = arms.reduce((s, a) => s + (a.plainVariance ?? 0), 0);
    const sum = vars.reduce<number>((s, v) => s + (v ?? 0), 0);
    return plainSum > 0 && vars.every((v) => v !== null) ? 1 - sum / plainSum : null;
  };
  if (data.covariates.length > 0) {
    const cupedReduction = reduction(cuped.map((c) => (c.n > 1 ? c.m2 / (c.n - 1) / c.n : null)));
    result.cuped = { covariates: data.covariates, theta, varianceReduction: cupedReduction ?? 0 };
  }
  if (adjustedByCuped || stratified)
    result.varianceReduction = reduction(arms.map((a) => (a.summary ? a.summary.variance / a.summary.units : null)));
  return { def, primary, arms, exact, result };
}

function compare(
  work: MetricWork,
  c: ArmEstimate,
  t: ArmEstimate,
  xc: number,
  xt: number,
  alpha: number,
): Omit<MetricComparisonV1, 'adjustedPValue'> | null {
  if (work.exact) {
    if (c.units === 0 || t.units === 0) return null;
    return {
      test: 'two-proportion-z',
      ...twoProportionZTest({ conversions: xc, units: c.units }, { conversions: xt, units: t.units }, alpha),
    };
  }
  if (!c.summary || !t.summary || !(c.summary.variance + t.summary.variance > 0)) return null;
  return { test: 'welch-t', ...welchTTest(c.summary, t.summary, alpha) };
}

function confidenceSequence(
  c: MeanSummary | null,
  t: MeanSummary | null,
  alpha: number,
  tuning: number,
  rho: number,
): Omit<ConfidenceSequenceV1, 'adjustedPValue'> | null {
  if (!c || !t) return null;
  const variance = c.variance / c.units + t.variance / t.units;
  if (!(variance > 0)) return null;
  const units = c.units + t.units;
  const difference = t.mean - c.mean;
  const h = csHalfwidth(variance, units, alpha, tuning, rho);
  const lift = liftEstimate(c, t);
  let liftInterval = null;
  if (lift) {
    const hl = csHalfwidth(lift.variance, units, alpha, tuning, rho);
    liftInterval = { lower: lift.lift - hl, upper: lift.lift + hl };
  }
  return {
    difference: { lower: difference - h, upper: difference + h },
    lift: liftInterval,
    pValue: csPValue(difference, variance, units, rho),
  };
}

function msprt(
  c: MeanSummary | null,
  t: MeanSummary | null,
  previous: number | undefined,
): Omit<SequentialResultV1, 'adjustedAlwaysValidPValue'> | null {
  if (!c || !t || c.units < 2 || t.units < 2) return null;
  const variance = c.variance / c.units + t.variance / t.units;
  const pooled = ((c.units - 1) * c.variance + (t.units - 1) * t.variance) / (c.units + t.units - 2);
  const p = msprtPValue(t.mean - c.mean, variance, defaultTauSquared(pooled));
  return { pValue: p, alwaysValidPValue: alwaysValid(previous, p) };
}

/** Relative lift m_t/m_c − 1 with its delta-method variance V_t/m_c² + m_t² V_c/m_c⁴. */
function liftEstimate(c: MeanSummary | null, t: MeanSummary | null): { lift: number; variance: number } | null {
  if (!c || !t || c.mean === 0) return null;
  const vc = c.variance / c.units;
  const vt = t.variance / t.units;
  const variance = vt / c.mean ** 2 + (t.mean ** 2 * vc) / c.mean ** 4;
  return variance > 0 ? { lift: t.mean / c.mean - 1, variance } : null;
}

/**
 * Mid-experiment power of one comparison: the units it will have at the planned end are the
 * planned units per variant (both arms), or the units now scaled by the planned duration over the
 * elapsed one. Tests in the family count for the level when a correction is on (Bonferroni, as
 * GrowthBook does: conservative for Holm and Benjamini–Hochberg).
 */
function power(
  input: AnalysisInput,
  c: MeanSummary,
  t: MeanSummary,
  varianceOfLift: number,
  def: MetricV1,
  familySize: number,
  alpha: number,
): PowerResultV1 {
  const p = input.settings.power!;
  const units = c.units + t.units;
  let projected = units;
  if (p.plannedUnitsPerVariant !== null) projected = Math.max(units, 2 * p.plannedUnitsPerVariant);
  else if (p.plannedEndAt !== null && input.startedAt) {
    const elapsed = input.now.getTime() - input.startedAt.getTime();
    const planned = new Date(p.plannedEndAt).getTime() - input.startedAt.getTime();
    if (elapsed > 0 && planned > elapsed) projected = units * (planned / elapsed);
  }
  const scaling = projected / units - 1;
  const tests = input.settings.analysis.correction === 'none' ? 1 : familySize;
  const common = { variance: varianceOfLift, units, scaling, effect: p.minimumDetectableEffect, alpha, tests };
  return {
    minimumDetectableEffect: p.minimumDetectableEffect,
    units,
    projectedUnits: projected,
    power: midExperimentPower({ ...common, prior: def.prior }),
    sequentialPower: midExperimentPower({ ...common, sequentialTuning: input.settings.analysis.sequentialTuning }),
  };
}

function posteriorOfArm(work: MetricWork, i: number, conversions: number, units: number): Posterior | null {
  if (work.exact) return betaPosterior(conversions, units);
  const s = work.arms[i]!.summary;
  if (!s || s.units < 2) return null;
  return work.def.kind === 'ratio'
    ? normalDistribution(s.mean, Math.sqrt(s.variance / s.units))
    : normalPosterior(s.units, s.mean, s.variance);
}

function healthOf(input: AnalysisInput, units: number[], works: MetricWork[]): HealthV1 {
  const { data, settings } = input;
  const variants = data.variants;
  const minUnits = settings.analysis.srmMinUnitsPerVariant;
  let srm;
  if (input.weights.length > 1) {
    const periods = input.weights.map((w, p) => ({
      units: data.cells.filter((c) => c.period === p).reduce((s, c) => s + c.n, 0),
      weights: variants.map((v) => w.weights[v.key] ?? 0),
    }));
    srm = sampleRatioMismatchByPeriod(units, periods, undefined, minUnits);
  } else {
    const w = input.weights[0];
    srm = sampleRatioMismatch(
      units,
      variants.map((v) => w?.weights[v.key] ?? v.weight),
      undefined,
      minUnits,
    );
  }
  const balance: BalanceResultV1[] = [];
  const carrier = works.find((w) => w.def.key === 'conversion');
  if (carrier && data.covariates.length > 0) {
    const k = 1 + data.covariates.length;
    data.covariates.forEach((name, j) => {
      const arms: Univariate[] = variants.map((v) => {
        const m = project(
          mergeAll(
            data.cells.filter((c) => c.variant === v.key).map((c) => c.metrics[carrier.def.key]!),
            k,
          ),
          [j + 1],
        );
        return { n: m.n, mean: m.mean[0]!, m2: m.m2[0]![0]! };
      });
      const b = covariateBalance(arms);
      if (b)
        balance.push({
          covariate: name,
          means: arms.map((a) => a.mean),
          fStatistic: b.fStatistic,
          degreesOfFreedom: b.degreesOfFreedom,
          pValue: b.pValue,
          flagged: b.flagged,
        });
    });
  }
  return { srm: { ...srm, observed: units }, balance };
}

function describe(p: Posterior): PosteriorV1 {
  const out: PosteriorV1 = { kind: p.kind, mean: p.mean, sd: p.sd };
  if (p.kind === 'beta')
    Object.assign(out, {
      alpha: (p as unknown as { alpha: number }).alpha,
      beta: (p as unknown as { beta: number }).beta,
    });
  return out;
}

function guardrail(
  g: GuardrailV1,
  units: number,
  controlUnits: number,
  pv: Posterior | null,
  pc: Posterior | null,
  rule: DecisionRuleV1,
): GuardrailResultV1 {
  const enough = units >= rule.minUnitsPerVariant && controlUnits >= rule.minUnitsPerVariant;
  if (!enough || !pv || !pc)
    return { metric: g.metric, maxRelativeDrop: g.maxRelativeDrop, probability: null, breached: false };
  const probability = probabilityWorseBy(pv, pc, g.maxRelativeDrop);
  return { metric: g.metric, maxRelativeDrop: g.maxRelativeDrop, probability, breached: probability >= g.confidence };
}

/** A loss as a share of the control's mean; the absolute loss when the control's mean is 0. */
export function relativeTo(loss: number, controlMean: number): number {
  return controlMean > 0 ? loss / controlMean : loss;
}

/** Expected loss of shipping `winnerKey` rather than any other variant (the largest pairwise risk), relative to control. */
export function winnerRisk(analysis: Analysis, winnerKey: string): number | null {
  const wi = analysis.variants.findIndex((v) => v.key === winnerKey);
  const ci = analysis.variants.findIndex((v) => v.control);
  const pw = analysis.posteriors[wi];
  const pc = analysis.posteriors[ci];
  if (!pw || !pc) return null;
  let worst = 0;
  for (let i = 0; i < analysis.posteriors.length; i++) {
    if (i === wi) continue;
    const po = analysis.posteriors[i];
    if (!po) return null;
    worst = Math.max(worst, expectedLoss(pw, po));
  }
  return relativeTo(worst, pc.mean);
}

/** Sufficient statistics of a variant as simple totals: what tests and the budget allocation start from. */
export interface VariantStats {
  key: string;
  control: boolean;
  weight: number;
  units: number;
  conversions: number;
  /** Σ per-unit revenue (minor units) and Σ revenue², over exposed units. */
  valueSum: number;
  valueSumSquares: number;
  revenueMinor: number;
}

/**
 * The analysis input of variants given as totals (one cell each, built-in metrics, no CUPED), with
 * the settings' defaults: the first release's analysis.
 */
export function inputFromTotals(
  metric: ExperimentMetric,
  variants: VariantStats[],
  rest: Pick<AnalysisInput, 'guardrails' | 'rule' | 'previousAlwaysValid'> &
    Partial<Pick<AnalysisInput, 'settings' | 'weights'>>,
): AnalysisInput {
  const cells: Cell[] = variants.map((v) => {
    const p = v.units > 0 ? v.conversions / v.units : 0;
    const mean = v.units > 0 ? v.valueSum / v.units : 0;
    return {
      variant: v.key,
      period: 0,
      stratum: '',
      n: v.units,
      conversions: v.conversions,
      revenueSum: v.valueSum,
      metrics: {
        conversion: { n: v.units, mean: [p], m2: [[v.conversions * (1 - p) ** 2 + (v.units - v.conversions) * p * p]] },
        revenue_per_unit: { n: v.units, mean: [mean], m2: [[Math.max(0, v.valueSumSquares - v.units * mean * mean)]] },
      },
    };
  });
  return {
    metric,
    settings: rest.settings ?? storedSettings({}),
    guardrails: rest.guardrails,
    rule: rest.rule,
    previousAlwaysValid: rest.previousAlwaysValid,
    weights: rest.weights ?? [],
    startedAt: null,
    now: new Date(),
    data: {
      variants: variants.map((v) => ({
        key: v.key,
        control: v.control,
        weight: v.weight,
        revenueMinor: v.revenueMinor,
      })),
      cells,
      caps: {},
      covariates: [],
      stratified: false,
      strataNote: null,
    },
  };
}
