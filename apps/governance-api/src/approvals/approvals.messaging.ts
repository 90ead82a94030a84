import { Injectable } from '@nestjs/common';
import { type ApprovalIdV1, type RequestApprovalV1, Subjects } from '@juggernaut/contracts';
import { Respond } from '@juggernaut/messaging';
import { ApprovalsService } from './approvals.service';

/** Runners ask for approvals and look them up over NATS (`approval.request`, `approval.get`). */
@Injectable()
export class ApprovalsMessaging {
  constructor(private readonly approvals: ApprovalsService) {}

  @Respond(Subjects.approvalRequest)
  request(req: RequestApprovalV1) {
    return this.approvals.request(req, { system: req.workerId ? `worker:${req.workerId}` : 'nats' });
  }

  @Respond(Subjects.approvalGet)
  get(req: ApprovalIdV1) {
    return this.approvals.get(req.id);
  }
}
