import { Global, Module } from '@nestjs/common';
import { PoliciesController } from './policies.controller';
import { PoliciesMessaging } from './policies.messaging';
import { PoliciesRepository } from './policies.repository';
import { PoliciesService } from './policies.service';

/** Global: the policy in force is read where it applies (approvals, budgets, task submission). */
@Global()
@Module({
  controllers: [PoliciesController],
  providers: [PoliciesRepository, PoliciesService, PoliciesMessaging],
  exports: [PoliciesService],
})
export class PoliciesModule {}
