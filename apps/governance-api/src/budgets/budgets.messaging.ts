import { Injectable } from '@nestjs/common';
import { type ReserveBudgetV1, type SettleBudgetV1, Subjects } from '@juggernaut/contracts';
import { Respond } from '@juggernaut/messaging';
import { BudgetsService } from './budgets.service';

/** Budget reservations and settlements for runners, over NATS request/reply. */
@Injectable()
export class BudgetsMessaging {
  constructor(private readonly budgets: BudgetsService) {}

  @Respond(Subjects.budgetReserve)
  reserve(req: ReserveBudgetV1) {
    return this.budgets.reserve(req);
  }

  @Respond(Subjects.budgetSettle)
  settle(req: SettleBudgetV1) {
    return this.budgets.settle(req);
  }

  @Respond(Subjects.budgetUsage)
  usage() {
    return this.budgets.usage();
  }
}
