import type { ServiceDefinition } from '@juggernaut/service-kit';
import { ExperimentsEnv } from './config';
import { experimentsMigrations } from './migrations';
import { ExperimentTrackerModule } from './experiment-tracker.module';

export const experimentTracker: ServiceDefinition<ExperimentsEnv> = {
  name: 'experiment-tracker',
  envClass: ExperimentsEnv,
  module: ExperimentTrackerModule,
  database: { schema: 'experiments', migrations: experimentsMigrations, outbox: true },
};
