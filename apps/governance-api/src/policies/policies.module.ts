import { Module } from '@nestjs/common';
import { PoliciesController } from './policies.controller';
import { PoliciesMessaging } from './policies.messaging';
import { PoliciesRepository } from './policies.repository';
import { PoliciesService } from './policies.service';

@Module({
  controllers: [PoliciesController],
  providers: [PoliciesRepository, PoliciesService, PoliciesMessaging],
  exports: [PoliciesService],
})
export class PoliciesModule {}
