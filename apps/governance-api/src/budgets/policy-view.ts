import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { type PolicyDocumentV1, Subjects } from '@juggernaut/contracts';
import { Bus } from '@juggernaut/messaging';
import { LOGGER } from '@juggernaut/service-kit';
import type { Subscription } from '@nats-io/transport-node';
import type { Logger } from 'pino';

/**
 * The policy document as budgets see it: asked for over `juggernaut.policy.get.v1` (whichever
 * replica of the policies feature answers), kept current by `juggernaut.policy.changed.v1`.
 * Budgets depend on the policy contract only, not on the policies module's internals.
 */
@Injectable()
export class PolicyView implements OnApplicationBootstrap, OnModuleDestroy {
  private doc?: PolicyDocumentV1;
  private sub?: Subscription;

  constructor(
    private readonly bus: Bus,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    this.sub = this.bus.listen(Subjects.policyChanged, (doc) => {
      if (typeof doc.version !== 'number' || !doc.budgets) return;
      const before = this.doc?.budgets;
      this.accept(doc as PolicyDocumentV1);
      // Caps changed: tasks parked for budget get another look (a call that still does not fit parks them again, unmade).
      if (before && JSON.stringify(before) !== JSON.stringify(doc.budgets)) {
        this.bus.request(Subjects.taskUnblock, { blockedOn: 'budget' }).catch((e: unknown) => this.logger.warn({ err: e }, 'could not release tasks blocked on budget'));
      }
    });
  }

  onModuleDestroy(): void {
    this.sub?.unsubscribe();
  }

  /** Keeps the newest version: a push and a fetch may arrive in either order. */
  private accept(doc: PolicyDocumentV1): void {
    if (!this.doc || doc.version >= this.doc.version) this.doc = doc;
  }

  /** The current policy; throws when none can be had (budgets then refuse: they fail closed). */
  async current(): Promise<PolicyDocumentV1> {
    if (this.doc) return this.doc;
    try {
      const doc = await this.bus.request(Subjects.policyGet, {}, 3_000);
      this.accept(doc);
      return this.doc ?? doc;
    } catch (e) {
      this.logger.warn({ err: e }, 'policy unavailable; budget reservations are refused');
      throw new Error('policy unavailable');
    }
  }
}
