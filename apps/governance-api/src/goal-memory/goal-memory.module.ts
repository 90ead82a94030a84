import { Module } from '@nestjs/common';
import { GoalNotesController } from './goal-notes.controller';
import { GoalNotesMessaging } from './goal-notes.messaging';
import { GoalNotesRepository } from './goal-notes.repository';
import { GoalNotesService } from './goal-notes.service';

@Module({
  controllers: [GoalNotesController],
  providers: [GoalNotesRepository, GoalNotesService, GoalNotesMessaging],
})
export class GoalMemoryModule {}
