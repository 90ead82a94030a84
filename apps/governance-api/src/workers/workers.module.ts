import { Module } from '@nestjs/common';
import { BudgetsModule } from '../budgets/budgets.module';
import { WorkersController } from './workers.controller';
import { WorkersRegistry } from './workers.registry';
import { WorkersRepository } from './workers.repository';

@Module({
  imports: [BudgetsModule],
  controllers: [WorkersController],
  providers: [WorkersRepository, WorkersRegistry],
  exports: [WorkersRepository],
})
export class WorkersModule {}
