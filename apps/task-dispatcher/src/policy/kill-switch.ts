import { Injectable } from '@nestjs/common';

/**
 * The kill switch as this dispatcher knows it. While engaged, claims return nothing. It is
 * set from the policy governance-api pushes over NATS.
 */
@Injectable()
export class KillSwitch {
  engaged = false;
  reason: string | undefined;

  set(engaged: boolean, reason?: string): void {
    this.engaged = engaged;
    this.reason = reason;
  }
}
