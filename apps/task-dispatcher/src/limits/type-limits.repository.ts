import { Injectable } from '@nestjs/common';
import type { SetTaskTypeLimitsV1, TaskTypeLimitsViewV1 } from '@juggernaut/contracts';
import { rowsOf } from '@juggernaut/persistence';
import { DataSource, type EntityManager } from 'typeorm';
import type { DispatchTypeLimits } from '../db/schema.generated';
import { allowanceOf } from './claim-allowance';
import { tokensAllowed, tokensLeft } from './token-bucket';

type LimitRow = DispatchTypeLimits;

export function toLimitsView(r: LimitRow): TaskTypeLimitsViewV1 {
  return {
    type: r.type,
    maxConcurrency: r.max_concurrency,
    ratePerSecond: r.rate_per_second,
    burst: r.burst,
    leaseSeconds: r.lease_seconds,
    timeoutSeconds: r.timeout_seconds,
    maxAttempts: r.max_attempts,
    retry: {
      ...(r.retry_base_ms !== null ? { backoffBaseMs: r.retry_base_ms } : {}),
      ...(r.retry_max_ms !== null ? { backoffMaxMs: r.retry_max_ms } : {}),
      ...(r.terminal_errors ? { terminalErrors: r.terminal_errors } : {}),
    },
    paused: r.paused,
    pausedReason: r.paused_reason,
    pausedAt: r.paused_at?.toISOString() ?? null,
  };
}

/**
 * Per-type settings: concurrency caps, token-bucket rate limits, lease lengths, execution timeouts,
 * retry policy, and pausing. Only types with a concurrency cap or a rate limit pay for limit checks
 * when claiming; that set is cached and refreshed every few seconds so replicas converge on changes
 * made through another one. A pause is read by every claim from the table itself, so it holds at
 * once on every replica.
 */
@Injectable()
export class TypeLimitsRepository {
  private cache = new Map<string, TaskTypeLimitsViewV1>();
  private loadedAt = 0;

  constructor(private readonly db: DataSource) {}

  /** Sets every setting of a type at once (what the input leaves out is cleared); a pause is kept. */
  async set(input: SetTaskTypeLimitsV1): Promise<TaskTypeLimitsViewV1> {
    const burst = input.burst ?? input.ratePerSecond ?? null;
    const rows: LimitRow[] = await this.db.query(
      `INSERT INTO dispatch.type_limits (type, max_concurrency, rate_per_second, burst, lease_seconds, timeout_seconds, max_attempts,
         retry_base_ms, retry_max_ms, terminal_errors, tokens, refilled_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, coalesce($4, 0), now())
       ON CONFLICT (type) DO UPDATE SET max_concurrency = $2, rate_per_second = $3, burst = $4, lease_seconds = $5,
         timeout_seconds = $6, max_attempts = $7, retry_base_ms = $8, retry_max_ms = $9, terminal_errors = $10,
         tokens = least(dispatch.type_limits.tokens, coalesce($4, 0)), refilled_at = now()
       RETURNING *`,
      [
        input.type,
        input.maxConcurrency ?? null,
        input.ratePerSecond ?? null,
        burst,
        input.leaseSeconds ?? null,
        input.timeoutSeconds ?? null,
        input.maxAttempts ?? null,
        input.retry?.backoffBaseMs ?? null,
        input.retry?.backoffMaxMs ?? null,
        input.retry?.terminalErrors ?? null,
      ],
    );
    this.loadedAt = 0;
    return toLimitsView(rows[0]!);
  }

  /** Pauses a type: no task of it is handed out until it is resumed (running ones finish). */
  async pause(type: string, reason: string | undefined): Promise<TaskTypeLimitsViewV1> {
    const rows: LimitRow[] = await this.db.query(
      `INSERT INTO dispatch.type_limits (type, paused, paused_reason, paused_at) VALUES ($1, true, $2, now())
       ON CONFLICT (type) DO UPDATE SET paused = true, paused_reason = $2, paused_at = now()
       RETURNING *`,
      [type, reason ?? null],
    );
    return toLimitsView(rows[0]!);
  }

  async resume(type: string): Promise<TaskTypeLimitsViewV1 | undefined> {
    const rows: LimitRow[] = rowsOf(
      await this.db.query(
        `UPDATE dispatch.type_limits SET paused = false, paused_reason = NULL, paused_at = NULL WHERE type = $1 AND paused RETURNING *`,
        [type],
      ),
    );
    return rows[0] ? toLimitsView(rows[0]) : undefined;
  }

  async pausedCount(): Promise<number> {
    const [r] = (await this.db.query(`SELECT count(*)::int AS n FROM dispatch.type_limits WHERE paused`)) as Array<{
      n: number;
    }>;
    return r?.n ?? 0;
  }

  async list(): Promise<TaskTypeLimitsViewV1[]> {
    const rows: LimitRow[] = await this.db.query(`SELECT * FROM dispatch.type_limits ORDER BY type`);
    return rows.map(toLimitsView);
  }

  /** The given types that have a concurrency cap or a rate limit, from a cache at most 2 s old. */
  async cached(types: string[]): Promise<Map<string, TaskTypeLimitsViewV1>> {
    if (performance.now() - this.loadedAt > 2_000 || this.loadedAt === 0) {
      this.cache = new Map(
        (await this.list())
          .filter((l) => l.maxConcurrency !== null || l.ratePerSecond !== null)
          .map((l) => [l.type, l]),
      );
      this.loadedAt = performance.now();
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
    await em.query(`SELECT type FROM dispatch.type_limits WHERE type = ANY($1::text[]) ORDER BY type FOR UPDATE`, [
      types,
    ]);
    const rows: Array<{ type: string; slots: number | null; tokens: number | null }> = await em.query(
      `SELECT l.type,
         CASE WHEN l.max_concurrency IS NULL THEN NULL
              ELSE greatest(0, l.max_concurrency - (SELECT count(*)::int FROM dispatch.tasks t WHERE t.type = l.type AND t.status = 'running')) END AS slots,
         CASE WHEN l.rate_per_second IS NULL THEN NULL
              ELSE ${tokensAllowed('clock_timestamp()')} END AS tokens
       FROM dispatch.type_limits l WHERE l.type = ANY($1::text[])`,
      [types],
    );
    const out = new Map<string, number>();
    for (const r of rows) {
      out.set(r.type, allowanceOf(r.slots, r.tokens));
    }
    return out;
  }

  /** Takes tokens for the tasks just claimed, refilling first on the database's clock (which never runs backwards here). */
  async consume(em: EntityManager, taken: Map<string, number>): Promise<void> {
    if (taken.size === 0) return;
    await em.query(
      `UPDATE dispatch.type_limits l SET
         tokens = ${tokensLeft('c.now', 'i.n')},
         refilled_at = greatest(l.refilled_at, c.now)
       FROM unnest($1::text[], $2::int[]) AS i(type, n), (SELECT clock_timestamp() AS now) c
       WHERE l.type = i.type AND l.rate_per_second IS NOT NULL`,
      [[...taken.keys()], [...taken.values()]],
    );
  }
}
