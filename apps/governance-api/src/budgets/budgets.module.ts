import { Module } from '@nestjs/common';
import { BudgetsController } from './budgets.controller';
import { BudgetsMessaging } from './budgets.messaging';
import { BudgetsRepository } from './budgets.repository';
import { BudgetsService } from './budgets.service';
import { PolicyFollower } from '@juggernaut/policy';
import { PolicyView } from './policy-view';

@Module({
  controllers: [BudgetsController],
  providers: [PolicyFollower, PolicyView, BudgetsRepository, BudgetsService, BudgetsMessaging],
  exports: [BudgetsService],
})
export class BudgetsModule {}
