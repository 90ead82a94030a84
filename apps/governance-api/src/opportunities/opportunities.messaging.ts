import { Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { Subjects } from '@juggernaut/contracts';
import { Bus } from '@juggernaut/messaging';
import type { Subscription } from '@nats-io/transport-node';
import { OpportunitiesService } from './opportunities.service';

/** `juggernaut.opportunity.create.v1`: the same use case as `POST /api/v1/opportunities`, for services. */
@Injectable()
export class OpportunitiesMessaging implements OnApplicationBootstrap, OnModuleDestroy {
  private sub?: Subscription;

  constructor(
    private readonly bus: Bus,
    private readonly opportunities: OpportunitiesService,
  ) {}

  onApplicationBootstrap(): void {
    this.sub = this.bus.respond(Subjects.opportunityCreate, (payload) => this.opportunities.create(payload));
  }

  onModuleDestroy(): void {
    this.sub?.unsubscribe();
  }
}
