import { createHash } from 'node:crypto';

export interface WeightedVariant {
  key: string;
  weight: number;
}

/**
 * The unit's position in [0, 1): the first 52 bits of SHA-256("<experimentId>:<unitId>"), exact in a
 * double. Salting with the experiment id makes assignments independent across experiments.
 */
export function bucketOf(experimentId: string, unitId: string): number {
  const digest = createHash('sha256').update(`${experimentId}:${unitId}`).digest();
  const high = digest.readUInt32BE(0);
  const low = digest.readUInt32BE(4) >>> 12;
  return (high * 2 ** 20 + low) / 2 ** 52;
}

/**
 * Deterministic weighted assignment: the same unit gets the same variant every time, on every
 * replica, with no state. Variants are laid out in their defined order over [0, 1), each taking
 * weight / Σ weights of the line.
 */
export function assignVariant(experimentId: string, unitId: string, variants: readonly WeightedVariant[]): string {
  if (variants.length === 0) throw new Error('an experiment has variants');
  const total = variants.reduce((s, v) => s + v.weight, 0);
  const point = bucketOf(experimentId, unitId) * total;
  let edge = 0;
  for (const v of variants) {
    edge += v.weight;
    if (point < edge) return v.key;
  }
  return variants[variants.length - 1]!.key;
}
