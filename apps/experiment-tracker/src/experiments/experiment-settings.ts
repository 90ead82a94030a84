import {
  type AnalysisSettingsV1,
  type BanditSettingsV1,
  BUILT_IN_METRICS,
  type CreateExperimentDto,
  METRIC_SOURCES,
  type MetricV1,
  type PowerSettingsV1,
} from '@juggernaut/contracts';
import { ExperimentError } from './experiment-errors';

/** Everything an experiment's analysis is configured with, defaults filled in. */
export interface ExperimentSettings {
  /** Built-ins first (conversion, revenue_per_unit), then the experiment's own metrics. */
  metrics: MetricV1[];
  analysis: AnalysisSettingsV1;
  power: PowerSettingsV1 | null;
  bandit: BanditSettingsV1 | null;
}

export const DEFAULT_ANALYSIS: AnalysisSettingsV1 = {
  correction: 'holm',
  cuped: false,
  cupedLookbackDays: 30,
  postStratify: true,
  sequentialTuning: 5000,
  srmMinUnitsPerVariant: 50,
};

const BUILT_INS: MetricV1[] = [
  { key: 'conversion', kind: 'proportion', numerator: 'converted', denominator: null, capping: null, prior: null },
  { key: 'revenue_per_unit', kind: 'mean', numerator: 'revenue', denominator: null, capping: null, prior: null },
];

type SettingsInput = Pick<CreateExperimentDto, 'metrics' | 'analysis' | 'power' | 'bandit'>;

/**
 * The settings as stored: what the caller gave, checked beyond field validation (unique keys, a
 * complete definition for each new metric, sane capping), defaults filled in. Rows stored before
 * settings existed hold `{}` and resolve to the defaults, which reproduce the first release's numbers.
 */
export function resolveSettings(given: SettingsInput, variants: number): ExperimentSettings {
  const metrics = BUILT_INS.map((m) => ({ ...m }));
  const seen = new Set<string>();
  for (const m of given.metrics ?? []) {
    if (seen.has(m.key)) throw new ExperimentError(400, `metrics: key ${m.key} appears twice`);
    seen.add(m.key);
    if (m.capping?.type === 'percentile' && !(m.capping.value >= 0.5 && m.capping.value <= 0.99999)) {
      throw new ExperimentError(400, `metrics.${m.key}.capping: a percentile cap is a quantile from 0.5 to 0.99999`);
    }
    const capping = m.capping ? { type: m.capping.type, value: m.capping.value } : null;
    const prior = m.prior ? { mean: m.prior.mean, variance: m.prior.variance } : null;
    const builtIn = metrics.find((b) => b.key === m.key && (BUILT_IN_METRICS as readonly string[]).includes(b.key));
    if (builtIn) {
      if (m.kind !== undefined || m.numerator !== undefined || m.denominator !== undefined) {
        throw new ExperimentError(400, `metrics.${m.key}: a built-in metric takes only capping and prior`);
      }
      if (capping && builtIn.kind === 'proportion')
        throw new ExperimentError(400, `metrics.${m.key}: a 0/1 metric cannot be capped`);
      Object.assign(builtIn, { capping, prior });
      continue;
    }
    if (!m.kind || !m.numerator)
      throw new ExperimentError(400, `metrics.${m.key}: a new metric needs kind and numerator`);
    if (m.kind === 'ratio' && !m.denominator)
      throw new ExperimentError(400, `metrics.${m.key}: a ratio needs a denominator`);
    if (m.kind === 'mean' && m.denominator)
      throw new ExperimentError(400, `metrics.${m.key}: a mean has no denominator (make it a ratio)`);
    metrics.push({
      key: m.key,
      kind: m.kind,
      numerator: m.numerator,
      denominator: m.denominator ?? null,
      capping,
      prior,
    });
  }
  const a = given.analysis ?? {};
  const analysis: AnalysisSettingsV1 = {
    correction: a.correction ?? DEFAULT_ANALYSIS.correction,
    cuped: a.cuped ?? DEFAULT_ANALYSIS.cuped,
    cupedLookbackDays: a.cupedLookbackDays ?? DEFAULT_ANALYSIS.cupedLookbackDays,
    postStratify: a.postStratify ?? DEFAULT_ANALYSIS.postStratify,
    sequentialTuning: a.sequentialTuning ?? DEFAULT_ANALYSIS.sequentialTuning,
    srmMinUnitsPerVariant: a.srmMinUnitsPerVariant ?? DEFAULT_ANALYSIS.srmMinUnitsPerVariant,
  };
  let power: PowerSettingsV1 | null = null;
  if (given.power) {
    if (given.power.plannedUnitsPerVariant === undefined && given.power.plannedEndAt === undefined) {
      throw new ExperimentError(400, 'power: give plannedUnitsPerVariant or plannedEndAt');
    }
    power = {
      minimumDetectableEffect: given.power.minimumDetectableEffect,
      plannedUnitsPerVariant: given.power.plannedUnitsPerVariant ?? null,
      plannedEndAt: given.power.plannedEndAt ? new Date(given.power.plannedEndAt).toISOString() : null,
    };
  }
  let bandit: BanditSettingsV1 | null = null;
  if (given.bandit?.enabled) {
    bandit = {
      enabled: true,
      minUnitsPerVariant: given.bandit.minUnitsPerVariant ?? 100,
      minWeight: given.bandit.minWeight ?? 0.05,
      topTwoProbability: given.bandit.topTwoProbability ?? 0.5,
      reweightEveryMinutes: given.bandit.reweightEveryMinutes ?? 60,
    };
    if (bandit.minWeight * variants > 1)
      throw new ExperimentError(400, `bandit.minWeight × ${variants} variants exceeds 1`);
  }
  return { metrics, analysis, power, bandit };
}

/** Settings read back from a row: stored resolved; rows from before settings existed hold `{}`. */
export function storedSettings(stored: Partial<ExperimentSettings> | null | undefined): ExperimentSettings {
  const s = stored ?? {};
  return {
    metrics: s.metrics && s.metrics.length > 0 ? s.metrics : BUILT_INS.map((m) => ({ ...m })),
    analysis: { ...DEFAULT_ANALYSIS, ...s.analysis },
    power: s.power ?? null,
    bandit: s.bandit ?? null,
  };
}

/** Whether a per-unit source is one the tracker computes itself rather than a name conversions carry. */
export function isBuiltInSource(source: string): boolean {
  return (METRIC_SOURCES as readonly string[]).includes(source);
}

/** conversion and revenue_per_unit: analysed for every experiment. */
export function isBuiltInMetric(key: string): boolean {
  return (BUILT_IN_METRICS as readonly string[]).includes(key);
}
