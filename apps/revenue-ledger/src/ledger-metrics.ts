import { Inject, Injectable } from '@nestjs/common';
import { LATENCY_BUCKETS, Metrics } from '@juggernaut/observability';
import { APP_CONFIG } from '@juggernaut/service-kit';
import { DataSource } from 'typeorm';
import type { LedgerEnv } from './config';
import type { JournalEntry } from './posting/journal-entry';
import { SummaryService } from './reports/summary.service';

/**
 * The ledger's Prometheus metrics. Counters move when a transaction commits; the gauges are read
 * from Postgres at scrape time, so every replica reports the same truth.
 */
@Injectable()
export class LedgerMetrics {
  private readonly revenue;
  private readonly cost;
  private readonly transactions;
  private readonly duplicates;
  private readonly conflictCount;
  readonly batchSize;
  readonly batchSeconds;

  constructor(metrics: Metrics, db: DataSource, summary: SummaryService, @Inject(APP_CONFIG) config: LedgerEnv) {
    this.revenue = metrics.counter(
      'juggernaut_ledger_revenue_minor_total',
      'Revenue posted from revenue events, in minor units',
      ['currency', 'source'],
    );
    this.cost = metrics.counter('juggernaut_ledger_cost_minor_total', 'Cost posted from cost events, in minor units', [
      'currency',
      'category',
    ]);
    this.transactions = metrics.counter('juggernaut_ledger_transactions_total', 'Ledger transactions posted', ['kind']);
    this.duplicates = metrics.counter(
      'juggernaut_ledger_duplicates_total',
      'Events and entries already posted (redelivered or re-published), skipped',
    );
    this.conflictCount = metrics.counter(
      'juggernaut_ledger_conflicts_total',
      'Events and entries refused because their event id was posted with other content',
      ['kind'],
    );
    this.batchSeconds = metrics.histogram(
      'juggernaut_ledger_batch_duration_seconds',
      'Time to write one batch of entries (one database transaction)',
      [],
      LATENCY_BUCKETS,
    );
    this.batchSize = metrics.histogram(
      'juggernaut_ledger_batch_size',
      'Entries written per database transaction',
      [],
      [1, 10, 50, 100, 250, 500, 1000, 2500, 5000],
    );
    metrics.gauge(
      'juggernaut_ledger_target_progress_ratio',
      `Revenue to target in ${config.LEDGER_BASE_CURRENCY}, 0..1`,
      [],
      async function () {
        this.set((await summary.progress()).progressRatio);
      },
    );
    metrics.gauge(
      'juggernaut_ledger_net_income_minor',
      'Revenue minus cost, all time, in minor units',
      ['currency'],
      async function () {
        const rows = (await db.query(
          `SELECT b.currency, sum(-b.balance_minor)::text AS net FROM ledger.balances b JOIN ledger.accounts a ON a.id = b.account_id
         WHERE a.type IN ('revenue', 'expense') GROUP BY b.currency`,
        )) as Array<{ currency: string; net: string }>;
        this.reset();
        for (const r of rows) this.set({ currency: r.currency }, Number(r.net));
      },
    );
  }

  /** Counts a committed batch: one increment per label set, not per entry. */
  posted(entries: JournalEntry[]): void {
    const kinds = new Map<string, number>();
    const money = new Map<string, { counter: 'revenue' | 'cost'; currency: string; label: string; amount: number }>();
    for (const e of entries) {
      kinds.set(e.kind, (kinds.get(e.kind) ?? 0) + 1);
      if ((e.kind === 'revenue' || e.kind === 'cost') && e.amountMinor) {
        const label = e.source ?? 'unknown';
        const key = `${e.kind}\u0000${e.currency}\u0000${label}`;
        const m = money.get(key) ?? { counter: e.kind, currency: e.currency!, label, amount: 0 };
        m.amount += e.amountMinor;
        money.set(key, m);
      }
    }
    for (const [kind, n] of kinds) this.transactions.inc({ kind }, n);
    for (const m of money.values()) {
      if (m.counter === 'revenue') this.revenue.inc({ currency: m.currency, source: m.label }, m.amount);
      else this.cost.inc({ currency: m.currency, category: m.label }, m.amount);
    }
  }

  duplicate(n: number): void {
    if (n > 0) this.duplicates.inc(n);
  }

  /** Counts refused entries by their kind (revenue, cost, manual). */
  conflicts(entries: JournalEntry[]): void {
    for (const e of entries) this.conflictCount.inc({ kind: e.kind });
  }
}
