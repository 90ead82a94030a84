import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG } from '@juggernaut/service-kit';
import Stripe from 'stripe';
import type { LedgerEnv } from '../config';
import type { BalanceTransaction } from './reconcile';

/**
 * Stripe's balance transactions through the official SDK (`STRIPE_API_KEY`, a restricted key that
 * may read balance transactions is enough; `STRIPE_API_BASE_URL` points it elsewhere, as the tests
 * do at a local fake). The key lives here, in revenue-ledger, and nowhere else.
 */
@Injectable()
export class StripeBalance {
  private readonly client?: Stripe;

  constructor(@Inject(APP_CONFIG) config: LedgerEnv) {
    if (!config.STRIPE_API_KEY) return;
    const base = config.STRIPE_API_BASE_URL ? new URL(config.STRIPE_API_BASE_URL) : undefined;
    this.client = new Stripe(config.STRIPE_API_KEY, {
      maxNetworkRetries: 2,
      timeout: 30_000,
      ...(base
        ? {
            host: base.hostname,
            port: base.port || (base.protocol === 'https:' ? 443 : 80),
            protocol: base.protocol === 'http:' ? 'http' : 'https',
          }
        : {}),
    });
  }

  get configured(): boolean {
    return this.client !== undefined;
  }

  /** Every balance transaction created in [from, to), with its source object expanded. */
  async list(from: Date, to: Date): Promise<BalanceTransaction[]> {
    if (!this.client) throw new Error('STRIPE_API_KEY is not set');
    const out: BalanceTransaction[] = [];
    const created = { gte: Math.floor(from.getTime() / 1000), lt: Math.ceil(to.getTime() / 1000) };
    for await (const bt of this.client.balanceTransactions.list({ created, limit: 100, expand: ['data.source'] })) {
      out.push({
        id: bt.id,
        type: bt.type,
        amount: bt.amount,
        fee: bt.fee,
        net: bt.net,
        currency: bt.currency,
        created: bt.created,
        source: (bt.source as unknown as BalanceTransaction['source']) ?? null,
      });
    }
    return out;
  }
}
