import { Module } from '@nestjs/common';
import { TaskBatchController, TaskRetentionController, TaskTypePauseController } from './task-operations.controller';
import { SchedulesController, TaskTypesController, TasksController } from './tasks.controller';

@Module({
  controllers: [
    TaskBatchController,
    TasksController,
    SchedulesController,
    TaskTypesController,
    TaskTypePauseController,
    TaskRetentionController,
  ],
})
export class TasksModule {}
