import { twoProportionZTest, welchTTest } from './frequentist';
import { adjustPValues, benjaminiHochbergAdjust, bonferroniAdjust, holmAdjust } from './multiple-comparisons';
import { sampleSizeForMeans, sampleSizeForProportions } from './sample-size';
import { sampleRatioMismatch, sampleRatioMismatchByPeriod } from './srm';

// Reference values: tools/reference/experiments_reference.py (scipy 1.17.1).
const near = (a: number, b: number, tol: number) => expect(Math.abs(a - b)).toBeLessThanOrEqual(tol);

describe('two-proportion z-test', () => {
  const r = twoProportionZTest({ conversions: 100, units: 1000 }, { conversions: 125, units: 1000 });

  it('statistic and p-value match scipy chi2_contingency without correction (z² = χ²; 1e-12)', () => {
    near(r.statistic, 1.7691496414475842, 1e-12);
    near(r.pValue, 0.07686890551569003, 1e-12);
  });

  it('difference interval is the Wald interval (1e-12) and the lift interval scipy relative_risk − 1 (1e-10)', () => {
    near(r.differenceInterval.lower, -0.0026747331039685303, 1e-12);
    near(r.differenceInterval.upper, 0.052674733103968516, 1e-12);
    near(r.lift!, 0.25, 1e-12);
    near(r.liftInterval!.lower, -0.024470093334345244, 1e-10);
    near(r.liftInterval!.upper, 0.6016935916814683, 1e-10);
  });
});

describe("Welch's t-test", () => {
  // Summary statistics of the samples the script drew (numpy, seed 20251125).
  const control = { units: 400, mean: 419.0125, variance: 218090.12766290727 };
  const variant = { units: 380, mean: 437.16315789473686, variance: 345761.2345229829 };
  const r = welchTTest(control, variant);

  it('t, p and df match scipy.stats.ttest_ind(equal_var=False) (1e-10)', () => {
    near(r.statistic, 0.47581975945142163, 1e-10);
    near(r.pValue, 0.6343465711027367, 1e-10);
    near(r.degreesOfFreedom!, 722.7775251033701, 1e-8);
  });

  it('difference interval matches scipy confidence_interval(0.95) (1e-8), lift interval the delta method (1e-10)', () => {
    near(r.differenceInterval.lower, -56.739689988405885, 1e-8);
    near(r.differenceInterval.upper, 93.04100577787962, 1e-8);
    near(r.liftInterval!.lower, -0.1380482738024937, 1e-10);
    near(r.liftInterval!.upper, 0.22468367439191203, 1e-10);
  });
});

describe('sample ratio mismatch', () => {
  it('matches scipy.stats.chisquare for two and three variants (1e-12) and flags p < 0.001 only', () => {
    const two = sampleRatioMismatch([5000, 5210], [50, 50]);
    near(two.chiSquare, 4.319294809010774, 1e-12);
    near(two.pValue, 0.037682535473058755, 1e-12);
    expect(two.flagged).toBe(false);
    const three = sampleRatioMismatch([10000, 5000, 5300], [50, 25, 25]);
    near(three.chiSquare, 13.300492610837438, 1e-10);
    near(three.pValue, 0.0012937034200579123, 1e-12);
    expect(three.flagged).toBe(false);
    expect(sampleRatioMismatch([10000, 5000, 5600], [50, 25, 25]).flagged).toBe(true);
  });

  it('fires only once every arm is expected to hold the minimum, an empty arm included', () => {
    expect(sampleRatioMismatch([40, 0], [50, 50], undefined, 50)).toMatchObject({ checked: false, flagged: false });
    expect(sampleRatioMismatch([100, 0], [50, 50], undefined, 50)).toMatchObject({ checked: true, flagged: true });
  });

  it('with weights that changed over time (a bandit), expects Σ N_p w_p per arm: scipy chisquare (1e-12)', () => {
    const r = sampleRatioMismatchByPeriod(
      [700, 520, 280],
      [
        { units: 600, weights: [1, 1, 1] },
        { units: 900, weights: [0.5, 0.3, 0.2] },
      ],
    );
    r.expected.forEach((e, i) => near(e, [650, 470, 380][i]!, 1e-9));
    near(r.chiSquare, 35.48109225600827, 1e-10);
    near(r.pValue, 1.974143465538636e-8, 1e-18);
    expect(r.flagged).toBe(true);
  });
});

describe('sample size', () => {
  it('matches the Fleiss formula evaluated with scipy quantiles (exact integers)', () => {
    expect(sampleSizeForProportions(0.1, 0.1)).toBe(14751);
    expect(sampleSizeForProportions(0.03, 0.2, 0.01, 0.9)).toBe(26377);
    // scipy.stats.nct gives a power of 0.79989 at this n for the equivalent t-test.
    expect(sampleSizeForMeans(1500, 100)).toBe(3532);
  });

  it('shrinks by the CUPED variance reduction: n·(1 − r) (exact integers)', () => {
    expect(sampleSizeForProportions(0.1, 0.1, 0.05, 0.8, 0.3)).toBe(10326);
    expect(sampleSizeForMeans(1500, 100, 0.05, 0.8, 0.45)).toBe(1943);
    expect(() => sampleSizeForMeans(1500, 100, 0.05, 0.8, 1)).toThrow(RangeError);
  });

  it('refuses a lift that leaves the rate range', () => {
    expect(() => sampleSizeForProportions(0.9, 0.5)).toThrow(RangeError);
  });
});

describe('multiple comparisons', () => {
  it('Holm matches the step-down written out in the script; Bonferroni multiplies by m', () => {
    expect(holmAdjust([0.01, 0.04, 0.03, 0.005]).map((p) => +p.toFixed(12))).toEqual([0.03, 0.06, 0.06, 0.02]);
    expect(bonferroniAdjust([0.01, 0.04, 0.3])).toEqual([0.03, 0.12, 0.8999999999999999]);
  });

  it('Benjamini–Hochberg matches scipy.stats.false_discovery_control(method="bh") (1e-15)', () => {
    const bh = benjaminiHochbergAdjust([0.01, 0.04, 0.03, 0.005, 0.2, 0.041]);
    [0.03, 0.0492, 0.0492, 0.03, 0.2, 0.0492].forEach((ref, i) => near(bh[i]!, ref, 1e-15));
    expect(adjustPValues([0.01, 0.04], 'none')).toEqual([0.01, 0.04]);
    expect(adjustPValues([0.01, 0.04], 'holm')).toEqual(holmAdjust([0.01, 0.04]));
  });
});
