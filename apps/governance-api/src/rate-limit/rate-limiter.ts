import { HttpException, HttpStatus, Inject, Injectable } from '@nestjs/common';
import { Metrics } from '@juggernaut/observability';
import { APP_CONFIG } from '@juggernaut/service-kit';
import type { Response } from 'express';
import type { GovernanceEnv } from '../config';
import { TokenBuckets } from './token-bucket';

/**
 * HTTP rate limits, in each replica: a token bucket per API key for authenticated calls, and one per
 * client address for calls that are not (no key, a malformed key, an unknown, revoked or expired
 * one). Over either: 429 with Retry-After.
 */
@Injectable()
export class RateLimiter {
  private readonly buckets: TokenBuckets;
  private readonly strangers: TokenBuckets;
  private readonly webhooks: TokenBuckets;
  private readonly limited;

  constructor(@Inject(APP_CONFIG) config: GovernanceEnv, metrics: Metrics) {
    this.buckets = new TokenBuckets(config.JUGGERNAUT_RATE_LIMIT_PER_SECOND, config.JUGGERNAUT_RATE_LIMIT_BURST);
    this.strangers = new TokenBuckets(
      config.JUGGERNAUT_RATE_LIMIT_UNAUTH_PER_SECOND,
      config.JUGGERNAUT_RATE_LIMIT_UNAUTH_BURST,
    );
    this.webhooks = new TokenBuckets(config.JUGGERNAUT_WEBHOOK_RATE_PER_SECOND, config.JUGGERNAUT_WEBHOOK_RATE_BURST);
    this.limited = metrics.counter(
      'juggernaut_http_rate_limited_total',
      'HTTP requests refused with 429 by a rate limit',
      ['limit'],
    );
  }

  /** Throws 429 (with Retry-After on the response) when the key has used its budget. */
  check(keyId: string, res: Response): void {
    const wait = this.buckets.take(keyId, Date.now());
    if (wait > 0) this.refuse(res, wait, 'key', `rate limit exceeded for this API key; retry in ${wait} s`);
  }

  /** Throws 429 when the address has used its budget of unauthenticated calls, without spending any. */
  checkAddress(address: string, res: Response): void {
    const wait = this.strangers.peek(address, Date.now());
    if (wait > 0)
      this.refuse(
        res,
        wait,
        'address',
        `too many requests without a valid API key from this address; retry in ${wait} s`,
      );
  }

  /** Spends one of the address's unauthenticated calls; throws 429 when none was left. */
  chargeAddress(address: string, res: Response): void {
    const wait = this.strangers.take(address, Date.now());
    if (wait > 0)
      this.refuse(
        res,
        wait,
        'address',
        `too many requests without a valid API key from this address; retry in ${wait} s`,
      );
  }

  /**
   * Spends one of the address's webhook deliveries (public routes have no key to limit by); 429 when
   * none is left. A delivery whose signature fails also spends one of the address's unauthenticated
   * calls (`chargeAddress`), so guessing signatures is as slow as guessing keys.
   */
  checkWebhook(address: string, res: Response): void {
    const wait = this.webhooks.take(address, Date.now());
    if (wait > 0)
      this.refuse(res, wait, 'webhook', `too many webhook deliveries from this address; retry in ${wait} s`);
  }

  private refuse(res: Response, wait: number, limit: 'key' | 'address' | 'webhook', message: string): never {
    this.limited.inc({ limit });
    res.setHeader('Retry-After', String(wait));
    throw new HttpException({ statusCode: 429, error: 'Too Many Requests', message }, HttpStatus.TOO_MANY_REQUESTS);
  }
}
