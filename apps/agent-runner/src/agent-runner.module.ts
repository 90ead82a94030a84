import { Module } from '@nestjs/common';
import { ModelClient, Spend } from '@juggernaut/llm';
import { Bus } from '@juggernaut/messaging';
import { Metrics } from '@juggernaut/observability';
import { APP_CONFIG } from '@juggernaut/service-kit';
import type { RunnerEnv } from './config';
import { AgentLoop } from './agent/agent-loop';
import { StepLog } from './agent/step-log';
import { AgentGoalHandler } from './handlers/agent-goal.handler';
import { GoalPlanHandler } from './handlers/goal-plan.handler';
import { OpportunityScanHandler } from './handlers/opportunity-scan.handler';
import { NoopHandler } from './handlers/noop.handler';
import { TASK_HANDLERS, type TaskHandler } from './handlers/task-handler';
import { PolicyState } from './policy/policy-state';
import { ToolRegistry } from './tools/tool-registry';
import { Worker } from './worker/worker';

/** Task handlers are listed here; the runner claims only the types it has a handler for. */
@Module({
  providers: [
    PolicyState, StepLog,
    {
      provide: ModelClient,
      useFactory: (config: RunnerEnv, metrics: Metrics) => new ModelClient({
        ...(config.OPENAI_BASE_URL ? { baseUrl: config.OPENAI_BASE_URL } : {}),
        ...(config.OPENAI_API_KEY ? { apiKey: config.OPENAI_API_KEY } : {}),
        model: config.JUGGERNAUT_MODEL,
        ...(config.AGENT_MODELS_BY_LEVEL ? { modelsByLevel: config.AGENT_MODELS_BY_LEVEL } : {}),
        ...(config.AGENT_PRICES ? { prices: config.AGENT_PRICES } : {}),
        maxRetries: config.AGENT_MODEL_MAX_RETRIES,
        timeoutMs: config.AGENT_MODEL_TIMEOUT_MS,
      }, metrics),
      inject: [APP_CONFIG, Metrics],
    },
    {
      provide: Spend,
      useFactory: (bus: Bus, config: RunnerEnv, metrics: Metrics) => new Spend(bus, { currency: config.AGENT_CURRENCY, source: 'agent-runner' }, metrics),
      inject: [Bus, APP_CONFIG, Metrics],
    }, ToolRegistry, AgentLoop,
    NoopHandler, AgentGoalHandler, OpportunityScanHandler, GoalPlanHandler,
    {
      provide: TASK_HANDLERS,
      useFactory: (...handlers: TaskHandler[]) => handlers,
      inject: [NoopHandler, AgentGoalHandler, OpportunityScanHandler, GoalPlanHandler],
    },
    Worker,
  ],
  exports: [Worker, PolicyState],
})
export class AgentRunnerModule {}
