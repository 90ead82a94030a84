/**
 * Sufficient statistics of a vector of per-unit values (a metric and its covariates, or a ratio's
 * numerator and denominator): the count, the means and the centred co-moments
 * M2[a][b] = Σ (v_a − v̄_a)(v_b − v̄_b). Centred sums keep their precision where raw sums of
 * squares cancel (a mean large next to its spread). Groups merge exactly with the pairwise update
 * of Chan, Golub & LeVeque ("Algorithms for computing the sample variance", 1979):
 *   n = n₁ + n₂,  δ = v̄₂ − v̄₁,  v̄ = v̄₁ + δ n₂/n,  M2 = M2₁ + M2₂ + δ δᵀ n₁n₂/n.
 * Postgres's covar_pop/avg over float8 keep the same (Youngs–Cramer) state, so a group read from
 * SQL as (count, avg, covar_pop · count) merges with these.
 */
export interface Moments {
  n: number;
  mean: number[];
  /** Symmetric k × k centred co-moments. */
  m2: number[][];
}

export function emptyMoments(k: number): Moments {
  return {
    n: 0,
    mean: new Array<number>(k).fill(0),
    m2: Array.from({ length: k }, () => new Array<number>(k).fill(0)),
  };
}

/** Adds one unit's values (Welford's update, generalised to co-moments). */
export function addValue(m: Moments, values: readonly number[]): void {
  m.n += 1;
  const k = m.mean.length;
  const before = new Array<number>(k);
  for (let a = 0; a < k; a++) {
    before[a] = values[a]! - m.mean[a]!;
    m.mean[a]! += before[a]! / m.n;
  }
  for (let a = 0; a < k; a++) {
    const after = values[a]! - m.mean[a]!;
    for (let b = 0; b < k; b++) m.m2[b]![a]! += before[b]! * after;
  }
}

export function momentsOf(rows: readonly (readonly number[])[], k = rows[0]?.length ?? 0): Moments {
  const m = emptyMoments(k);
  for (const r of rows) addValue(m, r);
  return m;
}

export function mergeMoments(x: Moments, y: Moments): Moments {
  if (x.n === 0) return cloneMoments(y);
  if (y.n === 0) return cloneMoments(x);
  const n = x.n + y.n;
  const k = x.mean.length;
  const delta = x.mean.map((mx, a) => y.mean[a]! - mx);
  const f = (x.n * y.n) / n;
  return {
    n,
    mean: x.mean.map((mx, a) => mx + (delta[a]! * y.n) / n),
    m2: Array.from({ length: k }, (_, a) =>
      Array.from({ length: k }, (_, b) => x.m2[a]![b]! + y.m2[a]![b]! + delta[a]! * delta[b]! * f),
    ),
  };
}

export function mergeAll(groups: readonly Moments[], k: number): Moments {
  return groups.reduce((acc, g) => mergeMoments(acc, g), emptyMoments(k));
}

/** Sample covariance (n − 1 denominator); 0 below two units. */
export function sampleCovariance(m: Moments, a: number, b: number): number {
  return m.n > 1 ? m.m2[a]![b]! / (m.n - 1) : 0;
}

/** The moments of a subset of the variables, in the order given. */
export function project(m: Moments, indices: readonly number[]): Moments {
  return { n: m.n, mean: indices.map((i) => m.mean[i]!), m2: indices.map((i) => indices.map((j) => m.m2[i]![j]!)) };
}

function cloneMoments(m: Moments): Moments {
  return { n: m.n, mean: [...m.mean], m2: m.m2.map((r) => [...r]) };
}
