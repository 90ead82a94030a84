/**
 * Composite Gauss–Legendre quadrature (20 points per panel). Posterior densities are smooth
 * peaks, so callers integrate over the window where the mass is (mean ± 12 sd) and pass the
 * places where the integrand bends — the other posteriors' means and standard deviations — as
 * breakpoints: a narrow CDF step inside a wide density then gets panels of its own.
 * Nodes and weights: Golub–Welsch by Newton iteration on P₂₀ (Press et al., NR 3rd ed. §4.6).
 */
const ORDER = 20;
const { nodes: NODES, weights: WEIGHTS } = legendre(ORDER);

export function integrate(
  f: (x: number) => number,
  a: number,
  b: number,
  breakpoints: readonly number[] = [],
  minPanels = 24,
): number {
  if (!(b > a)) return 0;
  const cuts = new Set<number>();
  for (let i = 0; i <= minPanels; i++) cuts.add(a + ((b - a) * i) / minPanels);
  for (const p of breakpoints) if (p > a && p < b) cuts.add(p);
  const edges = [...cuts].sort((x, y) => x - y);
  let total = 0;
  for (let i = 0; i + 1 < edges.length; i++) {
    const lo = edges[i]!;
    const hi = edges[i + 1]!;
    const half = (hi - lo) / 2;
    const mid = (hi + lo) / 2;
    let s = 0;
    for (let k = 0; k < ORDER; k++) s += WEIGHTS[k]! * f(mid + half * NODES[k]!);
    total += s * half;
  }
  return total;
}

function legendre(n: number): { nodes: number[]; weights: number[] } {
  const nodes = new Array<number>(n);
  const weights = new Array<number>(n);
  for (let i = 0; i < Math.ceil(n / 2); i++) {
    let z = Math.cos((Math.PI * (i + 0.75)) / (n + 0.5));
    let dp = 0;
    for (let iter = 0; iter < 100; iter++) {
      let p1 = 1;
      let p2 = 0;
      for (let j = 1; j <= n; j++) {
        const p3 = p2;
        p2 = p1;
        p1 = ((2 * j - 1) * z * p2 - (j - 1) * p3) / j;
      }
      dp = (n * (z * p1 - p2)) / (z * z - 1);
      const dz = p1 / dp;
      z -= dz;
      if (Math.abs(dz) < 1e-16) break;
    }
    nodes[i] = -z;
    nodes[n - 1 - i] = z;
    weights[i] = weights[n - 1 - i] = 2 / ((1 - z * z) * dp * dp);
  }
  return { nodes, weights };
}
