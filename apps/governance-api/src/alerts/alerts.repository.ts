import { Injectable } from '@nestjs/common';
import type { AlertKind } from '@juggernaut/contracts';
import { type Cursor, type Narrow, type Queryable, rowsOf } from '@juggernaut/persistence';
import { DataSource } from 'typeorm';
import type { Finding } from './conditions';
import type { GovernanceAlerts } from '../db/schema.generated';

export type AlertRow = Narrow<
  GovernanceAlerts,
  { severity: 'info' | 'warning' | 'critical'; details: Record<string, unknown> | null; status: 'active' | 'resolved' }
>;

@Injectable()
export class AlertsRepository {
  constructor(private readonly db: DataSource) {}

  /** Raises an alert, or refreshes the active one of the same kind and key; `raised` is true for a new one. */
  async upsert(f: Finding, tx: Queryable): Promise<{ row: AlertRow; raised: boolean }> {
    const rows = (await tx.query(
      `INSERT INTO governance.alerts (kind, key, severity, message, details) VALUES ($1, $2, $3, $4, $5::jsonb)
       ON CONFLICT (kind, key) WHERE status = 'active'
       DO UPDATE SET last_seen_at = now(), severity = EXCLUDED.severity, message = EXCLUDED.message, details = EXCLUDED.details
       RETURNING *, (xmax = 0) AS raised`,
      [f.kind, f.key, f.severity, f.message, JSON.stringify(f.details)],
    )) as Array<AlertRow & { raised: boolean }>;
    const { raised, ...row } = rows[0]!;
    return { row, raised };
  }

  /** Resolves active alerts of the judged kinds whose condition is no longer among the findings. */
  async resolveCleared(kinds: AlertKind[], still: Finding[], tx: Queryable): Promise<AlertRow[]> {
    return rowsOf<AlertRow>(
      await tx.query(
        `UPDATE governance.alerts SET status = 'resolved', resolved_at = now()
       WHERE status = 'active' AND kind = ANY($1::text[])
         AND (kind, key) NOT IN (SELECT * FROM unnest($2::text[], $3::text[]))
       RETURNING *`,
        [kinds, still.map((f) => f.kind), still.map((f) => f.key)],
      ),
    );
  }

  async list(f: { status?: string; kind?: string }, limit: number, after?: Cursor): Promise<AlertRow[]> {
    return this.db.query(
      `SELECT * FROM governance.alerts
       WHERE ($1::text IS NULL OR status = $1) AND ($2::text IS NULL OR kind = $2)
         AND ($3::timestamptz IS NULL OR (raised_at, id) < ($3::timestamptz, $4::uuid))
       ORDER BY raised_at DESC, id DESC LIMIT $5`,
      [f.status ?? null, f.kind ?? null, after?.at ?? null, after?.id ?? null, limit],
    );
  }

  async get(id: string): Promise<AlertRow | undefined> {
    const rows = (await this.db.query(`SELECT * FROM governance.alerts WHERE id = $1`, [id])) as AlertRow[];
    return rows[0];
  }

  async activeByKind(): Promise<Record<string, number>> {
    const rows = (await this.db.query(
      `SELECT kind, count(*)::int AS n FROM governance.alerts WHERE status = 'active' GROUP BY kind`,
    )) as Array<{ kind: string; n: number }>;
    return Object.fromEntries(rows.map((r) => [r.kind, r.n]));
  }
}
