import { Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { Subjects } from '@juggernaut/contracts';
import { Bus } from '@juggernaut/messaging';
import type { Subscription } from '@nats-io/transport-node';
import { ApprovalsService } from './approvals.service';

/** Runners ask for approvals and look them up over NATS (`approval.request`, `approval.get`). */
@Injectable()
export class ApprovalsMessaging implements OnApplicationBootstrap, OnModuleDestroy {
  private subs: Subscription[] = [];

  constructor(
    private readonly bus: Bus,
    private readonly approvals: ApprovalsService,
  ) {}

  onApplicationBootstrap(): void {
    this.subs.push(
      this.bus.respond(Subjects.approvalRequest, (req) =>
        this.approvals.request(req, { system: req.workerId ? `worker:${req.workerId}` : 'nats' }),
      ),
    );
    this.subs.push(this.bus.respond(Subjects.approvalGet, (req) => this.approvals.get(req.id)));
  }

  onModuleDestroy(): void {
    for (const s of this.subs) s.unsubscribe();
  }
}
