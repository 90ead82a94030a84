import { Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { Subjects } from '@juggernaut/contracts';
import { Bus } from '@juggernaut/messaging';
import type { Subscription } from '@nats-io/transport-node';
import { PoliciesService } from './policies.service';

/** Answers `juggernaut.policy.get.v1`: the dispatcher and runners fetch the policy at boot. */
@Injectable()
export class PoliciesMessaging implements OnApplicationBootstrap, OnModuleDestroy {
  private sub?: Subscription;

  constructor(
    private readonly bus: Bus,
    private readonly policies: PoliciesService,
  ) {}

  onApplicationBootstrap(): void {
    this.sub = this.bus.respond(Subjects.policyGet, () => this.policies.current());
  }

  onModuleDestroy(): void {
    this.sub?.unsubscribe();
  }
}
