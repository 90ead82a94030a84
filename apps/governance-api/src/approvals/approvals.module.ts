import { Module } from '@nestjs/common';
import { PoliciesModule } from '../policies/policies.module';
import { ApprovalExpiry } from './approval-expiry';
import { ApprovalsController } from './approvals.controller';
import { ApprovalsMessaging } from './approvals.messaging';
import { ApprovalsRepository } from './approvals.repository';
import { ApprovalsService } from './approvals.service';

@Module({
  imports: [PoliciesModule],
  controllers: [ApprovalsController],
  providers: [ApprovalsRepository, ApprovalsService, ApprovalsMessaging, ApprovalExpiry],
})
export class ApprovalsModule {}
