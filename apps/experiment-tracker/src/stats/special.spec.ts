import { chiSquareSf, incompleteBeta, normalCdf, normalQuantile, studentTCdf, studentTQuantile } from './special';

// Reference values: tools/reference/experiments_reference.py (scipy 1.17.1). Tolerance: 1e-12
// relative unless stated (the functions are accurate to ≈ 1e-14; the margin covers platform libm).
const close = (actual: number, expected: number, rel = 1e-12) =>
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(rel * Math.max(Math.abs(expected), 1e-300));

describe('special functions against scipy', () => {
  it('regularized incomplete beta matches scipy.special.betainc', () => {
    close(incompleteBeta(0.3, 2, 5), 0.5798250000000003);
    close(incompleteBeta(0.05, 120.5, 2400.5), 0.7049768079007726, 1e-11);
    close(incompleteBeta(0.9, 0.5, 0.5), 0.7951672353008665);
    close(incompleteBeta(0.5, 1000, 1001), 0.5089195055729272, 1e-11);
    close(incompleteBeta(0.001, 3, 0.7), 5.356205501935569e-10, 1e-11);
  });

  it('normal CDF matches scipy.stats.norm.cdf, deep tail included', () => {
    close(normalCdf(-7.5), 3.1908916729108844e-14, 1e-11);
    close(normalCdf(-1), 0.15865525393145707);
    close(normalCdf(1.959963984540054), 0.975);
    close(normalCdf(3.2), 0.9993128620620841);
  });

  it('normal quantile matches scipy.stats.norm.ppf', () => {
    close(normalQuantile(1e-10), -6.361340902404056);
    close(normalQuantile(0.025), -1.9599639845400545);
    expect(normalQuantile(0.5)).toBeCloseTo(0, 15);
    close(normalQuantile(0.975), 1.959963984540054);
    close(normalQuantile(0.999999), 4.753424308817087, 1e-11);
  });

  it('Student t CDF and quantile match scipy.stats.t (fractional df included)', () => {
    close(studentTCdf(2.1, 7.3), 0.9638766432875733);
    close(studentTCdf(-0.4, 3), 0.35796757698718507);
    close(studentTCdf(12, 40), 0.9999999999999961);
    close(studentTQuantile(0.975, 12.7), 2.165567731368725, 1e-11);
    close(studentTQuantile(0.995, 3), 5.840909309733355, 1e-11);
    close(studentTQuantile(0.9, 1000), 1.2823987214609247, 1e-11);
    // Welch's degrees of freedom at tens of thousands of units (fractional).
    close(studentTQuantile(0.975, 40000.5), 1.9600232923435432, 1e-11);
    close(studentTQuantile(0.995, 19999.3), 2.5760751616230606, 1e-11);
    close(studentTQuantile(0.025, 250.25), -1.9694888231398109, 1e-11);
  });

  it('chi-square upper tail matches scipy.stats.chi2.sf', () => {
    close(chiSquareSf(15.2, 2), 0.0005004514334406107);
    close(chiSquareSf(3.1, 1), 0.07829229414640966);
    close(chiSquareSf(40, 10), 1.694474393006737e-5, 1e-11);
    close(chiSquareSf(0.5, 3), 0.9188914116546758);
  });
});
