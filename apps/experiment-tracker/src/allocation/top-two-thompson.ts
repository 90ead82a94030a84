/**
 * Traffic weights for a bandit: top-two Thompson sampling (Russo, "Simple Bayesian Algorithms for
 * Best-Arm Identification", Operations Research 68(6), 2020). Each new unit would go, with
 * probability β, to the arm a posterior draw ranks first, and otherwise to the arm ranked first by
 * fresh draws that disagree with the first; with α_i the chance arm i is best, the share of arm i is
 *   ψ_i = α_i (β + (1 − β) Σ_{j≠i} α_j / (1 − α_j)),
 * computed here from the exact chances to be best (no sampling noise). Plain Thompson sampling
 * (β = 1) piles nearly all traffic on the leader and starves the runner-up; the top-two rule keeps
 * measuring the closest challenger, which is what identifying the best arm needs.
 *
 * Guards: every arm keeps at least `minWeight` of the traffic, ψ'_i = m + (1 − k·m) ψ_i (so no arm
 * is ever abandoned on early noise and every weight stays ≥ m while the shares still sum to 1).
 * When one arm's chance to be best is 1 to within 1e-12, the second pick is spread evenly over the
 * others (their ratio is then below what double precision resolves).
 */
export function topTwoThompsonWeights(chanceToBeBest: readonly number[], beta = 0.5, minWeight = 0): number[] {
  const k = chanceToBeBest.length;
  if (k < 2) return chanceToBeBest.map(() => 1);
  if (!(minWeight >= 0 && minWeight * k <= 1)) throw new RangeError('minWeight must be in [0, 1/k]');
  const total = chanceToBeBest.reduce((s, a) => s + a, 0);
  const alpha = chanceToBeBest.map((a) => a / total);
  const psi = new Array<number>(k).fill(0);
  for (let j = 0; j < k; j++) {
    const first = alpha[j]!;
    psi[j]! += beta * first;
    const rest = 1 - first;
    for (let i = 0; i < k; i++) {
      if (i === j) continue;
      // Given j was drawn first, the challenger is i with probability α_i / (1 − α_j).
      const second = rest > 1e-12 ? alpha[i]! / rest : 1 / (k - 1);
      psi[i]! += (1 - beta) * first * second;
    }
  }
  const sum = psi.reduce((s, p) => s + p, 0);
  return psi.map((p) => minWeight + (1 - k * minWeight) * (p / sum));
}
