import { Injectable } from '@nestjs/common';
import { minimumLevel } from '@juggernaut/contracts';
import { PolicyFollower } from '@juggernaut/policy';

/**
 * The parts of the governance policy the dispatcher enforces at claim time: the kill switch, and
 * the minimum autonomy level of each task type. It fails closed: until governance has answered
 * with a policy, nothing is handed out.
 */
@Injectable()
export class DispatchPolicy {
  constructor(private readonly follower: PolicyFollower) {}

  get version(): number {
    return this.follower.current?.version ?? 0;
  }

  /** Why nothing may be claimed now (no policy known yet, or the kill switch), or undefined. */
  get stopped(): string | undefined {
    return this.follower.killSwitchEngaged ? this.follower.stopReason : undefined;
  }

  /** The task types a worker of `level` may claim now: none while the kill switch is engaged or no policy is known. */
  claimableTypes(types: readonly string[], level: number): string[] {
    const doc = this.follower.current;
    if (!doc || doc.killSwitch.engaged) return [];
    return types.filter((t) => minimumLevel(doc.permissions.taskTypes, t) <= level);
  }
}
