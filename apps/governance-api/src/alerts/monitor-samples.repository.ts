import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

export type SampleKind =
  'task_outcome' | 'worker_failure' | 'spend' | 'dead_letter' | 'ledger_conflict' | 'reconciliation';

/** One fact for the monitor's windows; `dedupe` names it, so a redelivered event counts once. */
export interface Sample {
  kind: SampleKind;
  key: string;
  amount: number;
  at: Date;
  dedupe: string;
  detail?: Record<string, unknown>;
}

@Injectable()
export class MonitorSamplesRepository {
  constructor(private readonly db: DataSource) {}

  /**
   * Records many facts in one statement, each once: a dedupe key already stored, or repeated within
   * the batch (an event delivered twice into one group), is skipped.
   */
  async addMany(samples: Sample[]): Promise<void> {
    if (samples.length === 0) return;
    await this.db.query(
      `INSERT INTO governance.monitor_samples (kind, key, amount, at, dedupe, detail)
       SELECT kind, key, amount, at, dedupe, detail
       FROM json_to_recordset($1::json) AS s(kind text, key text, amount bigint, at timestamptz, dedupe text, detail jsonb)
       ON CONFLICT (dedupe) DO NOTHING`,
      [JSON.stringify(samples)],
    );
  }

  /** The latest sample of each key of one kind since `since`, with how many there were: the newest `limit` keys. */
  async latestByKey(
    kind: SampleKind,
    since: Date,
    limit: number,
  ): Promise<Array<{ key: string; detail: Record<string, unknown> | null; at: Date; count: number }>> {
    return this.db.query(
      `SELECT key, detail, at, count FROM (
         SELECT DISTINCT ON (key) key, detail, at, count(*) OVER (PARTITION BY key)::int AS count
         FROM governance.monitor_samples WHERE kind = $1 AND at >= $2 ORDER BY key, at DESC
       ) latest ORDER BY at DESC LIMIT $3`,
      [kind, since, limit],
    );
  }

  /** Sum of amounts per key of one kind since `since`. */
  async sumByKey(kind: SampleKind, since: Date): Promise<Record<string, number>> {
    const rows = (await this.db.query(
      `SELECT key, sum(amount)::bigint::text AS total FROM governance.monitor_samples WHERE kind = $1 AND at >= $2 GROUP BY key`,
      [kind, since],
    )) as Array<{ key: string; total: string }>;
    return Object.fromEntries(rows.map((r) => [r.key, Number(r.total)]));
  }

  /** Drops samples older than any window the monitor reads. */
  async prune(before: Date): Promise<void> {
    await this.db.query(`DELETE FROM governance.monitor_samples WHERE at < $1`, [before]);
  }
}
