import { Injectable } from '@nestjs/common';
import { type Cursor, type Queryable } from '@juggernaut/persistence';
import { DataSource } from 'typeorm';
import type { GovernanceAuditLog } from '../db/schema.generated';

export type AuditRow = GovernanceAuditLog;

export interface AuditInsert {
  actor: string;
  actorKeyId: string | null;
  actorRole: string | null;
  action: string;
  resourceType: string;
  resourceId: string | null;
  before: unknown;
  after: unknown;
  details: unknown;
  correlationId: string | null;
}

export interface AuditFilter {
  actor?: string;
  action?: string;
  resourceType?: string;
  resourceId?: string;
  since?: string;
  until?: string;
}

const json = (v: unknown): string | null => (v === undefined || v === null ? null : JSON.stringify(v));

@Injectable()
export class AuditRepository {
  constructor(private readonly db: DataSource) {}

  /** Appends one entry and answers its id; pass the caller's transaction so the entry commits with the change it records. */
  async append(e: AuditInsert, tx: Queryable = this.db): Promise<string> {
    const rows = (await tx.query(
      `INSERT INTO governance.audit_log (actor, actor_key_id, actor_role, action, resource_type, resource_id, before, after, details, correlation_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8::jsonb, $9::jsonb, $10) RETURNING id::text AS id`,
      [
        e.actor,
        e.actorKeyId,
        e.actorRole,
        e.action,
        e.resourceType,
        e.resourceId,
        json(e.before),
        json(e.after),
        json(e.details),
        e.correlationId,
      ],
    )) as Array<Pick<GovernanceAuditLog, 'id'>>;
    return rows[0]!.id;
  }

  /** Newest first, keyset-paginated; every filter is a bound parameter (NULL means "any"). */
  async list(f: AuditFilter, limit: number, after?: Cursor): Promise<AuditRow[]> {
    return this.db.query(
      `SELECT * FROM governance.audit_log
       WHERE ($1::text IS NULL OR actor = $1)
         AND ($2::text IS NULL OR action = $2 OR starts_with(action, $2 || '.'))
         AND ($3::text IS NULL OR resource_type = $3)
         AND ($4::text IS NULL OR resource_id = $4)
         AND ($5::timestamptz IS NULL OR at >= $5)
         AND ($6::timestamptz IS NULL OR at < $6)
         AND ($7::timestamptz IS NULL OR (at, id) < ($7::timestamptz, $8::bigint))
       ORDER BY at DESC, id DESC LIMIT $9`,
      [
        f.actor ?? null,
        f.action ?? null,
        f.resourceType ?? null,
        f.resourceId ?? null,
        f.since ?? null,
        f.until ?? null,
        after?.at ?? null,
        after?.id ?? null,
        limit,
      ],
    );
  }
}
