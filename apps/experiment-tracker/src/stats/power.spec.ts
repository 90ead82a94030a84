import { midExperimentPower } from './power';

// Reference: tools/reference/experiments_reference.py ("power ..."): gbstats' mid-experiment power
// evaluated with scipy.stats.norm; 4e6 simulated final estimates give 0.51596 for the first (1e-3).
const base = { variance: 0.0025, units: 1000, scaling: 3, effect: 0.05, alpha: 0.05 };
const near = (a: number, b: number, tol: number) => expect(Math.abs(a - b)).toBeLessThanOrEqual(tol);

describe('mid-experiment power', () => {
  it('fixed horizon, with and without a Bonferroni level for 6 tests (1e-12)', () => {
    near(midExperimentPower(base), 0.5160052739761749, 1e-12);
    near(midExperimentPower({ ...base, tests: 6 }), 0.26165486686741435, 1e-12);
    near(midExperimentPower(base), 0.51595575, 1e-3);
  });

  it('with the confidence sequence half-width, and with a proper prior (1e-12)', () => {
    near(midExperimentPower({ ...base, sequentialTuning: 5000 }), 0.14908338722734527, 1e-12);
    near(midExperimentPower({ ...base, prior: { mean: 0, variance: 0.01 } }), 0.4919372212450246, 1e-12);
  });

  it('grows with the data still to come', () => {
    expect(midExperimentPower({ ...base, scaling: 10 })).toBeGreaterThan(midExperimentPower(base));
    expect(midExperimentPower({ ...base, scaling: 0 })).toBeLessThan(midExperimentPower(base));
  });
});
