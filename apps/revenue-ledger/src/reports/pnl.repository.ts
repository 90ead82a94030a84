import { Injectable } from '@nestjs/common';
import type { GetPnlV1, PnlGroup, PnlReportV1 } from '@juggernaut/contracts';
import { DataSource } from 'typeorm';

/** The grouping expression of each report; chosen from this fixed list, never from caller text. */
const KEY_SQL: Record<PnlGroup, string> = {
  period: `to_char(date_trunc($4, p.occurred_at, 'UTC') AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')`,
  source: `a.name`,
  experiment: `t.experiment_id`,
  goal: `t.goal_id`,
  taskType: `t.task_type`,
};

/**
 * Profit and loss from the postings on revenue and expense accounts: revenue is what revenue
 * accounts were credited, cost what expense accounts were debited, net the difference. Reversals
 * carry their original's attribution, so a reversed transaction nets out of every grouping.
 */
@Injectable()
export class PnlRepository {
  constructor(private readonly db: DataSource) {}

  async report(q: GetPnlV1): Promise<PnlReportV1> {
    const period = q.groupBy === 'period' ? (q.period ?? 'month') : null;
    const rows = (await this.db.query(
      `SELECT ${KEY_SQL[q.groupBy]} AS key, p.currency,
              sum(CASE WHEN a.type = 'revenue' THEN -p.amount_minor ELSE 0 END)::text AS revenue,
              sum(CASE WHEN a.type = 'expense' THEN p.amount_minor ELSE 0 END)::text AS cost
       FROM ledger.postings p
       JOIN ledger.accounts a ON a.id = p.account_id
       JOIN ledger.transactions t ON t.id = p.transaction_id
       WHERE a.type IN ('revenue', 'expense')
         AND ($1::timestamptz IS NULL OR p.occurred_at >= $1)
         AND ($2::timestamptz IS NULL OR p.occurred_at < $2)
         AND ($3::text IS NULL OR p.currency = $3)
       GROUP BY 1, 2 ORDER BY 1 NULLS LAST, 2`,
      [q.from ?? null, q.to ?? null, q.currency ?? null, ...(period ? [period] : [])],
    )) as Array<{ key: string | null; currency: string; revenue: string; cost: string }>;
    return {
      groupBy: q.groupBy,
      period,
      rows: rows.map((r) => ({
        key: r.key,
        currency: r.currency,
        revenueMinor: Number(r.revenue),
        costMinor: Number(r.cost),
        netMinor: Number(r.revenue) - Number(r.cost),
      })),
    };
  }
}
