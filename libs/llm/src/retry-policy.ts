/**
 * When and how long to wait before retrying a model call. Pure, so it is unit-tested apart from
 * the HTTP client: 408, 409, 429 and 5xx and connection failures are retried; `retry-after-ms`
 * or `retry-after` (seconds or an HTTP date) is honoured up to a ceiling; otherwise exponential
 * backoff with jitter.
 */
export function isRetryableStatus(status: number | undefined): boolean {
  if (status === undefined) return true; // no response: connection refused, reset, timed out
  return status === 408 || status === 409 || status === 429 || status >= 500;
}

export function retryDelayMs(
  attempt: number,
  headers: { get(name: string): string | null } | undefined,
  opts: { baseMs?: number; maxMs?: number; now?: number; random?: () => number } = {},
): number {
  const maxMs = opts.maxMs ?? 60_000;
  const ms = headers?.get('retry-after-ms');
  if (ms && Number.isFinite(Number(ms))) return clamp(Number(ms), 0, maxMs);
  const after = headers?.get('retry-after');
  if (after) {
    const seconds = Number(after);
    if (Number.isFinite(seconds)) return clamp(seconds * 1000, 0, maxMs);
    const at = Date.parse(after);
    if (!Number.isNaN(at)) return clamp(at - (opts.now ?? Date.now()), 0, maxMs);
  }
  const base = (opts.baseMs ?? 500) * 2 ** Math.max(0, attempt - 1);
  return clamp(Math.round(base * (0.75 + (opts.random ?? Math.random)() * 0.25)), 0, Math.min(maxMs, 8_000));
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, v));
}
