import { Module } from '@nestjs/common';
import { SchedulesController, TaskTypesController, TasksController } from './tasks.controller';

@Module({ controllers: [TasksController, SchedulesController, TaskTypesController] })
export class TasksModule {}
