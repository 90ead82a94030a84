import type { MetricV1 } from '@juggernaut/contracts';
import { isBuiltInSource } from '../experiments/experiment-settings';
import type { Moments } from '../stats/moments';
import type { Cell, LoadedData, VariantInfo } from './analyze';

/** The per-unit values every unit carries, in this order, before one column per named number. */
export const UNIT_COLUMNS = ['cov', 'converted', 'orders', 'revenue', 'pre'] as const;

/** One unit as the per-unit query computes it (every value of a unit, from all its rows). */
export interface UnitValues {
  unitId: string;
  variantKey: string;
  /** First exposure, in whole milliseconds since the epoch (rounded down). */
  exposedMs: number;
  stratum: string | null;
  /** UNIT_COLUMNS, then the named numbers in the store's order. */
  values: number[];
}

/** What the per-unit statistics are computed with (a load plan without its reads). */
export interface AggregatePlan {
  metrics: MetricV1[];
  cuped: boolean;
  stratify: boolean;
  periodStarts: Date[];
  /** Above this many distinct strata the results are not post-stratified. */
  maxStrata: number;
}

/** The covariates CUPED uses, in the order of the Moments' variables 1..k. */
export const COVARIATES = ['pre_revenue', 'exposure_covariate'] as const;

const byId = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Every exposed unit of one experiment with its per-unit values, kept in memory so a read after new
 * data recomputes only the units whose rows changed, then the caps and the cells' moments from all
 * units here. Columns are typed arrays kept in unit-id order (a new unit is inserted in its place,
 * the units after it moved up), and every sum runs in that order, so the figures depend only on the
 * units' values: a store brought up to date by changes and one loaded from scratch give the same
 * numbers, to the last bit; and the sums read the columns in sequence.
 */
export class UnitStore {
  private size = 0;
  private ids: string[] = [];
  /** Units written since the last aggregation (their cells are summed again). */
  private dirty = new Uint8Array(0);
  /** A unit changed cell (its variant, exposure or stratum): every cell is summed again. */
  private moved = false;
  /** The cells' sums of the last aggregation, with the shape (variables, caps, cells) they were summed for. */
  private kept: {
    shape: string;
    counts: Float64Array;
    conversions: Float64Array;
    revenueSums: Float64Array;
    sums: Float64Array;
    co: Float64Array;
  } | null = null;
  /** Percentiles of the last aggregation, while no unit was written. */
  private readonly percentileCache = new Map<string, number | null>();
  private variant = new Int16Array(0);
  private exposedMs = new Float64Array(0);
  private stratum = new Int32Array(0);
  private readonly strata: string[] = [];
  private readonly strataIndex = new Map<string, number>();
  private columns: Float64Array[];
  private readonly variantIndex: Map<string, number>;

  /**
   * @param variants the experiment's variants in position order, with their ledger revenue
   * @param named the named numbers' names, in the per-unit query's column order
   */
  constructor(
    readonly variants: VariantInfo[],
    readonly named: string[],
  ) {
    this.variantIndex = new Map(variants.map((v, i) => [v.key, i]));
    this.columns = Array.from({ length: UNIT_COLUMNS.length + named.length }, () => new Float64Array(0));
  }

  get units(): number {
    return this.size;
  }

  /** Adds ledger revenue attributed to a variant (with or without a unit). */
  addVariantRevenue(variantKey: string, amountMinor: number): void {
    const i = this.variantIndex.get(variantKey);
    if (i !== undefined) this.variants[i]!.revenueMinor += amountMinor;
  }

  /** New units join; units already here take the values given (recomputed from all their rows). */
  upsert(units: readonly UnitValues[]): void {
    const fresh: UnitValues[] = [];
    for (const u of units) {
      const at = this.find(u.unitId);
      if (at >= 0) this.write(at, u, false);
      else fresh.push(u);
    }
    if (fresh.length === 0) return;
    fresh.sort((a, b) => byId(a.unitId, b.unitId));
    const total = this.size + fresh.length;
    this.grow(total);
    // From the last new unit back: the units after its place move up by the new units still to place.
    let last = this.size - 1;
    for (let j = fresh.length - 1; j >= 0; j--) {
      const u = fresh[j]!;
      let lo = 0;
      let hi = last + 1;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (byId(this.ids[mid]!, u.unitId) < 0) lo = mid + 1;
        else hi = mid;
      }
      if (lo <= last) this.shift(lo, last + 1, j + 1);
      this.ids[lo + j] = u.unitId;
      this.write(lo + j, u, true);
      last = lo - 1;
    }
    this.size = total;
  }

  /** The position of a unit, or −1. */
  private find(unitId: string): number {
    let lo = 0;
    let hi = this.size;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const c = byId(this.ids[mid]!, unitId);
      if (c === 0) return mid;
      if (c < 0) lo = mid + 1;
      else hi = mid;
    }
    return -1;
  }

  private write(at: number, u: UnitValues, fresh: boolean): void {
    const v = this.variantIndex.get(u.variantKey);
    if (v === undefined) throw new Error(`unit ${u.unitId} has an unknown variant ${u.variantKey}`);
    const stratum = u.stratum === null ? -1 : this.intern(u.stratum);
    if (!fresh && (this.variant[at] !== v || this.exposedMs[at] !== u.exposedMs || this.stratum[at] !== stratum))
      this.moved = true;
    this.dirty[at] = 1;
    this.percentileCache.clear();
    this.variant[at] = v;
    this.exposedMs[at] = u.exposedMs;
    this.stratum[at] = stratum;
    for (let c = 0; c < this.columns.length; c++) this.columns[c]![at] = u.values[c]!;
  }

  /** Moves the units at [start, end) up by `by` places. */
  private shift(start: number, end: number, by: number): void {
    this.variant.copyWithin(start + by, start, end);
    this.exposedMs.copyWithin(start + by, start, end);
    this.stratum.copyWithin(start + by, start, end);
    this.dirty.copyWithin(start + by, start, end);
    for (const column of this.columns) column.copyWithin(start + by, start, end);
    for (let i = end - 1; i >= start; i--) this.ids[i + by] = this.ids[i]!;
  }

  /** The cells, caps and stratification of every unit here, as the grouped scan computes them. */
  aggregate(plan: AggregatePlan): Omit<LoadedData, 'variants'> {
    const n = this.size;
    let stratify = plan.stratify;
    let strataNote: string | null = null;
    if (stratify && this.strata.length === 0) stratify = false;
    else if (stratify && this.strata.length > plan.maxStrata) {
      stratify = false;
      strataNote = `more than ${plan.maxStrata} strata: not post-stratified`;
    }

    // Caps: absolute values, or percentile_cont over every unit's value (Postgres's interpolation).
    const percentiles = this.percentileCache;
    const percentile = (column: number, p: number): number | null => {
      const key = `${column}:${p}`;
      if (!percentiles.has(key))
        percentiles.set(key, n === 0 ? null : percentileCont(this.columns[column]!, n, p, this.scratch()));
      return percentiles.get(key)!;
    };
    const capOf = (column: number, capping: MetricV1['capping']): number | null => {
      if (!capping) return null;
      return capping.type === 'absolute' ? capping.value : percentile(column, capping.value);
    };
    const columnOf = (source: string): number => {
      if (isBuiltInSource(source)) return UNIT_COLUMNS.indexOf(source as (typeof UNIT_COLUMNS)[number]);
      const j = this.named.indexOf(source);
      if (j < 0) throw new Error(`the store has no named number ${source}`);
      return UNIT_COLUMNS.length + j;
    };
    const PRE = UNIT_COLUMNS.indexOf('pre');
    const COV = UNIT_COLUMNS.indexOf('cov');
    const revenueCapping = plan.metrics.find((m) => m.key === 'revenue_per_unit')?.capping ?? null;
    const covariates: Array<{ column: number; cap: number | null }> = plan.cuped
      ? [
          { column: PRE, cap: capOf(PRE, revenueCapping) },
          { column: COV, cap: null },
        ]
      : [];
    const caps: LoadedData['caps'] = {};
    const variables = plan.metrics.map((m) => {
      const numerator = columnOf(m.numerator);
      const cap = capOf(numerator, m.capping);
      if (m.capping) {
        const onRevenue = m.key === 'revenue_per_unit' && plan.cuped;
        caps[m.key] = {
          cap: m.capping.type === 'absolute' ? m.capping.value : cap,
          covariateCap: onRevenue ? covariates[0]!.cap : null,
        };
      }
      const y = { column: numerator, cap };
      return m.kind === 'ratio' ? [y, { column: columnOf(m.denominator!), cap: null }] : [y, ...covariates];
    });

    // The distinct capped variables and the distinct pairs of them the metrics' moments need (the
    // covariates' pairs are shared by every mean metric, a capped column by every metric reading it).
    const varIndex = new Map<string, number>();
    const varColumn: number[] = [];
    const varCap: number[] = [];
    const variableOf = (v: { column: number; cap: number | null }) => {
      const key = `${v.column}:${v.cap}`;
      if (!varIndex.has(key)) {
        varIndex.set(key, varColumn.length);
        varColumn.push(v.column);
        varCap.push(v.cap ?? Infinity);
      }
      return varIndex.get(key)!;
    };
    const pairIndex = new Map<number, number>();
    const pairA: number[] = [];
    const pairB: number[] = [];
    const metricVars = variables.map((vars) => vars.map(variableOf));
    const metricPairs = metricVars.map((vars) =>
      vars.map((a) =>
        vars.map((b) => {
          const [lo, hi] = a <= b ? [a, b] : [b, a];
          const key = lo * 1024 + hi;
          if (!pairIndex.has(key)) {
            pairIndex.set(key, pairA.length);
            pairA.push(lo);
            pairB.push(hi);
          }
          return pairIndex.get(key)!;
        }),
      ),
    );
    const V = varColumn.length;
    const P = pairA.length;
    const columns = varColumn.map((c) => this.columns[c]!);
    const caps_ = Float64Array.from(varCap);
    const pa = Int32Array.from(pairA);
    const pb = Int32Array.from(pairB);

    // Cells by (variant, period, stratum): the stratum's rank among the sorted names, 0 unstratified.
    const names = stratify ? [...this.strata].sort(byId) : [];
    const rankOf = new Int32Array(this.strata.length);
    this.strata.forEach((s, i) => {
      rankOf[i] = names.indexOf(s) + 1;
    });
    const strataCount = names.length + 1;
    const periods = Float64Array.from(plan.periodStarts.map((d) => d.getTime()));
    const periodCount = periods.length + 1;
    const cellCount = this.variants.length * periodCount * strataCount;
    const { exposedMs, stratum, variant, dirty } = this;
    const cellOf = (slot: number) => {
      let period = 0;
      while (period < periods.length && exposedMs[slot]! >= periods[period]!) period++;
      const st = stratum[slot]!;
      return (variant[slot]! * periodCount + period) * strataCount + (stratify && st >= 0 ? rankOf[st]! : 0);
    };
    // Cells whose units and caps are as at the last aggregation keep their sums (the same units in
    // the same order give the same sums); the others are summed again over their units in order.
    const shape = JSON.stringify([varColumn, varCap, pairA, pairB, [...periods], stratify, names, n > 0]);
    let kept = this.kept;
    let only: Uint8Array | null = null;
    if (kept && kept.shape === shape && !this.moved) {
      only = new Uint8Array(cellCount);
      for (let slot = 0; slot < n; slot++) if (dirty[slot]) only[cellOf(slot)] = 1;
      for (let cell = 0; cell < cellCount; cell++) {
        if (!only[cell]) continue;
        kept.counts[cell] = 0;
        kept.conversions[cell] = 0;
        kept.revenueSums[cell] = 0;
        kept.sums.fill(0, cell * V, (cell + 1) * V);
        kept.co.fill(0, cell * P, (cell + 1) * P);
      }
    } else {
      kept = {
        shape,
        counts: new Float64Array(cellCount),
        conversions: new Float64Array(cellCount),
        revenueSums: new Float64Array(cellCount),
        sums: new Float64Array(cellCount * V),
        co: new Float64Array(cellCount * P),
      };
    }
    const { counts, conversions, revenueSums, sums, co } = kept;
    const values = new Float64Array(V);
    const centred = new Float64Array(V);
    const converted = this.columns[1]!;
    const revenue = this.columns[3]!;
    for (let slot = 0; slot < n; slot++) {
      const cell = cellOf(slot);
      if (only && !only[cell]) continue;
      const count = ++counts[cell]!;
      conversions[cell]! += converted[slot]!;
      revenueSums[cell]! += revenue[slot]!;
      // Youngs–Cramer, as Postgres's avg and covar_pop accumulate float8 (float8_accum,
      // float8_regr_accum): Σ += v, then for n > 1 with t = v·n − Σ, C[a][b] += t_a·t_b / (n(n − 1)).
      const sv = cell * V;
      for (let a = 0; a < V; a++) {
        const x = columns[a]![slot]!;
        const v = x > caps_[a]! ? caps_[a]! : x;
        values[a] = v;
        sums[sv + a]! += v;
      }
      if (count < 2) continue;
      const scale = 1 / (count * (count - 1));
      for (let a = 0; a < V; a++) centred[a] = values[a]! * count - sums[sv + a]!;
      const sp = cell * P;
      for (let p = 0; p < P; p++) co[sp + p]! += centred[pa[p]!]! * centred[pb[p]!]! * scale;
    }
    dirty.fill(0, 0, n);
    this.moved = false;
    this.kept = kept;
    const out: Cell[] = [];
    for (let cell = 0; cell < cellCount; cell++) {
      const count = counts[cell]!;
      if (count === 0) continue;
      const s = cell % strataCount;
      const period = Math.floor(cell / strataCount) % periodCount;
      const v = Math.floor(cell / strataCount / periodCount);
      const metrics: Record<string, Moments> = {};
      // As the grouped scan reads them: avg = Σ/n, and covar_pop · n.
      plan.metrics.forEach((m, i) => {
        const vars = metricVars[i]!;
        metrics[m.key] = {
          n: count,
          mean: vars.map((a) => sums[cell * V + a]! / count),
          m2: metricPairs[i]!.map((row) => row.map((p) => (co[cell * P + p]! / count) * count)),
        };
      });
      out.push({
        variant: this.variants[v]!.key,
        period,
        stratum: s === 0 ? '' : names[s - 1]!,
        n: count,
        conversions: conversions[cell]!,
        revenueSum: revenueSums[cell]!,
        metrics,
      });
    }
    return {
      cells: out,
      caps,
      covariates: plan.cuped ? [...COVARIATES] : [],
      stratified: stratify,
      strataNote,
    };
  }

  private scratchBuffer = new Float64Array(0);

  /** A buffer of at least the units' count for the percentiles' selection (kept between reads). */
  private scratch(): Float64Array {
    if (this.scratchBuffer.length < this.size) this.scratchBuffer = new Float64Array(this.variant.length);
    return this.scratchBuffer;
  }

  private intern(stratum: string): number {
    let i = this.strataIndex.get(stratum);
    if (i === undefined) {
      i = this.strata.length;
      this.strata.push(stratum);
      this.strataIndex.set(stratum, i);
    }
    return i;
  }

  private grow(size: number): void {
    if (size <= this.variant.length) return;
    const capacity = Math.max(1024, this.variant.length * 2, size);
    const grown = <T extends Uint8Array | Int16Array | Int32Array | Float64Array>(a: T, make: (n: number) => T): T => {
      const b = make(capacity);
      b.set(a);
      return b;
    };
    this.variant = grown(this.variant, (c) => new Int16Array(c));
    this.stratum = grown(this.stratum, (c) => new Int32Array(c));
    this.exposedMs = grown(this.exposedMs, (c) => new Float64Array(c));
    this.dirty = grown(this.dirty, (c) => new Uint8Array(c));
    this.columns = this.columns.map((col) => grown(col, (c) => new Float64Array(c)));
  }
}

/**
 * percentile_cont(p) of the first n values, as Postgres computes it: the values at rows
 * floor(p(n − 1)) and ceil(p(n − 1)) of the sorted values, interpolated lo + (p(n − 1) − floor)·(hi − lo).
 * The two order statistics are found by selection on a copy, not a sort.
 */
export function percentileCont(
  values: Float64Array,
  n: number,
  p: number,
  buffer: Float64Array = new Float64Array(n),
): number {
  const position = p * (n - 1);
  const first = Math.floor(position);
  const second = Math.ceil(position);
  const scratch = buffer.subarray(0, n);
  scratch.set(values.subarray(0, n));
  select(scratch, first);
  const lo = scratch[first]!;
  let hi = lo;
  if (second > first) {
    hi = Infinity;
    for (let i = first + 1; i < n; i++) if (scratch[i]! < hi) hi = scratch[i]!;
  }
  return lo + (position - first) * (hi - lo);
}

/** Rearranges `a` so a[k] is its k-th smallest value, smaller ones before it, larger ones after (Hoare's selection). */
function select(a: Float64Array, k: number): void {
  let left = 0;
  let right = a.length - 1;
  while (right > left) {
    const pivot = median3(a[left]!, a[(left + right) >> 1]!, a[right]!);
    let i = left;
    let j = right;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) {
        const t = a[i]!;
        a[i] = a[j]!;
        a[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) right = j;
    else if (k >= i) left = i;
    else return;
  }
}

function median3(a: number, b: number, c: number): number {
  return a < b ? (b < c ? b : a < c ? c : a) : a < c ? a : b < c ? c : b;
}
