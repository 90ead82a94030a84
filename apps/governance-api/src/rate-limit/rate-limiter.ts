import { HttpException, HttpStatus, Inject, Injectable } from '@nestjs/common';
import { Metrics } from '@juggernaut/observability';
import { APP_CONFIG } from '@juggernaut/service-kit';
import type { Response } from 'express';
import type { GovernanceEnv } from '../config';
import { TokenBuckets } from './token-bucket';

/** Per-API-key HTTP rate limit (a token bucket per key, in each replica): 429 with Retry-After. */
@Injectable()
export class RateLimiter {
  private readonly buckets: TokenBuckets;
  private readonly limited;

  constructor(@Inject(APP_CONFIG) config: GovernanceEnv, metrics: Metrics) {
    this.buckets = new TokenBuckets(config.JUGGERNAUT_RATE_LIMIT_PER_SECOND, config.JUGGERNAUT_RATE_LIMIT_BURST);
    this.limited = metrics.counter('juggernaut_http_rate_limited_total', 'HTTP requests refused with 429 by the per-key rate limit');
  }

  /** Throws 429 (with Retry-After on the response) when the key has used its budget. */
  check(keyId: string, res: Response): void {
    const wait = this.buckets.take(keyId, Date.now());
    if (wait === 0) return;
    this.limited.inc();
    res.setHeader('Retry-After', String(wait));
    throw new HttpException({ statusCode: 429, error: 'Too Many Requests', message: `rate limit exceeded for this API key; retry in ${wait} s` }, HttpStatus.TOO_MANY_REQUESTS);
  }
}
