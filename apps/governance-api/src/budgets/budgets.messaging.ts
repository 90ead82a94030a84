import { Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { Subjects } from '@juggernaut/contracts';
import { Bus } from '@juggernaut/messaging';
import type { Subscription } from '@nats-io/transport-node';
import { BudgetsService } from './budgets.service';

/** Budget reservations and settlements for runners, over NATS request/reply. */
@Injectable()
export class BudgetsMessaging implements OnApplicationBootstrap, OnModuleDestroy {
  private subs: Subscription[] = [];

  constructor(
    private readonly bus: Bus,
    private readonly budgets: BudgetsService,
  ) {}

  onApplicationBootstrap(): void {
    this.subs = [
      this.bus.respond(Subjects.budgetReserve, (req) => this.budgets.reserve(req)),
      this.bus.respond(Subjects.budgetSettle, (req) => this.budgets.settle(req)),
      this.bus.respond(Subjects.budgetUsage, () => this.budgets.usage()),
    ];
  }

  onModuleDestroy(): void {
    for (const s of this.subs) s.unsubscribe();
  }
}
