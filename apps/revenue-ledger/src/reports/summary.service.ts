import { Inject, Injectable } from '@nestjs/common';
import type { LedgerCurrencyTotalsV1, LedgerSummaryV1 } from '@juggernaut/contracts';
import { APP_CONFIG } from '@juggernaut/service-kit';
import { DataSource } from 'typeorm';
import type { LedgerEnv } from '../config';
import { toBaseMinor } from '../rates/currency-conversion';
import { RatesRepository } from '../rates/rates.repository';

/** Totals per currency from the kept balances, and progress to the revenue target in the base currency. */
@Injectable()
export class SummaryService {
  constructor(
    private readonly db: DataSource,
    private readonly rates: RatesRepository,
    @Inject(APP_CONFIG) private readonly config: LedgerEnv,
  ) {}

  async summary(): Promise<LedgerSummaryV1> {
    const [progress, [count]] = await Promise.all([
      this.progress(),
      this.db.query(`SELECT count(*)::bigint::text AS n FROM ledger.transactions`) as Promise<Array<{ n: string }>>,
    ]);
    return { ...progress, transactions: Number(count!.n) };
  }

  async progress(): Promise<Omit<LedgerSummaryV1, 'transactions'>> {
    const rows = (await this.db.query(
      `SELECT b.currency,
              sum(CASE WHEN a.type = 'revenue' THEN -b.balance_minor ELSE 0 END)::text AS revenue,
              sum(CASE WHEN a.type = 'expense' THEN b.balance_minor ELSE 0 END)::text AS cost
       FROM ledger.balances b JOIN ledger.accounts a ON a.id = b.account_id
       WHERE a.type IN ('revenue', 'expense') GROUP BY b.currency ORDER BY b.currency`,
    )) as Array<{ currency: string; revenue: string; cost: string }>;
    const byCurrency: LedgerCurrencyTotalsV1[] = rows.map((r) => ({
      currency: r.currency,
      revenueMinor: Number(r.revenue),
      costMinor: Number(r.cost),
      netMinor: Number(r.revenue) - Number(r.cost),
    }));
    const base = this.config.LEDGER_BASE_CURRENCY;
    const rates = new Map((await this.rates.list()).map((r) => [r.currency, r.rate]));
    let revenueBaseMinor = 0;
    const unconvertedCurrencies: string[] = [];
    for (const c of byCurrency) {
      if (c.revenueMinor === 0) continue;
      const rate = c.currency === base ? '1' : rates.get(c.currency);
      if (!rate) unconvertedCurrencies.push(c.currency);
      else revenueBaseMinor += toBaseMinor(c.revenueMinor, c.currency, rate, base);
    }
    const targetMinor = this.config.LEDGER_REVENUE_TARGET_MINOR;
    return {
      baseCurrency: base,
      targetMinor,
      revenueBaseMinor,
      unconvertedCurrencies,
      byCurrency,
      progressRatio: Math.min(1, Math.max(0, revenueBaseMinor / targetMinor)),
    };
  }
}
