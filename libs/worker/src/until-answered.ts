import { RpcError } from '@juggernaut/messaging';
import { RequestError } from '@nats-io/transport-node';

/**
 * Whether a failed request is worth sending again: no answer (a timeout, nobody listening, a lost
 * connection) or an answer that says the responder failed (5xx). A refusal (4xx) is final.
 */
export function isRetryable(e: unknown): boolean {
  return !(e instanceof RpcError) || e.status >= 500;
}

/**
 * Whether the request may have reached a responder that acted on it though no answer said so: a
 * timeout or a lost connection may hide a processed request, and so may a responder's failure
 * (5xx) — its database may have committed just before the connection was lost. "No responders"
 * and a refusal (4xx) do not.
 */
export function mayHaveBeenHandled(e: unknown): boolean {
  if (e instanceof RpcError) return e.status >= 500;
  if (e instanceof RequestError && e.isNoResponders()) return false;
  return true;
}

export interface RetryOptions {
  /** Stop trying (the answer no longer matters, or the worker is giving up): the last error is thrown. */
  giveUp?: () => boolean;
  firstDelayMs?: number;
  maxDelayMs?: number;
  onRetry?: (e: unknown, attempt: number) => void;
}

/**
 * Sends a request until it is answered: retried with a jittered, capped backoff while the failure
 * is retryable (the dispatcher restarting, NATS reconnecting, the database away for a moment).
 * Requests sent this way must be idempotent on the receiving side (they are: every worker write is
 * fenced by its claim token).
 */
export async function untilAnswered<T>(send: () => Promise<T>, opts: RetryOptions = {}): Promise<T> {
  let delay = opts.firstDelayMs ?? 200;
  for (let attempt = 1; ; attempt++) {
    try {
      return await send();
    } catch (e) {
      if (!isRetryable(e) || opts.giveUp?.()) throw e;
      opts.onRetry?.(e, attempt);
      await new Promise((r) => setTimeout(r, delay * (0.5 + Math.random() / 2)));
      delay = Math.min(opts.maxDelayMs ?? 5_000, delay * 2);
      if (opts.giveUp?.()) throw e;
    }
  }
}
