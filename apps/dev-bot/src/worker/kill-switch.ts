import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { type PolicyDocumentV1, Subjects } from '@juggernaut/contracts';
import { Bus } from '@juggernaut/messaging';
import { LOGGER } from '@juggernaut/service-kit';
import type { Subscription } from '@nats-io/transport-node';
import type { Logger } from 'pino';

type Listener = (engaged: boolean, reason: string) => void;

/**
 * The policy's kill switch as dev-bot knows it: fetched at boot and every 15 s
 * (`juggernaut.policy.get.v1`), and pushed by every `juggernaut.policy.changed.v1` (older versions
 * ignored). Listeners hear an engage at once, so running changes stop within the push's latency.
 */
@Injectable()
export class KillSwitch implements OnApplicationBootstrap, OnModuleDestroy {
  private version = -1;
  private engagedNow = false;
  private reasonNow = 'kill switch engaged';
  private sub?: Subscription;
  private timer?: NodeJS.Timeout;
  private readonly listeners = new Set<Listener>();

  constructor(
    private readonly bus: Bus,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    this.sub = this.bus.listen(Subjects.policyChanged, (doc) => {
      if (typeof doc.version === 'number' && doc.killSwitch) this.apply(doc as PolicyDocumentV1);
    });
    void this.fetch();
    this.timer = setInterval(() => void this.fetch(), 15_000);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    this.sub?.unsubscribe();
    if (this.timer) clearInterval(this.timer);
  }

  get engaged(): boolean {
    return this.engagedNow;
  }

  onChange(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private apply(doc: PolicyDocumentV1): void {
    if (doc.version < this.version) return;
    this.version = doc.version;
    const was = this.engagedNow;
    this.engagedNow = doc.killSwitch.engaged === true;
    this.reasonNow = doc.killSwitch.reason ?? 'kill switch engaged';
    if (was !== this.engagedNow) {
      this.logger.warn({ engaged: this.engagedNow, reason: this.reasonNow }, 'kill switch changed');
      for (const l of this.listeners) l(this.engagedNow, this.reasonNow);
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
