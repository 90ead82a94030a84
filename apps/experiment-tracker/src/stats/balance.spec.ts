import { covariateBalance } from './balance';
import { momentsOf } from './moments';
import { referenceSample } from './reference-sample';
import { fDistributionSf } from './special';

// Reference: tools/reference/experiments_reference.py: scipy.stats.f_oneway on the arms' pre-period
// values of reference_sample(20), and scipy.stats.f.sf.
const near = (a: number, b: number, rel: number) => expect(Math.abs(a - b)).toBeLessThanOrEqual(rel * Math.abs(b));

describe('pre-exposure covariate balance', () => {
  const units = referenceSample();
  const arm = (a: string, shift = 0) => {
    const m = momentsOf(units.filter((u) => u.arm === a).map((u) => [u.pre + shift]));
    return { n: m.n, mean: m.mean[0]!, m2: m.m2[0]![0]! };
  };

  it('F and p match scipy.stats.f_oneway (1e-10), and a balanced covariate is not flagged', () => {
    const r = covariateBalance([arm('control'), arm('b'), arm('c')])!;
    near(r.fStatistic, 2.6776959176553192, 1e-10);
    near(r.pValue, 0.06914354012710291, 1e-10);
    expect(r.degreesOfFreedom).toEqual([2, 1167]);
    expect(r.flagged).toBe(false);
  });

  it('flags an arm whose covariate was shifted (p = 8.9e-12 in scipy)', () => {
    const r = covariateBalance([arm('control'), arm('b', 600), arm('c')])!;
    near(r.fStatistic, 26.005486580528657, 1e-10);
    near(r.pValue, 8.920745256326194e-12, 1e-8);
    expect(r.flagged).toBe(true);
  });

  it('F upper tail matches scipy.stats.f.sf (1e-12)', () => {
    near(fDistributionSf(3.2, 2, 1167), 0.04112013750957952, 1e-12);
    near(fDistributionSf(0.7, 4, 20), 0.601008136998248, 1e-12);
    near(fDistributionSf(12.5, 1, 50), 0.0008877132958062331, 1e-11);
  });
});
