import { DatabaseEnv, ToInt, ToList } from '@juggernaut/config';
import { ArrayMinSize, IsArray, IsInt, IsISO4217CurrencyCode, Matches, Max, Min } from 'class-validator';

export class LedgerEnv extends DatabaseEnv {
  /** Currency the revenue target and converted totals are in. */
  @IsISO4217CurrencyCode({ message: 'LEDGER_BASE_CURRENCY must be an ISO 4217 code such as USD' })
  LEDGER_BASE_CURRENCY = 'USD';

  /** Revenue target in minor units of the base currency ($100M by default). */
  @ToInt() @IsInt({ message: 'LEDGER_REVENUE_TARGET_MINOR must be a whole number of minor units' }) @Min(1) @Max(Number.MAX_SAFE_INTEGER)
  LEDGER_REVENUE_TARGET_MINOR = 10_000_000_000;

  /** Account prefixes created on first use; postings to any other unknown account are refused. */
  @ToList() @IsArray() @ArrayMinSize(1)
  @Matches(/^(assets|liabilities|equity|revenue|expense)(:[A-Za-z0-9_.@+\-/]+)*$/, { each: true, message: 'LEDGER_AUTO_CREATE must list account prefixes such as revenue,expense,assets:cash' })
  LEDGER_AUTO_CREATE: string[] = ['assets:cash', 'revenue', 'expense'];

  /** Most events posted in one database transaction. */
  @ToInt() @IsInt() @Min(1) @Max(5_000)
  LEDGER_BATCH_MAX = 1_000;

  /** Batches written at once: one is prepared and sent while another commits. */
  @ToInt() @IsInt() @Min(1) @Max(16)
  LEDGER_FLUSH_CONCURRENCY = 2;

  /** The bank account payment providers' payouts go to (docs/payments.md). */
  @Matches(/^assets(:[A-Za-z0-9_.@+\-/]{1,64}){1,6}$/, { message: 'PAYMENTS_BANK_ACCOUNT must be an assets account such as assets:bank' })
  PAYMENTS_BANK_ACCOUNT = 'assets:bank';

  /** Inbound events held unacknowledged at once per consumer (they wait for their batch to commit). */
  @ToInt() @IsInt() @Min(1) @Max(20_000)
  LEDGER_CONSUMER_CONCURRENCY = 2_000;
}
