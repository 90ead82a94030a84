import { liftPosterior } from './lift-posterior';

// Reference: tools/reference/experiments_reference.py ("lift posterior ..."): the precision-weighted
// update with numpy, chance with scipy.stats.norm.cdf, risks with scipy.integrate.quad.
const near = (a: number, b: number, rel: number) => expect(Math.abs(a - b)).toBeLessThanOrEqual(rel * Math.abs(b));

describe('posterior of the relative lift', () => {
  it('a proper Normal prior shrinks the estimate toward its mean (GrowthBook-style; 1e-12, quad 1e-9)', () => {
    const p = liftPosterior(0.08, 0.03 ** 2, { mean: 0, variance: 0.05 ** 2 });
    near(p.mean, 0.05882352941176471, 1e-13);
    near(p.sd, 0.025724787771376326, 1e-13);
    near(p.chanceToBeatControl, 0.988891805643326, 1e-12);
    near(p.risk, 9.794265930141727e-5, 1e-9);
    near(p.riskOfControl, 0.058921472071066135, 1e-9);
  });

  it('the improper default is the likelihood itself', () => {
    const p = liftPosterior(0.08, 0.03 ** 2, null);
    expect(p.mean).toBe(0.08);
    near(p.chanceToBeatControl, 0.9961696194324102, 1e-12);
    near(p.risk, 3.5449135306744344e-5, 1e-9);
    near(p.interval.upper - p.interval.lower, 2 * 1.959963984540054 * 0.03, 1e-12);
  });
});
