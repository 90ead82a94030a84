import type { ServiceDefinition } from '@juggernaut/service-kit';
import { AgentRunnerModule } from './agent-runner.module';
import { RunnerEnv } from './config';

export const agentRunner: ServiceDefinition<RunnerEnv> = {
  name: 'agent-runner',
  envClass: RunnerEnv,
  module: AgentRunnerModule,
  // It only publishes to the streams the other services create: its NATS user may not create or change them.
  natsStreams: 'none',
};
