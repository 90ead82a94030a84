import { Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { Subjects } from '@juggernaut/contracts';
import { Bus } from '@juggernaut/messaging';
import type { Subscription } from '@nats-io/transport-node';
import { GoalsService } from './goals.service';

/** `juggernaut.goal.get.v1`: planners read the goal they plan for (title, criteria, budget, status). */
@Injectable()
export class GoalsMessaging implements OnApplicationBootstrap, OnModuleDestroy {
  private sub?: Subscription;

  constructor(
    private readonly bus: Bus,
    private readonly goals: GoalsService,
  ) {}

  onApplicationBootstrap(): void {
    this.sub = this.bus.respond(Subjects.goalGet, (req) => this.goals.get(req.id));
  }

  onModuleDestroy(): void {
    this.sub?.unsubscribe();
  }
}
