import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { type PolicyDocumentV1, Subjects } from '@juggernaut/contracts';
import { Bus } from '@juggernaut/messaging';
import { LOGGER } from '@juggernaut/service-kit';
import type { Logger } from 'pino';
import { PoliciesService } from '../policies/policies.service';

/**
 * The policy document as budgets see it: the version in force, read in this process from the
 * policies module (governance owns the policy; it does not ask itself over NATS), so a changed cap
 * applies to the next reservation. Budgets fail closed when it cannot be read.
 */
@Injectable()
export class PolicyView implements OnApplicationBootstrap, OnModuleDestroy {
  private unwatch?: () => void;

  constructor(
    private readonly policies: PoliciesService,
    private readonly bus: Bus,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    this.unwatch = this.policies.onChange((doc, previous) => {
      // Caps changed: tasks parked for budget get another look (a call that still does not fit parks them again, unmade).
      if (JSON.stringify(previous.budgets) !== JSON.stringify(doc.budgets)) {
        this.bus
          .request(Subjects.taskUnblock, { blockedOn: 'budget' })
          .catch((e: unknown) => this.logger.warn({ err: e }, 'could not release tasks blocked on budget'));
      }
    });
  }

  onModuleDestroy(): void {
    this.unwatch?.();
  }

  /** The current policy; throws when it cannot be read (budgets then refuse: they fail closed). */
  async current(): Promise<PolicyDocumentV1> {
    try {
      return await this.policies.current();
    } catch (e) {
      this.logger.warn({ err: e }, 'policy unavailable; budget reservations are refused');
      throw new Error('policy unavailable');
    }
  }
}
