import { TokenBuckets } from './token-bucket';

describe('TokenBuckets', () => {
  it('allows a burst, then refuses with the seconds until the next token', () => {
    const b = new TokenBuckets(2, 3);
    expect([b.take('k', 0), b.take('k', 0), b.take('k', 0)]).toEqual([0, 0, 0]);
    expect(b.take('k', 0)).toBe(1);
  });

  it('refills at the configured rate and never beyond the burst', () => {
    const b = new TokenBuckets(1, 2);
    b.take('k', 0);
    b.take('k', 0);
    expect(b.take('k', 500)).toBeGreaterThan(0);
    expect(b.take('k', 1_500)).toBe(0);
    // an hour idle refills to the burst (2), not 3600
    expect([b.take('k', 3_600_000), b.take('k', 3_600_000), b.take('k', 3_600_000)]).toEqual([0, 0, 1]);
  });

  it('keeps one bucket per key', () => {
    const b = new TokenBuckets(1, 1);
    expect(b.take('a', 0)).toBe(0);
    expect(b.take('a', 0)).toBe(1);
    expect(b.take('b', 0)).toBe(0);
  });

  it('forgets buckets that have been idle long enough to be full', () => {
    const b = new TokenBuckets(10, 10);
    b.take('a', 0);
    b.take('b', 0);
    b.take('c', 5_000);
    expect(b.size).toBe(1);
  });

  it('peeks without taking', () => {
    const b = new TokenBuckets(1, 2);
    expect(b.peek('k', 0)).toBe(0);
    b.take('k', 0);
    expect(b.peek('k', 0)).toBe(0);
    expect(b.peek('k', 0)).toBe(0);
    b.take('k', 0);
    expect(b.peek('k', 0)).toBe(1);
    expect(b.peek('k', 1_000)).toBe(0);
    expect(b.take('k', 1_000)).toBe(0);
  });

  it('asks a slow-rate caller to wait several seconds', () => {
    const b = new TokenBuckets(1 / 10, 1);
    b.take('k', 0);
    expect(b.take('k', 0)).toBe(10);
  });
});
