import type { ServiceDefinition } from '@juggernaut/service-kit';
import { DispatcherEnv } from './config';
import { dispatchMigrations } from './migrations';
import { TaskDispatcherModule } from './task-dispatcher.module';

export const taskDispatcher: ServiceDefinition<DispatcherEnv> = {
  name: 'task-dispatcher',
  envClass: DispatcherEnv,
  module: TaskDispatcherModule,
  database: { schema: 'dispatch', migrations: dispatchMigrations, outbox: true },
};
