import { Module } from '@nestjs/common';
import { BudgetsController } from './budgets.controller';
import { BudgetsMessaging } from './budgets.messaging';
import { BudgetsRepository } from './budgets.repository';
import { BudgetsService } from './budgets.service';
import { PolicyView } from './policy-view';

/** Budgets read the policy from the (global) policies module in this process. */
@Module({
  controllers: [BudgetsController],
  providers: [PolicyView, BudgetsRepository, BudgetsService, BudgetsMessaging],
  exports: [BudgetsService],
})
export class BudgetsModule {}
