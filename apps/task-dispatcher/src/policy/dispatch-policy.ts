import { Injectable } from '@nestjs/common';
import { minimumLevel, type PolicyDocumentV1 } from '@juggernaut/contracts';
import { KillSwitch } from './kill-switch';

/**
 * The parts of the governance policy the dispatcher enforces at claim time: the kill switch, and
 * the minimum autonomy level of each task type. Until the first policy arrives nothing is
 * restricted (version 0), so the queue keeps working when governance-api is not up yet.
 */
@Injectable()
export class DispatchPolicy {
  version = 0;
  private taskTypeLevels: Record<string, number> = {};

  constructor(private readonly killSwitch: KillSwitch) {}

  /** Applies a policy document unless it is older than the one in force; returns whether it applied. */
  apply(doc: PolicyDocumentV1): boolean {
    if (doc.version <= this.version) return false;
    this.version = doc.version;
    this.taskTypeLevels = { ...doc.permissions.taskTypes };
    this.killSwitch.set(doc.killSwitch.engaged, doc.killSwitch.reason);
    return true;
  }

  /** The task types a worker of `level` may claim now: none while the kill switch is engaged. */
  claimableTypes(types: readonly string[], level: number): string[] {
    if (this.killSwitch.engaged) return [];
    return types.filter((t) => minimumLevel(this.taskTypeLevels, t) <= level);
  }
}
