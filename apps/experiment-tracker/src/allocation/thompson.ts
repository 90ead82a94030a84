import type { Posterior } from '../stats/posterior';
import { Rng } from '../stats/rng';

export interface AllocationCandidate {
  experimentId: string;
  name: string;
  currency: string;
  remainingBudgetMinor: number;
  variants: Array<{ key: string; control: boolean; posterior: Posterior }>;
}

export interface AllocationShare {
  experimentId: string;
  name: string;
  currency: string;
  share: number;
  remainingBudgetMinor: number;
  allocatedMinor: number;
  variantShares: Record<string, number>;
}

/**
 * Thompson sampling across running experiments (Thompson 1933; Chapelle & Li, "An Empirical
 * Evaluation of Thompson Sampling", NIPS 2011). Each draw samples every variant of every
 * experiment from its posterior and scores an experiment by the largest lift of a variant over its
 * control in that draw, relative to the control's mean; the experiment with the highest score wins
 * the draw. An experiment's share of its currency's budget pool is the fraction of draws it wins —
 * its posterior probability of offering the largest improvement — so budget flows to promising
 * experiments while uncertain ones keep some. Within an experiment, a variant's share is how often
 * its own draw was highest (its Thompson traffic weight). Money is split in integer minor units; the
 * rounding remainder goes to the largest share, so shares add up to the pool exactly.
 */
export function thompsonAllocation(
  candidates: readonly AllocationCandidate[],
  draws: number,
  seed: string,
): { shares: AllocationShare[]; pools: Record<string, number> } {
  const rng = new Rng(seed);
  const byCurrency = new Map<string, AllocationCandidate[]>();
  for (const c of candidates) byCurrency.set(c.currency, [...(byCurrency.get(c.currency) ?? []), c]);
  const shares: AllocationShare[] = [];
  const pools: Record<string, number> = {};
  for (const [currency, group] of byCurrency) {
    const wins = new Array<number>(group.length).fill(0);
    const variantWins = group.map((c) => new Array<number>(c.variants.length).fill(0));
    const scales = group.map((c) => {
      const control = c.variants.find((v) => v.control)!.posterior;
      return Math.abs(control.mean) > 3 * control.sd ? Math.abs(control.mean) : Math.abs(control.mean) + control.sd;
    });
    for (let d = 0; d < draws; d++) {
      let bestScore = -Infinity;
      let bestIndex = 0;
      group.forEach((c, i) => {
        const samples = c.variants.map((v) => v.posterior.sample(rng));
        const controlSample = samples[c.variants.findIndex((v) => v.control)]!;
        let score = -Infinity;
        let top = 0;
        samples.forEach((s, j) => {
          if (s > samples[top]!) top = j;
          if (!c.variants[j]!.control) score = Math.max(score, (s - controlSample) / (scales[i]! || 1));
        });
        variantWins[i]![top]!++;
        if (score > bestScore) {
          bestScore = score;
          bestIndex = i;
        }
      });
      wins[bestIndex]!++;
    }
    const pool = group.reduce((s, c) => s + Math.max(0, c.remainingBudgetMinor), 0);
    pools[currency] = pool;
    const allocated = wins.map((w) => Math.floor((w / draws) * pool));
    const leader = wins.indexOf(Math.max(...wins));
    allocated[leader]! += pool - allocated.reduce((s, a) => s + a, 0);
    group.forEach((c, i) =>
      shares.push({
        experimentId: c.experimentId,
        name: c.name,
        currency,
        share: wins[i]! / draws,
        remainingBudgetMinor: c.remainingBudgetMinor,
        allocatedMinor: allocated[i]!,
        variantShares: Object.fromEntries(c.variants.map((v, j) => [v.key, variantWins[i]![j]! / draws])),
      }),
    );
  }
  return { shares, pools };
}
