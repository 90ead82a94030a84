import { type Bus, RpcError } from '@juggernaut/messaging';
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
  /**
   * Subscribes `again` to whatever makes waiting pointless (the NATS connection back: `onReconnect`);
   * returns the unsubscribe. A wait is then cut short, the request sent at once and the backoff
   * started over.
   */
  retryNow?: (again: () => void) => () => void;
}

/** `retryNow` for a bus: retry as soon as its connection is back. */
export function onReconnect(bus: Pick<Bus, 'onConnectionChange'>): (again: () => void) => () => void {
  return (again) =>
    bus.onConnectionChange((up) => {
      if (up) again();
    });
}

/**
 * Sends a request until it is answered: retried with a jittered, capped backoff while the failure
 * is retryable (the dispatcher restarting, NATS reconnecting, the database away for a moment), and at
 * once when `retryNow` says so. Requests sent this way must be idempotent on the receiving side (they
 * are: every worker write is fenced by its claim token).
 */
export async function untilAnswered<T>(send: () => Promise<T>, opts: RetryOptions = {}): Promise<T> {
  const firstDelay = opts.firstDelayMs ?? 200;
  let delay = firstDelay;
  let woken = false;
  let cutShort: (() => void) | undefined;
  const unsubscribe = opts.retryNow?.(() => {
    woken = true;
    cutShort?.();
  });
  try {
    for (let attempt = 1; ; attempt++) {
      try {
        return await send();
      } catch (e) {
        if (!isRetryable(e) || opts.giveUp?.()) throw e;
        opts.onRetry?.(e, attempt);
        if (!woken) {
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, delay * (0.5 + Math.random() / 2));
            cutShort = () => {
              clearTimeout(timer);
              resolve();
            };
          });
          cutShort = undefined;
        }
        if (woken) {
          woken = false;
          delay = firstDelay;
        } else delay = Math.min(opts.maxDelayMs ?? 5_000, delay * 2);
        if (opts.giveUp?.()) throw e;
      }
    }
  } finally {
    unsubscribe?.();
  }
}
