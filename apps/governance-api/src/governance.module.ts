import { Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { ApiKeyGuard } from './auth/api-key.guard';
import { ApiKeysController } from './auth/api-keys.controller';
import { ApiKeysRepository } from './auth/api-keys.repository';
import { ApiKeysService } from './auth/api-keys.service';
import { AlertsModule } from './alerts/alerts.module';
import { ApprovalsModule } from './approvals/approvals.module';
import { AuditModule } from './audit/audit.module';
import { ConversationsModule } from './conversations/conversations.module';
import { ErrorFilter } from './http/error.filter';
import { ExperimentsModule } from './experiments/experiments.module';
import { GatewayModule } from './gateway/gateway.module';
import { BudgetsModule } from './budgets/budgets.module';
import { GoalMemoryModule } from './goal-memory/goal-memory.module';
import { GoalsModule } from './goals/goals.module';
import { PoliciesModule } from './policies/policies.module';
import { RateLimiter } from './rate-limit/rate-limiter';
import { TasksModule } from './tasks/tasks.module';
import { WorkersModule } from './workers/workers.module';
import { LogsController } from './logs/logs.controller';
import { LogsMessaging } from './logs/logs.messaging';
import { LogsRepository } from './logs/logs.repository';
import { LogsService } from './logs/logs.service';
import { OpportunitiesController } from './opportunities/opportunities.controller';
import { OpportunitiesMessaging } from './opportunities/opportunities.messaging';
import { OpportunitiesRepository } from './opportunities/opportunities.repository';
import { OpportunitiesService } from './opportunities/opportunities.service';
import { WebhookIntake } from './webhooks/webhook-intake';
import { WebhookSourcesController } from './webhooks/webhook-sources.controller';
import { WebhookSourcesRepository } from './webhooks/webhook-sources.repository';
import { WebhooksController } from './webhooks/webhooks.controller';

/**
 * The REST front door. Feature modules of governance-api's own resources (policies, approvals,
 * budgets, goals, workers …) and the gateway of the operations other services own (tasks, ledger,
 * experiments, changes: declared in libs/contracts) are listed in `imports`; the API-key guard and
 * error filter apply to all.
 */
@Module({
  imports: [
    AuditModule,
    PoliciesModule,
    ApprovalsModule,
    AlertsModule,
    TasksModule,
    WorkersModule,
    BudgetsModule,
    GoalMemoryModule,
    GoalsModule,
    ExperimentsModule,
    ConversationsModule,
    // last: the proxy routes built from libs/contracts, after the feature modules' own routes
    GatewayModule,
  ],
  controllers: [
    ApiKeysController,
    LogsController,
    OpportunitiesController,
    WebhooksController,
    WebhookSourcesController,
  ],
  providers: [
    { provide: APP_GUARD, useClass: ApiKeyGuard },
    { provide: APP_FILTER, useClass: ErrorFilter },
    ApiKeysRepository,
    ApiKeysService,
    RateLimiter,
    LogsRepository,
    LogsService,
    LogsMessaging,
    OpportunitiesRepository,
    OpportunitiesService,
    OpportunitiesMessaging,
    // the webhooks share the RateLimiter with the API-key guard (one budget per address for bad credentials of either kind)
    WebhookIntake,
    WebhookSourcesRepository,
  ],
})
export class GovernanceModule {}
