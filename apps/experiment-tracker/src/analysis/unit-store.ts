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
 * units here. Columns are typed arrays indexed by slot (a unit keeps its slot); `order` lists the
 * slots by unit id, and every sum runs in that order, so the figures depend only on the units'
 * values: a store brought up to date by changes and one loaded from scratch give the same numbers,
 * to the last bit.
 */
export class UnitStore {
  private size = 0;
  private ids: string[] = [];
  private readonly slotOf = new Map<string, number>();
  private order = new Int32Array(0);
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
    const added: number[] = [];
    for (const u of units) {
      const v = this.variantIndex.get(u.variantKey);
      if (v === undefined) throw new Error(`unit ${u.unitId} has an unknown variant ${u.variantKey}`);
      let slot = this.slotOf.get(u.unitId);
      if (slot === undefined) {
        slot = this.size++;
        this.grow(this.size);
        this.ids[slot] = u.unitId;
        this.slotOf.set(u.unitId, slot);
        added.push(slot);
      }
      this.variant[slot] = v;
      this.exposedMs[slot] = u.exposedMs;
      this.stratum[slot] = u.stratum === null ? -1 : this.intern(u.stratum);
      for (let c = 0; c < this.columns.length; c++) this.columns[c]![slot] = u.values[c]!;
    }
    if (added.length > 0) this.mergeOrder(added);
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
    const percentiles = new Map<string, number | null>();
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
    const counts = new Float64Array(cellCount);
    const conversions = new Float64Array(cellCount);
    const revenueSums = new Float64Array(cellCount);
    const sums = new Float64Array(cellCount * V);
    const co = new Float64Array(cellCount * P);
    const values = new Float64Array(V);
    const centred = new Float64Array(V);
    const converted = this.columns[1]!;
    const revenue = this.columns[3]!;
    const { order, exposedMs, stratum, variant } = this;
    for (let o = 0; o < n; o++) {
      const slot = order[o]!;
      let period = 0;
      while (period < periods.length && exposedMs[slot]! >= periods[period]!) period++;
      const st = stratum[slot]!;
      const s = stratify && st >= 0 ? rankOf[st]! : 0;
      const cell = (variant[slot]! * periodCount + period) * strataCount + s;
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
    const grown = <T extends Int16Array | Int32Array | Float64Array>(a: T, make: (n: number) => T): T => {
      const b = make(capacity);
      b.set(a);
      return b;
    };
    this.variant = grown(this.variant, (c) => new Int16Array(c));
    this.stratum = grown(this.stratum, (c) => new Int32Array(c));
    this.exposedMs = grown(this.exposedMs, (c) => new Float64Array(c));
    this.columns = this.columns.map((col) => grown(col, (c) => new Float64Array(c)));
  }

  /** Merges new slots into the order by unit id: each found by binary search, the runs between them copied. */
  private mergeOrder(added: number[]): void {
    added.sort((a, b) => byId(this.ids[a]!, this.ids[b]!));
    const old = this.order;
    const merged = new Int32Array(old.length + added.length);
    let from = 0;
    let k = 0;
    for (const slot of added) {
      const id = this.ids[slot]!;
      let lo = from;
      let hi = old.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (byId(this.ids[old[mid]!]!, id) <= 0) lo = mid + 1;
        else hi = mid;
      }
      merged.set(old.subarray(from, lo), k);
      k += lo - from;
      merged[k++] = slot;
      from = lo;
    }
    merged.set(old.subarray(from), k);
    this.order = merged;
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
