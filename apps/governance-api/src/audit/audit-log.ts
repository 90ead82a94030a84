import { Injectable } from '@nestjs/common';
import { currentCorrelationId, Metrics, redact } from '@juggernaut/observability';
import { toStorable } from '@juggernaut/messaging';
import type { Queryable } from '@juggernaut/persistence';
import type { Caller } from '../auth/roles';
import { AuditRepository } from './audit.repository';

/** Who did it: an API-key caller, or the system itself (an expiry timer, the monitor, a NATS request). */
export type AuditActor = Caller | { system: string };

export interface AuditEvent {
  actor: AuditActor;
  /** Dotted verb, e.g. `policy.update`, `approval.approve`, `api_key.revoke`, `http.post`. */
  action: string;
  resourceType: string;
  resourceId?: string | null;
  before?: unknown;
  after?: unknown;
  details?: unknown;
}

/** Largest JSON kept for one of before/after/details; bigger values are cut to a marker. */
const MAX_JSON = 16 * 1024;

/** Redacted, storable (an entry about a request that quoted unstorable text still commits) and bounded. */
function bounded(value: unknown): unknown {
  if (value === undefined || value === null) return null;
  const clean = toStorable(redact(value));
  const text = JSON.stringify(clean);
  return text.length > MAX_JSON ? { truncated: true, bytes: text.length } : clean;
}

/**
 * Appends to the audit log. Governance decisions pass their transaction so the entry commits
 * with the change (or not at all); values are redacted and size-bounded before they are stored.
 */
@Injectable()
export class AuditLog {
  private readonly entries;

  constructor(
    private readonly repo: AuditRepository,
    metrics: Metrics,
  ) {
    this.entries = metrics.counter('juggernaut_audit_entries_total', 'Entries appended to the audit log', ['action']);
  }

  /** Appends the entry (in `tx` when given) and answers its id. */
  async record(e: AuditEvent, tx?: Queryable): Promise<string> {
    const caller = 'system' in e.actor ? undefined : e.actor;
    const id = await this.repo.append(
      {
        actor: caller ? caller.name : `system:${(e.actor as { system: string }).system}`,
        actorKeyId: caller?.keyId ?? null,
        actorRole: caller?.role ?? null,
        action: e.action,
        resourceType: e.resourceType,
        resourceId:
          e.resourceId === undefined || e.resourceId === null ? null : toStorable(e.resourceId).slice(0, 1_000),
        before: bounded(e.before),
        after: bounded(e.after),
        details: bounded(e.details),
        correlationId: currentCorrelationId() ?? null,
      },
      tx,
    );
    this.entries.inc({ action: e.action.split('.').slice(0, 2).join('.') });
    return id;
  }
}
