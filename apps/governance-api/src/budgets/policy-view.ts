import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { type PolicyDocumentV1, Subjects } from '@juggernaut/contracts';
import { Bus } from '@juggernaut/messaging';
import { PolicyFollower } from '@juggernaut/policy';
import { LOGGER } from '@juggernaut/service-kit';
import type { Logger } from 'pino';

/**
 * The policy document as budgets see it, through the shared PolicyFollower (governance's own
 * `juggernaut.policy.get.v1` answers, whichever replica gives them). Budgets depend on the policy
 * contract only, not on the policies module's internals, and fail closed without a policy.
 */
@Injectable()
export class PolicyView implements OnApplicationBootstrap, OnModuleDestroy {
  private unwatch?: () => void;

  constructor(
    private readonly follower: PolicyFollower,
    private readonly bus: Bus,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    this.unwatch = this.follower.onChange((doc, previous) => {
      // Caps changed: tasks parked for budget get another look (a call that still does not fit parks them again, unmade).
      if (previous && JSON.stringify(previous.budgets) !== JSON.stringify(doc.budgets)) {
        this.bus
          .request(Subjects.taskUnblock, { blockedOn: 'budget' })
          .catch((e: unknown) => this.logger.warn({ err: e }, 'could not release tasks blocked on budget'));
      }
    });
  }

  onModuleDestroy(): void {
    this.unwatch?.();
  }

  /** The current policy; throws when none can be had (budgets then refuse: they fail closed). */
  async current(): Promise<PolicyDocumentV1> {
    const doc = this.follower.current ?? (await this.follower.ensure(3_000));
    if (!doc) {
      this.logger.warn('policy unavailable; budget reservations are refused');
      throw new Error('policy unavailable');
    }
    return doc;
  }
}
