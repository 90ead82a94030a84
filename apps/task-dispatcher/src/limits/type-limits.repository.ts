import { Injectable } from '@nestjs/common';
import type { SetTaskTypeLimitsV1, TaskTypeLimitsViewV1 } from '@juggernaut/contracts';
import { DataSource, type EntityManager } from 'typeorm';

interface LimitRow {
  type: string;
  max_concurrency: number | null;
  rate_per_second: number | null;
  burst: number | null;
  lease_seconds: number | null;
  tokens: number;
  refilled_at: Date;
}

export function toLimitsView(r: LimitRow): TaskTypeLimitsViewV1 {
  return { type: r.type, maxConcurrency: r.max_concurrency, ratePerSecond: r.rate_per_second, burst: r.burst, leaseSeconds: r.lease_seconds };
}

/**
 * Per-type concurrency caps, token-bucket rate limits and lease lengths. Only types listed here pay
 * for limit checks when claiming; the set is cached and refreshed every few seconds so replicas
 * converge on changes made through another one.
 */
@Injectable()
export class TypeLimitsRepository {
  private cache = new Map<string, TaskTypeLimitsViewV1>();
  private loadedAt = 0;

  constructor(private readonly db: DataSource) {}

  async set(input: SetTaskTypeLimitsV1): Promise<TaskTypeLimitsViewV1> {
    const burst = input.burst ?? input.ratePerSecond ?? null;
    const rows: LimitRow[] = await this.db.query(
      `INSERT INTO dispatch.type_limits (type, max_concurrency, rate_per_second, burst, lease_seconds, tokens, refilled_at)
       VALUES ($1, $2, $3, $4, $5, coalesce($4, 0), now())
       ON CONFLICT (type) DO UPDATE SET max_concurrency = $2, rate_per_second = $3, burst = $4, lease_seconds = $5,
         tokens = least(dispatch.type_limits.tokens, coalesce($4, 0)), refilled_at = now()
       RETURNING *`,
      [input.type, input.maxConcurrency ?? null, input.ratePerSecond ?? null, burst, input.leaseSeconds ?? null],
    );
    this.loadedAt = 0;
    return toLimitsView(rows[0]!);
  }

  async list(): Promise<TaskTypeLimitsViewV1[]> {
    const rows: LimitRow[] = await this.db.query(`SELECT * FROM dispatch.type_limits ORDER BY type`);
    return rows.map(toLimitsView);
  }

  /** Limits of the given types, from a cache at most 2 s old. */
  async cached(types: string[]): Promise<Map<string, TaskTypeLimitsViewV1>> {
    if (Date.now() - this.loadedAt > 2_000) {
      this.cache = new Map((await this.list()).map((l) => [l.type, l]));
      this.loadedAt = Date.now();
    }
    const out = new Map<string, TaskTypeLimitsViewV1>();
    for (const t of types) {
      const l = this.cache.get(t);
      if (l) out.set(t, l);
    }
    return out;
  }

  /**
   * Inside a claim transaction: locks the limit rows of the given types, then — in a second
   * statement, whose snapshot is taken after the lock, so the claims committed by whoever held it
   * are counted — returns how many tasks of each may start now (concurrency left, tokens left).
   * The bucket is refilled on the database's clock, the same clock that stamps `refilled_at`.
   */
  async allowances(em: EntityManager, types: string[]): Promise<Map<string, number>> {
    await em.query(`SELECT type FROM dispatch.type_limits WHERE type = ANY($1::text[]) ORDER BY type FOR UPDATE`, [types]);
    const rows: Array<{ type: string; slots: number | null; tokens: number | null }> = await em.query(
      `SELECT l.type,
         CASE WHEN l.max_concurrency IS NULL THEN NULL
              ELSE greatest(0, l.max_concurrency - (SELECT count(*)::int FROM dispatch.tasks t WHERE t.type = l.type AND t.status = 'running')) END AS slots,
         CASE WHEN l.rate_per_second IS NULL THEN NULL
              ELSE floor(least(coalesce(l.burst, l.rate_per_second),
                l.tokens + greatest(0, extract(epoch FROM clock_timestamp() - l.refilled_at)) * l.rate_per_second))::int END AS tokens
       FROM dispatch.type_limits l WHERE l.type = ANY($1::text[])`,
      [types],
    );
    const out = new Map<string, number>();
    for (const r of rows) {
      out.set(r.type, Math.min(r.slots ?? Number.POSITIVE_INFINITY, r.tokens ?? Number.POSITIVE_INFINITY));
    }
    return out;
  }

  /** Takes tokens for the tasks just claimed, refilling first on the database's clock (which never runs backwards here). */
  async consume(em: EntityManager, taken: Map<string, number>): Promise<void> {
    if (taken.size === 0) return;
    await em.query(
      `UPDATE dispatch.type_limits l SET
         tokens = greatest(0, least(coalesce(l.burst, l.rate_per_second),
           l.tokens + greatest(0, extract(epoch FROM c.now - l.refilled_at)) * l.rate_per_second) - i.n),
         refilled_at = greatest(l.refilled_at, c.now)
       FROM unnest($1::text[], $2::int[]) AS i(type, n), (SELECT clock_timestamp() AS now) c
       WHERE l.type = i.type AND l.rate_per_second IS NOT NULL`,
      [[...taken.keys()], [...taken.values()]],
    );
  }
}
