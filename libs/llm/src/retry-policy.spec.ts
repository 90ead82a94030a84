import { isRetryableStatus, retryDelayMs } from './retry-policy';

const h = (entries: Record<string, string>) => ({ get: (n: string) => entries[n] ?? null });

describe('model retry policy', () => {
  it('retries rate limits, server errors and lost connections, not bad requests', () => {
    for (const s of [408, 409, 429, 500, 502, 503, undefined]) expect(isRetryableStatus(s)).toBe(true);
    for (const s of [400, 401, 403, 404, 422]) expect(isRetryableStatus(s)).toBe(false);
  });

  it('honours retry-after-ms, retry-after seconds and retry-after dates, within the ceiling', () => {
    expect(retryDelayMs(1, h({ 'retry-after-ms': '1500' }))).toBe(1500);
    expect(retryDelayMs(1, h({ 'retry-after': '2' }))).toBe(2000);
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(retryDelayMs(1, h({ 'retry-after': 'Thu, 01 Jan 2026 00:00:03 GMT' }), { now })).toBe(3000);
    expect(retryDelayMs(1, h({ 'retry-after': '3600' }), { maxMs: 60_000 })).toBe(60_000);
  });

  it('backs off exponentially with jitter when the server gives no hint', () => {
    expect(retryDelayMs(1, undefined, { random: () => 1 })).toBe(500);
    expect(retryDelayMs(3, undefined, { random: () => 1 })).toBe(2000);
    expect(retryDelayMs(3, undefined, { random: () => 0 })).toBe(1500);
    expect(retryDelayMs(10, undefined, { random: () => 1 })).toBe(8000);
  });
});
