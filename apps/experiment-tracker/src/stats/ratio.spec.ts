import { momentsOf } from './moments';
import { ratioSummary } from './ratio';
import { referenceSample } from './reference-sample';

// Reference: tools/reference/experiments_reference.py ("ratio ... (R, Var R)"): the delta method
// evaluated with numpy.cov on the raw arrays of reference_sample(20); a 20,000-resample bootstrap of
// the control's ratio gives a variance of 33,777 against the delta method's 33,287 (1.5% apart).
describe('ratio metrics (delta method)', () => {
  const units = referenceSample();
  const ref: Record<string, [number, number]> = {
    control: [2656.940157480315, 33287.20543020303],
    b: [3553.9646017699115, 156809.40604382925],
    c: [4734.384615384615, 344082.1264113471],
  };
  it.each(Object.keys(ref))('%s: R = Σy/Σorders and Var(R) match numpy (1e-12, 1e-10)', (arm) => {
    const s = ratioSummary(momentsOf(units.filter((u) => u.arm === arm).map((u) => [u.y, u.orders])))!;
    expect(Math.abs(s.mean - ref[arm]![0]) / ref[arm]![0]).toBeLessThan(1e-12);
    expect(Math.abs(s.variance / s.units - ref[arm]![1]) / ref[arm]![1]).toBeLessThan(1e-10);
  });

  it('is undefined without a denominator yet', () => {
    expect(
      ratioSummary(
        momentsOf([
          [10, 0],
          [20, 0],
        ]),
      ),
    ).toBeNull();
  });
});
