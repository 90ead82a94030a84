import { Module } from '@nestjs/common';
import { PolicyFollower } from '@juggernaut/policy';
import { BlockingMessaging } from './blocking/blocking.messaging';
import { BlockingRepository } from './blocking/blocking.repository';
import { LeasesRepository } from './claiming/leases.repository';
import { DispatchMetrics } from './dispatch-metrics';
import { DispatchMessaging } from './dispatch.messaging';
import { DispatchService } from './dispatch.service';
import { HealthReport } from './health-report/health-report';
import { TypeLimitsRepository } from './limits/type-limits.repository';
import { DispatchPolicy } from './policy/dispatch-policy';
import { QueueClock } from './scheduling/queue-clock';
import { SchedulesRepository } from './scheduling/schedules.repository';
import { TasksRepository } from './tasks/tasks.repository';
import { BulkOperations } from './tasks/bulk-operations';
import { RetentionPruner } from './retention/retention';

@Module({
  providers: [
    TasksRepository,
    LeasesRepository,
    TypeLimitsRepository,
    SchedulesRepository,
    DispatchMetrics,
    DispatchPolicy,
    PolicyFollower,
    HealthReport,
    DispatchService,
    QueueClock,
    DispatchMessaging,
    BlockingRepository,
    BlockingMessaging,
    BulkOperations,
    RetentionPruner,
  ],
  exports: [DispatchService, QueueClock, DispatchPolicy],
})
export class TaskDispatcherModule {}
