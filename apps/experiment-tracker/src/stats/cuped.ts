import type { Moments } from './moments';

/**
 * CUPED, regression adjustment with pre-exposure covariates (Deng, Xu, Kohavi & Walker, "Improving
 * the Sensitivity of Online Controlled Experiments by Utilizing Pre-Experiment Data", WSDM 2013).
 * Each unit's value Y is replaced by Y − θᵀ(X − X̄), where X are values fixed before the unit was
 * exposed (so the treatment cannot move them) and X̄ their mean over every exposed unit. Any fixed θ
 * leaves the difference between arms unbiased; the θ that minimises the variance is the regression
 * coefficient, estimated here on all units pooled across arms:
 *   θ = S_XX⁻¹ S_XY   (one covariate: θ = cov(Y, X) / var(X)).
 * The variance of the adjusted values in a group is (s_YY − 2θᵀs_XY + θᵀS_XXθ), i.e. with ρ the
 * correlation and one covariate, s²_Y(1 − ρ²) at the optimum.
 *
 * Variables in a Moments: index 0 is the metric, 1..k the covariates.
 */

/** Coefficients for the covariates (0 for one dropped: no spread, or collinear with the others). */
export function cupedTheta(pooled: Moments): number[] {
  const k = pooled.mean.length - 1;
  let active = Array.from({ length: k }, (_, j) => j + 1).filter((j) => pooled.m2[j]![j]! > 0);
  while (active.length > 0) {
    const a = active.map((i) => active.map((j) => pooled.m2[i]![j]!));
    const b = active.map((i) => pooled.m2[i]![0]!);
    const solved = solve(a, b);
    if (solved) {
      const theta = new Array<number>(k).fill(0);
      active.forEach((j, i) => {
        theta[j - 1] = solved[i]!;
      });
      return theta;
    }
    // Singular: the last covariate adds nothing the others do not already carry.
    active = active.slice(0, -1);
  }
  return new Array<number>(k).fill(0);
}

export interface Univariate {
  n: number;
  mean: number;
  /** Σ (y − ȳ)², the centred sum of squares. */
  m2: number;
}

/**
 * The adjusted values' count, mean and centred sum of squares in a group (an arm, or an arm within
 * a stratum), from the group's moments, θ and the covariates' pooled means:
 *   mean = ȳ − θᵀ(x̄ − X̄),   M2 = M2_YY − 2θᵀM2_XY + θᵀM2_XXθ.
 */
export function adjustGroup(
  group: Moments,
  theta: readonly number[],
  pooledCovariateMeans: readonly number[],
): Univariate {
  let mean = group.mean[0]!;
  let m2 = group.m2[0]![0]!;
  for (let j = 0; j < theta.length; j++) {
    const t = theta[j]!;
    if (t === 0) continue;
    mean -= t * (group.mean[j + 1]! - pooledCovariateMeans[j]!);
    m2 -= 2 * t * group.m2[0]![j + 1]!;
    for (let l = 0; l < theta.length; l++) m2 += t * theta[l]! * group.m2[j + 1]![l + 1]!;
  }
  // Rounding can leave a tiny negative sum where the covariates explain everything.
  return { n: group.n, mean, m2: Math.max(0, m2) };
}

/** Gaussian elimination with partial pivoting; null when the matrix is (numerically) singular. */
export function solve(matrix: readonly (readonly number[])[], rhs: readonly number[]): number[] | null {
  const n = rhs.length;
  const a = matrix.map((row, i) => [...row, rhs[i]!]);
  const scale = Math.max(...matrix.map((row, i) => Math.abs(row[i]!)), 0);
  if (!(scale > 0)) return null;
  for (let c = 0; c < n; c++) {
    let pivot = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(a[r]![c]!) > Math.abs(a[pivot]![c]!)) pivot = r;
    if (Math.abs(a[pivot]![c]!) <= 1e-12 * scale) return null;
    [a[c], a[pivot]] = [a[pivot]!, a[c]!];
    for (let r = c + 1; r < n; r++) {
      const f = a[r]![c]! / a[c]![c]!;
      for (let k = c; k <= n; k++) a[r]![k]! -= f * a[c]![k]!;
    }
  }
  const x = new Array<number>(n).fill(0);
  for (let r = n - 1; r >= 0; r--) {
    let s = a[r]![n]!;
    for (let k = r + 1; k < n; k++) s -= a[r]![k]! * x[k]!;
    x[r] = s / a[r]![r]!;
  }
  return x;
}
