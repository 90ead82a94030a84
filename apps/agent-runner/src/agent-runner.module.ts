import { Module } from '@nestjs/common';
import { llmProviders } from '@juggernaut/llm';
import { PolicyFollower } from '@juggernaut/policy';
import { AgentLoop } from './agent/agent-loop';
import { StepLog } from './agent/step-log';
import { ConversationClient } from './conversation/conversation-client';
import { AgentGoalHandler } from './handlers/agent-goal.handler';
import { ConversationReplyHandler } from './handlers/conversation-reply.handler';
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
    PolicyFollower,
    PolicyState,
    StepLog,
    ...llmProviders('agent-runner'),
    ToolRegistry,
    AgentLoop,
    NoopHandler,
    AgentGoalHandler,
    OpportunityScanHandler,
    GoalPlanHandler,
    ConversationClient,
    ConversationReplyHandler,
    {
      provide: TASK_HANDLERS,
      useFactory: (...handlers: TaskHandler[]) => handlers,
      inject: [NoopHandler, AgentGoalHandler, OpportunityScanHandler, GoalPlanHandler, ConversationReplyHandler],
    },
    Worker,
  ],
  exports: [Worker, PolicyState, PolicyFollower],
})
export class AgentRunnerModule {}
