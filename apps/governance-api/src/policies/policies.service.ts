import { Injectable } from '@nestjs/common';
import { type KillSwitchV1, type PolicyDocumentV1, type PolicySettingsV1, Subjects } from '@juggernaut/contracts';
import { currentCorrelationId, Metrics } from '@juggernaut/observability';
import { enqueueEvent } from '@juggernaut/persistence';
import { DataSource, type EntityManager } from 'typeorm';
import { type AuditActor, AuditLog } from '../audit/audit-log';
import { PoliciesRepository, type StoredPolicy } from './policies.repository';

export type PolicyChangeListener = (doc: PolicyDocumentV1, previous: PolicyDocumentV1) => void;

function actorName(a: AuditActor): string {
  return 'system' in a ? `system:${a.system}` : a.name;
}

/**
 * The policy: budgets, permissions, approval thresholds and the kill switch. Every change is a
 * new version, written with its audit entry and its `policy.changed` event in one transaction;
 * the outbox relay publishes the event at commit, and JetStream delivers it to core listeners
 * (dispatcher, runners) at once.
 */
@Injectable()
export class PoliciesService {
  private readonly listeners = new Set<PolicyChangeListener>();

  constructor(
    private readonly db: DataSource,
    private readonly repo: PoliciesRepository,
    private readonly audit: AuditLog,
    metrics: Metrics,
  ) {
    const store = this.repo;
    metrics.gauge('juggernaut_policy_version', 'Version of the policy in force', [], async function () {
      this.set((await store.current()).version);
    });
    metrics.gauge('juggernaut_kill_switch_engaged', '1 while the kill switch is engaged', [], async function () {
      this.set((await store.current()).killSwitch.engaged ? 1 : 0);
    });
  }

  current(): Promise<PolicyDocumentV1> {
    return this.repo.current();
  }

  /** Called after each new version this process commits, with the version it replaced. */
  onChange(listener: PolicyChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Replaces budgets, permissions and approval thresholds; the kill switch keeps its state. */
  async update(settings: PolicySettingsV1, by: AuditActor): Promise<PolicyDocumentV1> {
    return this.change(by, 'policy.update', (prev) => ({
      budgets: settings.budgets,
      permissions: settings.permissions,
      approvals: settings.approvals,
      killSwitch: prev.killSwitch,
    }));
  }

  /** Engages or releases the kill switch. Setting the state it already has changes nothing. */
  async setKillSwitch(ks: KillSwitchV1, by: AuditActor): Promise<PolicyDocumentV1> {
    return this.change(by, ks.engaged ? 'kill_switch.engage' : 'kill_switch.release', (prev) => {
      if (prev.killSwitch.engaged === ks.engaged && (prev.killSwitch.reason ?? null) === (ks.reason ?? null))
        return undefined;
      return {
        budgets: prev.budgets,
        permissions: prev.permissions,
        approvals: prev.approvals,
        killSwitch: { engaged: ks.engaged, ...(ks.reason ? { reason: ks.reason } : {}) },
      };
    });
  }

  private async change(
    by: AuditActor,
    action: string,
    next: (prev: PolicyDocumentV1) => StoredPolicy | undefined,
  ): Promise<PolicyDocumentV1> {
    const change = await this.db.transaction(async (tx: EntityManager) => {
      const prev = await this.repo.current(tx, true);
      const doc = next(prev);
      if (!doc) return { saved: prev };
      const saved = await this.repo.insert(prev.version + 1, plain(doc), actorName(by), tx);
      await this.audit.record(
        { actor: by, action, resourceType: 'policies', resourceId: String(saved.version), before: prev, after: saved },
        tx,
      );
      await enqueueEvent(tx, 'governance', Subjects.policyChanged, saved, currentCorrelationId());
      return { saved, prev };
    });
    if (change.prev) for (const listener of this.listeners) listener(change.saved, change.prev);
    return change.saved;
  }
}

/** Validated DTOs are class instances; store them as plain JSON without undefined fields. */
function plain<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}
