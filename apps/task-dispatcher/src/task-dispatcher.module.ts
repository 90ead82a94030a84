import { Module } from '@nestjs/common';
import { LeasesRepository } from './claiming/leases.repository';
import { DispatchMetrics } from './dispatch-metrics';
import { DispatchMessaging } from './dispatch.messaging';
import { DispatchService } from './dispatch.service';
import { TypeLimitsRepository } from './limits/type-limits.repository';
import { KillSwitch } from './policy/kill-switch';
import { QueueClock } from './scheduling/queue-clock';
import { SchedulesRepository } from './scheduling/schedules.repository';
import { TasksRepository } from './tasks/tasks.repository';

@Module({
  providers: [
    TasksRepository, LeasesRepository, TypeLimitsRepository, SchedulesRepository, DispatchMetrics, KillSwitch,
    DispatchService, QueueClock, DispatchMessaging,
  ],
  exports: [DispatchService, QueueClock, KillSwitch],
})
export class TaskDispatcherModule {}
