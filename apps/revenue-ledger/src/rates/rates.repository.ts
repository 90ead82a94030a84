import { Inject, Injectable } from '@nestjs/common';
import type { ExchangeRateViewV1, SetExchangeRateV1 } from '@juggernaut/contracts';
import { APP_CONFIG } from '@juggernaut/service-kit';
import { DataSource } from 'typeorm';
import type { LedgerEnv } from '../config';
import { LedgerError } from '../ledger-errors';
import type { LedgerExchangeRates } from '../db/schema.generated';

/** Exchange rates into the base currency, used to measure revenue from every currency against the target. */
@Injectable()
export class RatesRepository {
  constructor(
    private readonly db: DataSource,
    @Inject(APP_CONFIG) private readonly config: LedgerEnv,
  ) {}

  async set(dto: SetExchangeRateV1): Promise<ExchangeRateViewV1> {
    if (dto.currency === this.config.LEDGER_BASE_CURRENCY) {
      throw new LedgerError(400, `currency: ${dto.currency} is the base currency; its rate is always 1`);
    }
    const [row] = (await this.db.query(
      `INSERT INTO ledger.exchange_rates (currency, base_currency, rate, updated_at) VALUES ($1, $2, $3::numeric, now())
       ON CONFLICT (currency) DO UPDATE SET base_currency = EXCLUDED.base_currency, rate = EXCLUDED.rate, updated_at = now()
       RETURNING currency, base_currency, rate::text, updated_at`,
      [dto.currency, this.config.LEDGER_BASE_CURRENCY, dto.rate],
    )) as RateRow[];
    return view(row!);
  }

  /** Rates into the configured base currency (rates set under another base are ignored). */
  async list(): Promise<ExchangeRateViewV1[]> {
    const rows = (await this.db.query(
      `SELECT currency, base_currency, rate::text, updated_at FROM ledger.exchange_rates WHERE base_currency = $1 ORDER BY currency`,
      [this.config.LEDGER_BASE_CURRENCY],
    )) as RateRow[];
    return rows.map(view);
  }
}

type RateRow = LedgerExchangeRates;

function view(r: RateRow): ExchangeRateViewV1 {
  // numeric(24,12) prints trailing zeros; keep the rate as the shortest exact decimal.
  const rate = r.rate.includes('.') ? r.rate.replace(/0+$/, '').replace(/\.$/, '') : r.rate;
  return { currency: r.currency, baseCurrency: r.base_currency, rate, updatedAt: r.updated_at.toISOString() };
}
