import { twoProportionZTest } from './frequentist';
import { Rng } from './rng';
import { alwaysValid, defaultTauSquared, msprtPValue } from './sequential';

describe('mixture SPRT always-valid p-value', () => {
  it('matches the closed form evaluated with numpy in the reference script (1e-12)', () => {
    const pc = 0.1;
    const pv = 0.125;
    const variance = (pc * (1 - pc)) / 1000 + (pv * (1 - pv)) / 1000;
    const p = msprtPValue(0.025, variance, defaultTauSquared(0.1125 * 0.8875));
    expect(Math.abs(p - 0.663667852627985)).toBeLessThan(1e-12);
  });

  it('never increases across looks', () => {
    expect(alwaysValid(0.2, 0.5)).toBe(0.2);
    expect(alwaysValid(0.2, 0.1)).toBe(0.1);
    expect(alwaysValid(null, 0.7)).toBe(0.7);
  });

  // Property check by simulation (seeded): 400 A/A tests with a 10% conversion rate, looked at
  // after every 100 units per arm up to 5,000. Peeking at a fixed-horizon z-test rejects far more
  // often than α = 5%; the always-valid p-value stays within α (plus 2.5 points of Monte Carlo slack).
  it('keeps the false positive rate under α when results are checked at every look, where the z-test does not', () => {
    const rng = new Rng('aa-tests');
    const runs = 400;
    let msprtRejects = 0;
    let naiveRejects = 0;
    for (let r = 0; r < runs; r++) {
      let xc = 0;
      let xv = 0;
      let pAlways = 1;
      let naive = false;
      for (let n = 1; n <= 5000; n++) {
        if (rng.uniform() < 0.1) xc++;
        if (rng.uniform() < 0.1) xv++;
        if (n % 100 !== 0) continue;
        const pc = xc / n;
        const pv = xv / n;
        const pooled = (xc + xv) / (2 * n);
        const variance = (pc * (1 - pc) + pv * (1 - pv)) / n;
        pAlways = alwaysValid(pAlways, msprtPValue(pv - pc, variance, defaultTauSquared(pooled * (1 - pooled))));
        if (twoProportionZTest({ conversions: xc, units: n }, { conversions: xv, units: n }).pValue < 0.05)
          naive = true;
      }
      if (pAlways < 0.05) msprtRejects++;
      if (naive) naiveRejects++;
    }
    expect(msprtRejects / runs).toBeLessThanOrEqual(0.075);
    expect(naiveRejects / runs).toBeGreaterThan(0.15);
  });
});
