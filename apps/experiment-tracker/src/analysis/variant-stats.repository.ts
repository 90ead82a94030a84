import { Injectable } from '@nestjs/common';
import type { MetricV1 } from '@juggernaut/contracts';
import type { Queryable } from '@juggernaut/persistence';
import { DataSource } from 'typeorm';
import type { ExperimentSettings } from '../experiments/experiment-settings';
import { isBuiltInSource } from '../experiments/experiment-settings';
import { ANY_EXPERIMENT, UNIT_REVENUE } from '../migrations/1766000000000-experiment-data-versions';
import type { Moments } from '../stats/moments';
import type { Cell, LoadedData } from './analyze';

/** Experiments whose last loaded statistics are kept (the least recently read are dropped first). */
export const CACHED_EXPERIMENTS = 256;

/** More distinct strata than this and the results are not post-stratified (a stratum per unit is not a segment). */
export const MAX_STRATA = 50;

/** What to read for one experiment: which per-unit values, caps and groupings. */
export interface LoadPlan {
  currency: string;
  metrics: MetricV1[];
  cuped: boolean;
  lookbackDays: number;
  stratify: boolean;
  /** Start of each weights period after the first (a bandit's reweightings). */
  periodStarts: Date[];
}

export function loadPlan(currency: string, settings: ExperimentSettings, periodStarts: Date[] = []): LoadPlan {
  return {
    currency,
    metrics: settings.metrics,
    cuped: settings.analysis.cuped,
    lookbackDays: settings.analysis.cupedLookbackDays,
    stratify: settings.analysis.postStratify,
    periodStarts,
  };
}

/** The covariates CUPED uses, in the order of the Moments' variables 1..k. */
export const COVARIATES = ['pre_revenue', 'exposure_covariate'] as const;

/**
 * Sufficient statistics of an experiment, read in one query. A unit belongs to the variant it was
 * first exposed to; its values are
 *   converted  1 if it has a conversion, else 0
 *   orders     its number of conversions
 *   revenue    what its conversions were worth plus the ledger revenue attributed to it in this experiment
 *   <name>     the sum of a named number over its conversions
 *   pre        ledger revenue posted for the unit (in any experiment or none) in the lookback before
 *              its first exposure: the CUPED covariate, with the exposure's own covariate
 * Capping replaces values above the cap (an absolute value, or percentile_cont of every exposed
 * unit's value, pooled across arms) by the cap. Units are then grouped by variant, weights period
 * and stratum, and each group returns its count, means and centred co-moments (covar_pop, which
 * Postgres accumulates with the Youngs–Cramer update, so no precision is lost to cancellation).
 */
@Injectable()
export class VariantStatsRepository {
  /**
   * The last statistics loaded per experiment, with what they were loaded from: the plan and the
   * data versions (experiments.data_versions, raised by triggers in the transaction of every change).
   * A load whose plan and versions are unchanged returns them without reading a unit: the versions
   * name exactly the data the statistics were computed from, so the figures are the same ones a
   * scan would give. Any change (a new exposure, conversion or attribution, new unit revenue when
   * CUPED reads it, a bandit's reweighting in the plan) makes the next load scan again.
   */
  private readonly cache = new Map<string, { key: string; data: LoadedData }>();

  constructor(private readonly db: DataSource) {}

  async load(experimentId: string, plan: LoadPlan, db: Queryable = this.db): Promise<LoadedData> {
    const versions = () => this.versions(experimentId, plan, db);
    const key = JSON.stringify([plan, await versions()]);
    const hit = this.cache.get(experimentId);
    if (hit?.key === key) {
      this.cache.delete(experimentId);
      this.cache.set(experimentId, hit);
      return structuredClone(hit.data);
    }
    const data = await this.scan(experimentId, plan, db);
    // Kept only if nothing changed during the scan (always so inside a repeatable-read transaction;
    // in read committed, a change committed meanwhile may or may not be in the scan: not kept).
    if (JSON.stringify([plan, await versions()]) === key) {
      this.cache.delete(experimentId);
      this.cache.set(experimentId, { key, data: structuredClone(data) });
      if (this.cache.size > CACHED_EXPERIMENTS) this.cache.delete(this.cache.keys().next().value!);
    }
    return data;
  }

  /** The versions of the data a plan reads: the experiment's, any experiment's, and unit revenue's with CUPED. */
  private async versions(experimentId: string, plan: LoadPlan, db: Queryable): Promise<string[]> {
    const ids = [experimentId, ANY_EXPERIMENT, ...(plan.cuped ? [UNIT_REVENUE] : [])];
    const rows = (await db.query(
      `SELECT experiment_id::text AS id, version::text AS version FROM experiments.data_versions WHERE experiment_id = ANY($1::uuid[])`,
      [ids],
    )) as Array<{ id: string; version: string }>;
    const byId = new Map(rows.map((r) => [r.id, r.version]));
    return ids.map((id) => byId.get(id) ?? '0');
  }

  /** The statistics computed from every unit. */
  private async scan(experimentId: string, plan: LoadPlan, db: Queryable): Promise<LoadedData> {
    let stratify = plan.stratify;
    let strataNote: string | null = null;
    if (stratify) {
      const [row] = (await db.query(
        `SELECT count(*)::int AS strata FROM (SELECT DISTINCT stratum FROM experiments.exposures WHERE experiment_id = $1 AND stratum IS NOT NULL LIMIT $2) s`,
        [experimentId, MAX_STRATA + 1],
      )) as Array<{ strata: number }>;
      if (row!.strata === 0) stratify = false;
      else if (row!.strata > MAX_STRATA) {
        stratify = false;
        strataNote = `more than ${MAX_STRATA} strata: not post-stratified`;
      }
    }
    const query = buildQuery(experimentId, plan, stratify);
    // Inside the caller's transaction (results, evaluation and allocation all run in one): the
    // per-unit hash aggregate fits in memory instead of spilling to disk at the default work_mem,
    // and without parallel workers, whose sorted partial aggregates and Gather Merge took twice as
    // long as one process on the 2-core machine measured (50,000 units: 75 ms instead of 160 ms).
    await db.query(`SET LOCAL work_mem = '64MB'`);
    await db.query(`SET LOCAL max_parallel_workers_per_gather = 0`);
    const rows = (await db.query(query.sql, query.params)) as Array<Record<string, unknown>>;
    const variants = (await db.query(
      `SELECT v.key, v.is_control, v.weight,
              (SELECT coalesce(sum(a.amount_minor), 0) FROM experiments.ledger_attributions a
               WHERE a.experiment_id = v.experiment_id AND a.kind = 'revenue' AND a.currency = $2 AND a.variant_key = v.key)::text AS revenue
       FROM experiments.variants v WHERE v.experiment_id = $1 ORDER BY v.position`,
      [experimentId, plan.currency],
    )) as Array<{ key: string; is_control: boolean; weight: number; revenue: string }>;
    const cells: Cell[] = rows.map((r) => {
      const n = Number(r['n']);
      const metrics: Record<string, Moments> = {};
      for (const m of query.metrics) {
        metrics[m.key] = {
          n,
          mean: m.variables.map((v) => num(r[query.avg(v)])),
          m2: m.variables.map((a) => m.variables.map((b) => num(r[query.covar(a, b)]) * n)),
        };
      }
      return {
        variant: String(r['variant_key']),
        period: Number(r['period']),
        stratum: String(r['stratum']),
        n,
        conversions: Number(r['conversions']),
        revenueSum: num(r['revenue_sum']),
        metrics,
      };
    });
    const first = rows[0];
    const caps: LoadedData['caps'] = {};
    for (const c of query.caps) {
      caps[c.metric] = {
        cap: first && c.column ? nullable(first[c.column]) : c.absolute,
        covariateCap: c.covariateColumn ? (first ? nullable(first[c.covariateColumn]) : null) : c.covariateAbsolute,
      };
    }
    return {
      variants: variants.map((v) => ({
        key: v.key,
        control: v.is_control,
        weight: v.weight,
        revenueMinor: Number(v.revenue),
      })),
      cells,
      caps,
      covariates: plan.cuped ? [...COVARIATES] : [],
      stratified: stratify,
      strataNote,
    };
  }

  /** All revenue the ledger attributed to the experiment, in its currency (with or without a variant). */
  async revenue(experimentId: string, currency: string, db: Queryable = this.db): Promise<number> {
    const [r] = (await db.query(
      `SELECT coalesce(sum(amount_minor), 0)::text AS total FROM experiments.ledger_attributions WHERE experiment_id = $1 AND kind = 'revenue' AND currency = $2`,
      [experimentId, currency],
    )) as Array<{ total: string }>;
    return Number(r!.total);
  }
}

const num = (v: unknown) => (v === null || v === undefined ? 0 : Number(v));
const nullable = (v: unknown) => (v === null || v === undefined ? null : Number(v));

interface QueryMetric {
  key: string;
  /** Column names of the Moments' variables: [y, covariates…] or [numerator, denominator]. */
  variables: string[];
}

interface BuiltQuery {
  sql: string;
  params: unknown[];
  metrics: QueryMetric[];
  caps: Array<{
    metric: string;
    column: string | null;
    absolute: number | null;
    covariateColumn: string | null;
    covariateAbsolute: number | null;
  }>;
  avg(column: string): string;
  covar(a: string, b: string): string;
}

/**
 * The statement for a plan ($1 the experiment, $2 its currency). Metric keys, value names and caps
 * never reach the SQL text: names and numbers are bound parameters, columns are numbered.
 */
export function buildQuery(experimentId: string, plan: LoadPlan, stratify: boolean): BuiltQuery {
  const params: unknown[] = [experimentId, plan.currency];
  const bind = (v: unknown) => {
    params.push(v);
    return `$${params.length}`;
  };
  // Per-unit source columns: the built-ins, then one per named number.
  const named = new Map<string, string>();
  const sourceColumn = (source: string): string => {
    if (isBuiltInSource(source)) return source;
    if (!named.has(source)) named.set(source, `m${named.size}`);
    return named.get(source)!;
  };
  const revenueCapping = plan.metrics.find((m) => m.key === 'revenue_per_unit')?.capping ?? null;
  const capCols: string[] = [];
  const valueCols: string[] = [];
  const caps: BuiltQuery['caps'] = [];
  const capExpr = (
    column: string,
    capping: MetricV1['capping'],
    capName: string,
  ): { value: string; capColumn: string | null } => {
    if (!capping) return { value: column, capColumn: null };
    if (capping.type === 'absolute')
      return { value: `LEAST(${column}, ${bind(capping.value)}::float8)`, capColumn: null };
    capCols.push(`percentile_cont(${bind(capping.value)}::float8) WITHIN GROUP (ORDER BY ${column}) AS ${capName}`);
    return { value: `LEAST(${column}, caps.${capName})`, capColumn: capName };
  };

  const covariateCols: string[] = [];
  let preCap: { value: string; capColumn: string | null } | null = null;
  if (plan.cuped) {
    preCap = capExpr('pre', revenueCapping, 'cap_pre');
    valueCols.push(`${preCap.value} AS x0`, 'cov AS x1');
    covariateCols.push('x0', 'x1');
  }
  const metrics: QueryMetric[] = plan.metrics.map((m, i) => {
    const capped = capExpr(sourceColumn(m.numerator), m.capping, `cap_${i}`);
    valueCols.push(`${capped.value} AS y${i}`);
    if (m.capping) {
      caps.push({
        metric: m.key,
        column: capped.capColumn ? `cap_${i}` : null,
        absolute: m.capping.type === 'absolute' ? m.capping.value : null,
        covariateColumn: m.key === 'revenue_per_unit' && plan.cuped && preCap?.capColumn ? preCap.capColumn : null,
        covariateAbsolute:
          m.key === 'revenue_per_unit' && plan.cuped && m.capping.type === 'absolute' ? m.capping.value : null,
      });
    }
    if (m.kind === 'ratio') {
      valueCols.push(`${sourceColumn(m.denominator!)} AS d${i}`);
      return { key: m.key, variables: [`y${i}`, `d${i}`] };
    }
    return { key: m.key, variables: [`y${i}`, ...covariateCols] };
  });

  // Aggregates, each pair once.
  const aggregates = new Map<string, string>();
  const avg = (c: string) => `a_${c}`;
  const covar = (a: string, b: string) => (a < b ? `c_${a}_${b}` : `c_${b}_${a}`);
  for (const m of metrics) {
    for (const a of m.variables) {
      aggregates.set(avg(a), `avg(${a}) AS ${avg(a)}`);
      for (const b of m.variables) aggregates.set(covar(a, b), `covar_pop(${a}, ${b}) AS ${covar(a, b)}`);
    }
  }
  const capOutputs = [...caps.flatMap((c) => [c.column, c.covariateColumn]).filter((c): c is string => c !== null)];

  const namedCols = [...named].map(
    ([name, col]) => `coalesce(sum((metrics ->> ${bind(name)})::float8) FILTER (WHERE src = 1), 0) AS ${col}`,
  );
  const period =
    plan.periodStarts.length > 0
      ? `width_bucket(exposed_at, ${bind(plan.periodStarts.map((d) => d.toISOString()))}::timestamptz[])`
      : '0';
  const stratum = stratify ? `coalesce(stratum, '')` : `''`;
  const preSource = plan.cuped
    ? `UNION ALL
       -- Revenue posted for the unit in the lookback before its first exposure.
       SELECT x.unit_id, NULL, NULL, NULL, NULL, 3, r.amount_minor::float8, NULL
       FROM experiments.exposures x JOIN experiments.unit_revenue r
         ON r.unit_id = x.unit_id AND r.currency = $2 AND r.occurred_at < x.occurred_at AND r.occurred_at >= x.occurred_at - make_interval(days => ${bind(plan.lookbackDays)}::int)
       WHERE x.experiment_id = $1`
    : '';
  // One pass grouped by unit over the sources, no join between them: a join's plan depends on table
  // statistics, and a nested loop chosen on fresh, unanalyzed tables turns this into minutes.
  const sql = `
    WITH src AS (
      SELECT unit_id, variant_key, occurred_at AS exposed_at, covariate, stratum, 0 AS src, 0::float8 AS value, NULL::jsonb AS metrics
      FROM experiments.exposures WHERE experiment_id = $1
      UNION ALL
      SELECT unit_id, NULL, NULL, NULL, NULL, 1, value_minor::float8, metrics FROM experiments.conversions WHERE experiment_id = $1
      UNION ALL
      SELECT unit_id, NULL, NULL, NULL, NULL, 2, amount_minor::float8, NULL FROM experiments.ledger_attributions
      WHERE experiment_id = $1 AND kind = 'revenue' AND currency = $2 AND unit_id IS NOT NULL
      ${preSource}
    ), per_unit AS (
      SELECT max(variant_key) AS variant_key, max(exposed_at) AS exposed_at, max(stratum) AS stratum,
             coalesce(max(covariate), 0) AS cov,
             CASE WHEN bool_or(src = 1) THEN 1 ELSE 0 END::float8 AS converted,
             (count(*) FILTER (WHERE src = 1))::float8 AS orders,
             coalesce(sum(value) FILTER (WHERE src = 1 OR src = 2), 0) AS revenue,
             coalesce(sum(value) FILTER (WHERE src = 3), 0) AS pre
             ${namedCols.map((c) => `, ${c}`).join('')}
      FROM src GROUP BY unit_id
    ), units AS (
      SELECT * FROM per_unit WHERE variant_key IS NOT NULL
    ), caps AS (
      ${capCols.length > 0 ? `SELECT ${capCols.join(', ')} FROM units` : 'SELECT 1 AS one'}
    ), vals AS (
      SELECT variant_key, ${period} AS period, ${stratum} AS stratum, converted, revenue
             ${valueCols.map((c) => `, ${c}`).join('')}
             ${capOutputs.map((c) => `, caps.${c}`).join('')}
      FROM units CROSS JOIN caps
    )
    SELECT variant_key, period, stratum, count(*)::int AS n, sum(converted)::int AS conversions, sum(revenue) AS revenue_sum
           ${[...aggregates.values()].map((a) => `, ${a}`).join('')}
           ${capOutputs.map((c) => `, max(${c}) AS ${c}`).join('')}
    FROM vals GROUP BY variant_key, period, stratum`;
  return { sql, params, metrics, caps, avg, covar };
}
