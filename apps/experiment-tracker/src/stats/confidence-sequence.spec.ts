import { csHalfwidth, csPValue, csRho } from './confidence-sequence';
import { Rng } from './rng';

// Reference: tools/reference/experiments_reference.py ("cs ..."): the closed forms of Waudby-Smith
// et al. (arXiv:2103.06476v7 eqs. 9, 155; ρ of §B.2) as gbstats evaluates them, with numpy.
const near = (a: number, b: number, rel: number) => expect(Math.abs(a - b)).toBeLessThanOrEqual(rel * Math.abs(b));

describe('asymptotic confidence sequences', () => {
  it('ρ and the half-width match the closed form (1e-12)', () => {
    near(csRho(0.05, 5000), 0.03984006677137368, 1e-13);
    near(csHalfwidth(4, 1000, 0.05, 5000), 6.727775451565562, 1e-12);
    near(csHalfwidth(0.25, 20000, 0.05, 5000), 1.5635570718439953, 1e-12);
    near(csHalfwidth(1e-4, 800, 0.05, 5000), 0.03489293426681844, 1e-12);
  });

  it('the p-value matches eq. 155 (1e-12) and is where the sequence just reaches 0 (scipy brentq: 1e-9)', () => {
    const rho = csRho(0.05, 5000);
    near(csPValue(0.3, 0.01, 2000, rho), 0.06670175521542619, 1e-12);
    near(csPValue(0.3, 0.01, 2000, rho), 0.06670175521542664, 1e-9);
    expect(csPValue(0, 0.01, 2000, rho)).toBe(1);
  });

  it('is wider than the fixed-horizon interval (the price of looking at every unit)', () => {
    expect(csHalfwidth(4, 1000, 0.05, 5000)).toBeGreaterThan(1.959963984540054 * 2);
  });

  // Property check by simulation (seeded): 300 A/A tests of normal data looked at after every 50
  // units per arm up to 3,000. A 95% sequence must exclude 0 at any look in at most α of them (plus
  // 2.5 points of Monte Carlo slack); the script's 2,000-run simulation found 1.8%.
  it('excludes 0 at some look in at most α of A/A tests, however often it is read', () => {
    const rng = new Rng('cs-aa');
    const runs = 300;
    let misses = 0;
    for (let r = 0; r < runs; r++) {
      let [sa, sb, qa, qb] = [0, 0, 0, 0];
      for (let n = 1; n <= 3000; n++) {
        const a = rng.normal();
        const b = rng.normal();
        sa += a;
        sb += b;
        qa += a * a;
        qb += b * b;
        if (n % 50 !== 0) continue;
        const va = (qa - (sa * sa) / n) / (n - 1);
        const vb = (qb - (sb * sb) / n) / (n - 1);
        const v = va / n + vb / n;
        if (Math.abs(sb / n - sa / n) > csHalfwidth(v, 2 * n, 0.05, 5000)) {
          misses++;
          break;
        }
      }
    }
    expect(misses / runs).toBeLessThanOrEqual(0.075);
  });
});
