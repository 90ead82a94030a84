import { chanceToBeBest } from '../stats/bayesian';
import { betaPosterior } from '../stats/posterior';
import { topTwoThompsonWeights } from './top-two-thompson';

// Reference: tools/reference/experiments_reference.py ("ttts ..."): ψ from the chances to be best of
// Beta(101, 901), Beta(126, 876), Beta(116, 886) computed with scipy quad, and a simulation of the
// rule itself (2e6 units, redrawing until the top arm differs) as an independent check.
const near = (a: number, b: number, tol: number) => expect(Math.abs(a - b)).toBeLessThanOrEqual(tol);

describe('top-two Thompson sampling weights', () => {
  const chances = chanceToBeBest([betaPosterior(100, 1000), betaPosterior(125, 1000), betaPosterior(115, 1000)]);

  it("match ψ_i = α_i(β + (1 − β)Σ α_j/(1 − α_j)) (1e-8, from the chances' own tolerance) and the simulated rule (2e-3)", () => {
    const w = topTwoThompsonWeights(chances, 0.5);
    [0.041402209917452026, 0.4944554297247964, 0.464142360369944].forEach((ref, i) => near(w[i]!, ref, 1e-8));
    [0.04156, 0.494134, 0.464306].forEach((ref, i) => near(w[i]!, ref, 2e-3));
    expect(w.reduce((s, x) => s + x, 0)).toBeCloseTo(1, 12);
  });

  it('keeps every arm at the minimum weight (1e-8)', () => {
    const w = topTwoThompsonWeights(chances, 0.5, 0.1);
    [0.12898154694221642, 0.44611880080735744, 0.42489965225896076].forEach((ref, i) => near(w[i]!, ref, 1e-8));
    // An arm that is never best nor challenger keeps only its floor.
    topTwoThompsonWeights([0.98, 0.02, 0], 0.5, 0.05).forEach((w, i) =>
      expect(w).toBeCloseTo([0.475, 0.475, 0.05][i]!, 12),
    );
    // A certain leader keeps β of the traffic (plus its floor); the challengers share the rest evenly.
    topTwoThompsonWeights([1, 0, 0], 0.5, 0.05).forEach((w, i) =>
      expect(w).toBeCloseTo([0.475, 0.2625, 0.2625][i]!, 12),
    );
    expect(() => topTwoThompsonWeights([0.5, 0.5], 0.5, 0.6)).toThrow(RangeError);
  });

  it('β = 1 is plain Thompson sampling (weights = chances to be best)', () => {
    topTwoThompsonWeights(chances, 1).forEach((w, i) => near(w, chances[i]!, 1e-15));
  });
});
