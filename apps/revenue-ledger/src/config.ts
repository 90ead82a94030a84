import { DatabaseEnv, Secret, ToInt, ToList } from '@juggernaut/config';
import {
  ArrayMinSize,
  IsArray,
  IsInt,
  IsISO4217CurrencyCode,
  IsOptional,
  IsString,
  IsUrl,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
} from 'class-validator';

export class LedgerEnv extends DatabaseEnv {
  /** Currency the revenue target and converted totals are in. */
  @IsISO4217CurrencyCode({ message: 'LEDGER_BASE_CURRENCY must be an ISO 4217 code such as USD' })
  LEDGER_BASE_CURRENCY = 'USD';

  /** Revenue target in minor units of the base currency ($100M by default). */
  @ToInt()
  @IsInt({ message: 'LEDGER_REVENUE_TARGET_MINOR must be a whole number of minor units' })
  @Min(1)
  @Max(Number.MAX_SAFE_INTEGER)
  LEDGER_REVENUE_TARGET_MINOR = 10_000_000_000;

  /** Account prefixes created on first use; postings to any other unknown account are refused. */
  @ToList()
  @IsArray()
  @ArrayMinSize(1)
  @Matches(/^(assets|liabilities|equity|revenue|expense)(:[A-Za-z0-9_.@+\-/]+)*$/, {
    each: true,
    message: 'LEDGER_AUTO_CREATE must list account prefixes such as revenue,expense,assets:cash',
  })
  LEDGER_AUTO_CREATE: string[] = ['assets:cash', 'revenue', 'expense'];

  /** Most events posted in one database transaction. */
  @ToInt()
  @IsInt()
  @Min(1)
  @Max(5_000)
  LEDGER_BATCH_MAX = 1_000;

  /** Batches written at once: one is prepared and sent while another commits. */
  @ToInt()
  @IsInt()
  @Min(1)
  @Max(16)
  LEDGER_FLUSH_CONCURRENCY = 2;

  /** The bank account payment providers' payouts go to (docs/payments.md). */
  @Matches(/^assets(:[A-Za-z0-9_.@+\-/]{1,64}){1,6}$/, {
    message: 'PAYMENTS_BANK_ACCOUNT must be an assets account such as assets:bank',
  })
  PAYMENTS_BANK_ACCOUNT = 'assets:bank';

  /**
   * Inbound events held unacknowledged at once per consumer (they wait for their batch to commit).
   * 1,000 keeps the posting batches full with revenue alone and with revenue and costs mixed; 2,000
   * only held more in memory (2-7% slower, 10-25 MB higher peak; docs/benchmarks.md, revenue ledger).
   */
  @ToInt()
  @IsInt()
  @Min(1)
  @Max(20_000)
  LEDGER_CONSUMER_CONCURRENCY = 1_000;

  /**
   * A Stripe secret or restricted key that may read balance transactions: with it, revenue-ledger
   * runs `ledger.reconcile` tasks and schedules one a day (docs/payments.md). It stays in this service.
   */
  @IsOptional()
  @IsString()
  @MinLength(8, { message: 'STRIPE_API_KEY must be a Stripe key (sk_… or rk_…)' })
  @Secret()
  STRIPE_API_KEY?: string;

  /** Where the Stripe API is (tests point it at a local fake); Stripe's own when unset. */
  @IsOptional()
  @IsUrl(
    { require_tld: false, protocols: ['http', 'https'] },
    { message: 'STRIPE_API_BASE_URL must be an http(s) URL such as http://127.0.0.1:12111' },
  )
  STRIPE_API_BASE_URL?: string;

  /** When the daily reconciliation runs (5-field cron, UTC); it reconciles the previous UTC day. */
  @IsString()
  @Matches(/^\S+(\s+\S+){4}$/, { message: 'LEDGER_RECONCILE_CRON must have 5 fields, e.g. 30 2 * * *' })
  LEDGER_RECONCILE_CRON = '30 2 * * *';

  /** Seconds around the period whose balance transactions still account for an entry (so an entry stamped a little off is not extra). */
  @ToInt()
  @IsInt()
  @Min(0)
  @Max(86_400)
  LEDGER_RECONCILE_MARGIN_S = 3_600;

  /** The worker id of this process when it runs reconciliations (the pod name in Kubernetes). */
  @IsOptional()
  @IsString()
  @MaxLength(200)
  @Matches(/^[A-Za-z0-9._:-]+$/, { message: 'HOSTNAME must be a plain host or pod name' })
  HOSTNAME?: string;

  /** How often the reconciliation worker looks for tasks when no wake-up came. */
  @ToInt()
  @IsInt()
  @Min(50)
  @Max(600_000)
  LEDGER_WORKER_POLL_INTERVAL_MS = 5_000;
}
