/**
 * The deterministic sample tools/reference/experiments_reference.py computes its reference values
 * on (`reference_sample`), written out identically: the Park–Miller minimal standard generator
 * (x ← 48271·x mod 2³¹ − 1, exact in doubles) and integer arithmetic only, so both languages see
 * the same units. For the unit tests; nothing in the service uses it.
 */
export class ParkMiller {
  private x: number;

  constructor(seed: number) {
    this.x = seed % 2147483647 || 1;
  }

  next(): number {
    this.x = (this.x * 48271) % 2147483647;
    return this.x;
  }
}

export interface ReferenceUnit {
  arm: 'control' | 'b' | 'c';
  y: number;
  pre: number;
  cov: number;
  stratum: number;
  orders: number;
}

/** Three arms of 400, 380 and 390 units; y correlates with pre and cov; one unit in a hundred is an outlier. */
export function referenceSample(seed = 20): ReferenceUnit[] {
  const g = new ParkMiller(seed);
  const units: ReferenceUnit[] = [];
  for (const [arm, n, effect] of [
    ['control', 400, 0],
    ['b', 380, 150],
    ['c', 390, 40],
  ] as const) {
    for (let i = 0; i < n; i++) {
      const pre = g.next() % 5000;
      const cov = g.next() % 100;
      const stratum = g.next() % 3;
      const noise = g.next() % 4000;
      let y = Math.floor((pre * 3) / 5) + cov * 7 + stratum * 300 + noise + effect;
      if (g.next() % 100 === 0) y += 100000;
      const orders = g.next() % 4;
      units.push({ arm, y, pre, cov, stratum, orders });
    }
  }
  return units;
}

export interface RevenueUnit {
  arm: 'control' | 'b' | 'c' | 'd';
  index: number;
  /** Ledger revenue in the 30 days before exposure (0: none), posted `preDays` days before. */
  pre: number;
  preDays: number;
  /** Ledger revenue 45 days before exposure: outside the lookback, must not count (0: none). */
  old: number;
  cov: number;
  stratum: 'web' | 'app';
  converted: boolean;
  /** valueMinor of the first conversion (0 without one). */
  value: number;
  items: number;
  /** A second conversion worth 500 with 1 item. */
  second: boolean;
  /** Ledger revenue attributed to the unit in the experiment after exposure (0: none). */
  ledger: number;
}

/**
 * The end-to-end experiment's units (`revenue_experiment_sample` in the reference script): four arms
 * of 250, revenue correlated with the pre-period revenue and the covariate, one unit in 200 an
 * outlier of 250,000 minor units.
 */
export function revenueExperimentSample(seed = 2026, perArm = 250): RevenueUnit[] {
  const g = new ParkMiller(seed);
  const units: RevenueUnit[] = [];
  for (const [arm, effect] of [
    ['control', 0],
    ['b', 600],
    ['c', 150],
    ['d', 0],
  ] as const) {
    for (let index = 0; index < perArm; index++) {
      const r = Array.from({ length: 12 }, () => g.next());
      const pre = r[1]! % 3 !== 0 ? 100 + (r[0]! % 5000) : 0;
      const converted = r[6]! % 3 !== 0;
      let value = Math.floor((pre * 4) / 5) + (r[4]! % 50) * 20 + (r[7]! % 1500) + effect;
      if (r[8]! % 200 === 0) value += 250000;
      units.push({
        arm,
        index,
        pre,
        preDays: 1 + (r[2]! % 20),
        old: r[3]! % 10 === 0 ? 7777 : 0,
        cov: r[4]! % 50,
        stratum: r[5]! % 2 === 0 ? 'web' : 'app',
        converted,
        value: converted ? value : 0,
        items: converted ? 1 + (r[9]! % 4) : 0,
        second: converted && r[10]! % 5 === 0,
        ledger: r[11]! % 10 === 0 ? 1500 : 0,
      });
    }
  }
  return units;
}
