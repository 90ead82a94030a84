import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

export type SampleKind =
  'task_outcome' | 'worker_failure' | 'spend' | 'dead_letter' | 'ledger_conflict' | 'reconciliation';

@Injectable()
export class MonitorSamplesRepository {
  constructor(private readonly db: DataSource) {}

  /** Records a fact once: a redelivered event with the same dedupe key changes nothing. */
  async add(
    kind: SampleKind,
    key: string,
    amount: number,
    at: Date,
    dedupe: string,
    detail?: Record<string, unknown>,
  ): Promise<void> {
    await this.db.query(
      `INSERT INTO governance.monitor_samples (kind, key, amount, at, dedupe, detail) VALUES ($1, $2, $3, $4, $5, $6::jsonb)
       ON CONFLICT (dedupe) DO NOTHING`,
      [kind, key, amount, at, dedupe, detail ? JSON.stringify(detail) : null],
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
