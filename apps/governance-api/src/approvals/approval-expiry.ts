import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { APP_CONFIG, LOGGER } from '@juggernaut/service-kit';
import type { Logger } from 'pino';
import type { GovernanceEnv } from '../config';
import { ApprovalsService } from './approvals.service';

/** The timer that moves pending approvals past their time to `expired`, which stops the waiting work. */
@Injectable()
export class ApprovalExpiry implements OnApplicationBootstrap, OnModuleDestroy {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;

  constructor(
    private readonly approvals: ApprovalsService,
    @Inject(APP_CONFIG) private readonly config: GovernanceEnv,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => {
      if (this.running) return;
      this.running = this.sweep().finally(() => (this.running = undefined));
    }, this.config.JUGGERNAUT_APPROVAL_SWEEP_MS);
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  private async sweep(): Promise<void> {
    try {
      while ((await this.approvals.expireDue()) > 0) {
        // keep going until nothing is due
      }
    } catch (e) {
      this.logger.warn({ err: e }, 'approval expiry sweep failed; will retry');
    }
  }
}
