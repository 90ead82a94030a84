import { chanceToBeBest, expectedLoss, probabilityGreater, probabilityWorseBy } from './bayesian';
import { betaPosterior, normalPosterior } from './posterior';

// Reference values: tools/reference/experiments_reference.py (scipy 1.17.1, numpy 2.4.6).
// Control A 100/1000, variant B 125/1000, variant C 115/1000, uniform Beta(1, 1) prior.
const A = betaPosterior(100, 1000);
const B = betaPosterior(125, 1000);
const C = betaPosterior(115, 1000);

describe('Beta-Binomial posteriors', () => {
  it('updates a uniform prior to Beta(1 + x, 1 + n − x)', () => {
    expect([A.alpha, A.beta]).toEqual([101, 901]);
    expect(A.mean).toBeCloseTo(101 / 1002, 15);
  });

  it('chance to beat control matches scipy quad of beta.pdf(B)·beta.cdf(A) (tolerance 1e-9)', () => {
    expect(Math.abs(probabilityGreater(B, A) - 0.9613611874610446)).toBeLessThan(1e-9);
    expect(Math.abs(probabilityGreater(A, B) - (1 - 0.9613611874610446))).toBeLessThan(1e-9);
  });

  it('expected loss matches scipy dblquad of the joint density (tolerance 1e-9 absolute)', () => {
    // E[max(A − B, 0)]: the risk of shipping B. Monte Carlo (2e7 draws) gave 2.19797e-4 ± 3.3e-7.
    expect(Math.abs(expectedLoss(B, A) - 0.0002198183221684917)).toBeLessThan(1e-9);
    // E[max(B − A, 0)]: the risk of keeping A.
    expect(Math.abs(expectedLoss(A, B) - 0.025169918122567646)).toBeLessThan(1e-9);
  });

  it('chance to be best of three matches scipy quad of pdf_k·Π cdf_j (tolerance 1e-8)', () => {
    const best = chanceToBeBest([A, B, C]);
    [0.019843316568423607, 0.7408160349554577, 0.2393406484808143].forEach((ref, i) =>
      expect(Math.abs(best[i]! - ref)).toBeLessThan(1e-8),
    );
    expect(best.reduce((s, p) => s + p, 0)).toBeCloseTo(1, 12);
  });

  it('guardrail probability P(G < 0.9·A) matches scipy quad (tolerance 1e-9)', () => {
    expect(Math.abs(probabilityWorseBy(betaPosterior(80, 1000), A, 0.1) - 0.7928760635159399)).toBeLessThan(1e-9);
  });
});

describe('Normal model for revenue per unit', () => {
  // Control n 2000, mean 520, sd 1500; variant n 2100, mean 610, sd 1600 (minor units per unit).
  const c = normalPosterior(2000, 520, 1500 ** 2);
  const v = normalPosterior(2100, 610, 1600 ** 2);

  it('posterior of the mean is Normal(m, s²/n)', () => {
    expect(c.sd).toBeCloseTo(1500 / Math.sqrt(2000), 12);
  });

  it('chance to beat control matches scipy.stats.norm.cdf (1e-12)', () => {
    expect(Math.abs(probabilityGreater(v, c) - 0.9684803341644906)).toBeLessThan(1e-12);
  });

  it('expected loss matches scipy quad of −t·pdf_D(t) (1e-7 relative)', () => {
    // Monte Carlo, 2e7 draws: 0.5933 ± 0.0010.
    expect(Math.abs(expectedLoss(v, c) - 0.5950753595190628) / 0.595).toBeLessThan(1e-7);
  });

  it('chance to be best of three matches scipy quad over [0, 1200] (1e-10)', () => {
    const best = chanceToBeBest([c, v, normalPosterior(2, 500, 2 * 30 ** 2)]);
    [0.030481983016563897, 0.9628447440476894, 0.006673272935746944].forEach((ref, i) =>
      expect(Math.abs(best[i]! - ref)).toBeLessThan(1e-10),
    );
  });
});
