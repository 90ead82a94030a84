import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { minimumLevel, type PolicyDocumentV1, Subjects } from '@juggernaut/contracts';
import { Bus } from '@juggernaut/messaging';
import { LOGGER } from '@juggernaut/service-kit';
import type { Subscription } from '@nats-io/transport-node';
import type { Logger } from 'pino';

type KillListener = (engaged: boolean, reason: string | undefined) => void;

/**
 * The policy in force, as this runner knows it: fetched with `juggernaut.policy.get.v1` at boot
 * (retried until governance answers) and replaced by every `juggernaut.policy.changed.v1` push
 * (older versions are ignored). Kill-switch listeners hear about an engage at once, so running
 * work is aborted within the push's latency, not at the next step.
 */
@Injectable()
export class PolicyState implements OnApplicationBootstrap, OnModuleDestroy {
  private doc: PolicyDocumentV1 | undefined;
  private sub?: Subscription;
  private refresher?: NodeJS.Timeout;
  private readonly listeners = new Set<KillListener>();

  constructor(
    private readonly bus: Bus,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    this.sub = this.bus.listen(Subjects.policyChanged, (doc) => {
      if (typeof doc.version === 'number' && doc.killSwitch && doc.budgets && doc.permissions && doc.approvals) this.apply(doc as PolicyDocumentV1);
    });
    void this.fetch();
    // A lost push is caught up by a slow refresh.
    this.refresher = setInterval(() => void this.fetch(), 15_000);
    this.refresher.unref();
  }

  onModuleDestroy(): void {
    this.sub?.unsubscribe();
    if (this.refresher) clearInterval(this.refresher);
  }

  get current(): PolicyDocumentV1 | undefined {
    return this.doc;
  }

  get killSwitchEngaged(): boolean {
    return this.doc?.killSwitch.engaged === true;
  }

  get killSwitchReason(): string {
    return this.doc?.killSwitch.reason ?? 'kill switch engaged';
  }

  /** Loads the policy if this runner has none yet (a first task may arrive before the boot fetch answered). */
  async ensure(): Promise<PolicyDocumentV1 | undefined> {
    if (!this.doc) await this.fetch();
    return this.doc;
  }

  onKillSwitch(listener: KillListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The level a tool needs: its own minimum, raised (never lowered) by the policy. */
  toolLevel(tool: string, ownMinimum: number): number {
    return Math.max(ownMinimum, this.doc ? minimumLevel(this.doc.permissions.tools, tool) : 1);
  }

  /** Why a call needs a human's approval (listed tool, or money above the threshold), or null. */
  approvalReason(tool: string, amountMinor: number | undefined): string | null {
    if (this.doc?.approvals.toolsRequiringApproval.includes(tool)) return `policy requires approval for ${tool}`;
    const above = this.doc?.approvals.spendAboveMinor;
    if (above !== undefined && amountMinor !== undefined && amountMinor > above) return `${tool} commits ${amountMinor} minor units, above the approval threshold of ${above}`;
    return null;
  }

  apply(doc: PolicyDocumentV1): void {
    if (this.doc && doc.version < this.doc.version) return;
    const was = this.killSwitchEngaged;
    this.doc = doc;
    if (was !== doc.killSwitch.engaged) {
      this.logger.warn({ engaged: doc.killSwitch.engaged, reason: doc.killSwitch.reason }, 'kill switch changed');
      for (const l of this.listeners) l(doc.killSwitch.engaged, doc.killSwitch.reason);
    }
  }

  private async fetch(): Promise<void> {
    try {
      this.apply(await this.bus.request(Subjects.policyGet, {}, 2_000));
    } catch (e) {
      this.logger.debug({ err: e }, 'policy not available yet');
    }
  }
}
