import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { PolicyDocumentV1, Subjects } from '@juggernaut/contracts';
import { Bus, validatePayload } from '@juggernaut/messaging';
import { LOGGER } from '@juggernaut/service-kit';
import type { Subscription } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import { DispatchPolicy } from './dispatch-policy';

const RETRY_MS = 2_000;

/**
 * Keeps the dispatcher's policy current: fetched with `policy.get` at boot (retried until
 * governance-api answers) and replaced by every `policy.changed` pushed over NATS, so a kill
 * switch takes effect on the next claim, well within a second.
 */
@Injectable()
export class PolicyFollower implements OnApplicationBootstrap, OnModuleDestroy {
  private sub?: Subscription;
  private retry?: NodeJS.Timeout;
  private stopped = false;

  constructor(
    private readonly bus: Bus,
    private readonly policy: DispatchPolicy,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    this.sub = this.bus.listen(Subjects.policyChanged, (body) => this.receive(body, 'pushed'));
    void this.fetch(true);
  }

  onModuleDestroy(): void {
    this.stopped = true;
    clearTimeout(this.retry);
    this.sub?.unsubscribe();
  }

  private async fetch(first: boolean): Promise<void> {
    try {
      this.receive(await this.bus.request(Subjects.policyGet, {}, 2_000), 'fetched');
    } catch (e) {
      if (this.stopped) return;
      if (first) this.logger.warn({ reason: (e as Error).message }, 'could not fetch the policy from governance-api yet; retrying until it answers');
      this.retry = setTimeout(() => void this.fetch(false), RETRY_MS);
      this.retry.unref();
    }
  }

  private receive(body: unknown, how: 'pushed' | 'fetched'): void {
    const checked = validatePayload(PolicyDocumentV1, body);
    if (!checked.ok) {
      this.logger.warn({ reason: checked.reason }, `ignored an invalid ${how} policy`);
      return;
    }
    if (this.policy.apply(checked.value)) {
      this.logger.info({ version: checked.value.version, killSwitch: checked.value.killSwitch.engaged }, `policy ${how} and applied`);
    }
  }
}
