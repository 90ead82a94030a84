import { Module } from '@nestjs/common';
import { PoliciesModule } from '../policies/policies.module';
import { WorkersModule } from '../workers/workers.module';
import { AlertsController } from './alerts.controller';
import { AlertsRepository } from './alerts.repository';
import { Monitor } from './monitor';
import { MonitorSamplesConsumer } from './monitor-samples.consumer';
import { MonitorSamplesRepository } from './monitor-samples.repository';

@Module({
  imports: [PoliciesModule, WorkersModule],
  controllers: [AlertsController],
  providers: [AlertsRepository, MonitorSamplesRepository, MonitorSamplesConsumer, Monitor],
})
export class AlertsModule {}
