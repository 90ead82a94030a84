import { adjustGroup, cupedTheta } from './cuped';
import { welchTTest } from './frequentist';
import { mergeAll, mergeMoments, momentsOf, project } from './moments';
import { groupStrata, postStratifiedMean } from './post-stratification';
import { referenceSample } from './reference-sample';

// Reference values: tools/reference/experiments_reference.py, "issue 20" (numpy 2.4, scipy 1.17),
// computed from the raw per-unit arrays of reference_sample(20), which reference-sample.ts reproduces.
const near = (actual: number, expected: number, rel: number) =>
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(rel * Math.max(Math.abs(expected), 1e-300));

const units = referenceSample();
const ARMS = ['control', 'b', 'c'] as const;
const arms = ARMS.map((a) => momentsOf(units.filter((u) => u.arm === a).map((u) => [u.y, u.pre, u.cov])));
const pooled = mergeAll(arms, 3);

describe('moments of [metric, covariates]', () => {
  it('match numpy means and numpy.cov(ddof=0)·n per arm (1e-12 relative)', () => {
    near(arms[0]!.mean[0]!, 4217.8925, 1e-14);
    near(arms[0]!.mean[1]!, 2305.95, 1e-14);
    near(arms[0]!.m2[0]![0]!, 10694266434.377518, 1e-12);
    near(arms[0]!.m2[0]![1]!, 554241895.8500001, 1e-12);
    near(arms[0]!.m2[2]![1]!, -1400497.15, 1e-12);
    near(arms[2]!.m2[0]![2]!, 6759868.564102562, 1e-12);
  });

  it('merge exactly: the pooled moments equal the moments of every unit at once (1e-12)', () => {
    const direct = momentsOf(units.map((u) => [u.y, u.pre, u.cov]));
    expect(pooled.n).toBe(1170);
    for (let a = 0; a < 3; a++) {
      near(pooled.mean[a]!, direct.mean[a]!, 1e-13);
      for (let b = 0; b < 3; b++) near(pooled.m2[a]![b]!, direct.m2[a]![b]!, 1e-12);
    }
    expect(
      mergeMoments(arms[0]!, {
        n: 0,
        mean: [0, 0, 0],
        m2: [
          [0, 0, 0],
          [0, 0, 0],
          [0, 0, 0],
        ],
      }),
    ).toEqual(arms[0]);
  });
});

describe('CUPED', () => {
  it('θ is cov(Y, X)/var(X) for one covariate and the least-squares solution for two (numpy lstsq, 1e-10)', () => {
    near(cupedTheta(project(pooled, [0, 1]))[0]!, 0.8622952496603894, 1e-10);
    const theta = cupedTheta(pooled);
    near(theta[0]!, 0.8711797456790109, 1e-10);
    near(theta[1]!, 14.168639225937534, 1e-10);
  });

  it('drops a covariate without spread, and one collinear with another', () => {
    const flat = { ...pooled, m2: pooled.m2.map((r, i) => r.map((v, j) => (i === 2 || j === 2 ? 0 : v))) };
    expect(cupedTheta(flat)[1]).toBe(0);
    const twin = {
      n: 10,
      mean: [1, 2, 2],
      m2: [
        [4, 2, 2],
        [2, 1, 1],
        [2, 1, 1],
      ],
    };
    expect(cupedTheta(twin)).toEqual([2, 0]);
  });

  it('adjusted means and variances equal numpy on Y − θᵀ(X − X̄), and Welch on them matches scipy ttest_ind (1e-9)', () => {
    const theta = cupedTheta(pooled);
    const adjusted = arms.map((m) => adjustGroup(m, theta, pooled.mean.slice(1)));
    const ref = [
      [4316.34382486314, 26153320.932331976],
      [5278.918917925957, 106876598.57970491],
      [6690.105849340718, 250446825.01726574],
    ];
    adjusted.forEach((a, i) => {
      near(a.mean, ref[i]![0]!, 1e-12);
      near(a.m2 / (a.n - 1), ref[i]![1]!, 1e-10);
    });
    const summary = (i: number) => ({
      units: adjusted[i]!.n,
      mean: adjusted[i]!.mean,
      variance: adjusted[i]!.m2 / (adjusted[i]!.n - 1),
    });
    const t = welchTTest(summary(0), summary(1));
    near(t.statistic, 1.6349212639491957, 1e-9);
    near(t.pValue, 0.10264024267577743, 1e-9);
    near(t.degreesOfFreedom!, 547.585210872007, 1e-9);
    near(t.differenceInterval.lower, -193.92812197782905, 1e-9);
    near(t.differenceInterval.upper, 2119.0783081034638, 1e-9);
    // 1 − Σ Var(adjusted mean) / Σ Var(plain mean).
    const plain = arms.reduce((s, m) => s + m.m2[0]![0]! / (m.n - 1) / m.n, 0);
    const cuped = adjusted.reduce((s, a) => s + a.m2 / (a.n - 1) / a.n, 0);
    near(1 - cuped / plain, 0.012202561760576325, 1e-9);
  });
});

describe('post-stratification', () => {
  it('matches Σ w_s ȳ_s and Σ w_s² s²_s/n_s computed with numpy on the CUPED-adjusted values (1e-10)', () => {
    const theta = cupedTheta(pooled);
    const cells = ARMS.map((a) =>
      [0, 1, 2].map((s) =>
        momentsOf(units.filter((u) => u.arm === a && u.stratum === s).map((u) => [u.y, u.pre, u.cov])),
      ),
    );
    const weights = [0, 1, 2].map((s) => units.filter((u) => u.stratum === s).length / units.length);
    near(weights[0]!, 0.34444444444444444, 1e-15);
    const ref = [
      [4314.9876329900035, 58701.323036094065],
      [5251.979045625652, 279246.4820970585],
      [6786.074568729814, 689754.3321024138],
    ];
    cells.forEach((strata, i) => {
      const r = postStratifiedMean(
        strata.map((m) => adjustGroup(m, theta, pooled.mean.slice(1))),
        weights,
      );
      near(r.mean, ref[i]![0]!, 1e-12);
      near(r.varianceOfMean, ref[i]![1]!, 1e-10);
    });
  });

  it('pools strata too small in any arm, and gives up when fewer than two groups remain', () => {
    expect(
      groupStrata(
        [
          [50, 40],
          [6, 30],
          [5, 20],
          [60, 70],
        ],
        10,
      ),
    ).toEqual({ groupOf: [0, 2, 2, 1], groups: 3 });
    // The small strata together are still short: they join the largest stratum.
    expect(
      groupStrata(
        [
          [50, 40],
          [3, 3],
          [60, 70],
        ],
        10,
      ),
    ).toEqual({ groupOf: [0, 1, 1], groups: 2 });
    expect(
      groupStrata(
        [
          [50, 40],
          [3, 3],
        ],
        10,
      ),
    ).toBeNull();
    expect(() => postStratifiedMean([{ n: 1, mean: 1, m2: 0 }], [1])).toThrow(RangeError);
  });
});
