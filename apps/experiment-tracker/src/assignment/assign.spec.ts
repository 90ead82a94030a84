import { sampleRatioMismatch } from '../stats/srm';
import { assignVariant, bucketOf } from './assign';

describe('deterministic assignment', () => {
  const variants = [
    { key: 'control', weight: 50 },
    { key: 'b', weight: 30 },
    { key: 'c', weight: 20 },
  ];

  it('gives the same unit the same variant every time', () => {
    const first = assignVariant('exp-1', 'user-7', variants);
    for (let i = 0; i < 20; i++) expect(assignVariant('exp-1', 'user-7', variants)).toBe(first);
  });

  it('is a pure function of SHA-256(experimentId:unitId) (pinned values)', () => {
    // `printf 'a:b' | sha256sum` = 6783a31e…; the first 13 hex digits are the 52 bits used. Pinned so
    // a change in hashing (which would reshuffle every running experiment) fails here.
    expect(bucketOf('exp-1', 'user-7')).not.toBe(bucketOf('exp-2', 'user-7'));
    expect(bucketOf('a', 'b')).toBe(
      parseInt('6783a31eabf68ccc0660f935c0826282bdd2241f3a80a9f2d10d59aea9ebb5d8'.slice(0, 13), 16) / 2 ** 52,
    );
  });

  it('splits 30,000 units by the weights, passing the sample ratio mismatch test', () => {
    const counts = new Map(variants.map((v) => [v.key, 0]));
    for (let i = 0; i < 30_000; i++) {
      const k = assignVariant('exp-split', `u${i}`, variants);
      counts.set(k, counts.get(k)! + 1);
    }
    const srm = sampleRatioMismatch(
      [...counts.values()],
      variants.map((v) => v.weight),
    );
    expect(srm.flagged).toBe(false);
    expect(counts.get('control')! / 30_000).toBeGreaterThan(0.48);
    expect(counts.get('control')! / 30_000).toBeLessThan(0.52);
  });

  it('assigns independently across experiments', () => {
    let same = 0;
    for (let i = 0; i < 10_000; i++) {
      if (
        assignVariant('exp-x', `u${i}`, [
          { key: 'a', weight: 1 },
          { key: 'b', weight: 1 },
        ]) ===
        assignVariant('exp-y', `u${i}`, [
          { key: 'a', weight: 1 },
          { key: 'b', weight: 1 },
        ])
      )
        same++;
    }
    expect(same / 10_000).toBeGreaterThan(0.47);
    expect(same / 10_000).toBeLessThan(0.53);
  });
});
