import { Module } from '@nestjs/common';
import { TaskBatchController, TasksController } from './tasks.controller';

/** Task submission (checked against the policy) and history; the queue's other routes are the gateway's. */
@Module({ controllers: [TaskBatchController, TasksController] })
export class TasksModule {}
