import { Module } from '@nestjs/common';
import { GoalProgressReader } from './goal-progress';
import { GoalsController } from './goals.controller';
import { GoalsMessaging } from './goals.messaging';
import { GoalsRepository } from './goals.repository';
import { GoalsService } from './goals.service';

@Module({
  controllers: [GoalsController],
  providers: [GoalsRepository, GoalsService, GoalProgressReader, GoalsMessaging],
})
export class GoalsModule {}
