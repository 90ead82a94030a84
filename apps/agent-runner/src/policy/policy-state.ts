import { Injectable } from '@nestjs/common';
import { minimumLevel, type PolicyDocumentV1 } from '@juggernaut/contracts';
import { PolicyFollower } from '@juggernaut/policy';

/**
 * What the agent runtime asks of the policy in force (followed by the shared PolicyFollower, which
 * trusts only governance's answers and fails closed): the level each tool needs and when a call
 * needs a human's approval.
 */
@Injectable()
export class PolicyState {
  constructor(private readonly follower: PolicyFollower) {}

  get current(): PolicyDocumentV1 | undefined {
    return this.follower.current;
  }

  /** The level a tool needs: its own minimum, raised (never lowered) by the policy. */
  toolLevel(tool: string, ownMinimum: number): number {
    const doc = this.follower.current;
    return Math.max(ownMinimum, doc ? minimumLevel(doc.permissions.tools, tool) : 1);
  }

  /** Why a call needs a human's approval (listed tool, or money above the threshold), or null. */
  approvalReason(tool: string, amountMinor: number | undefined): string | null {
    const doc = this.follower.current;
    if (doc?.approvals.toolsRequiringApproval.includes(tool)) return `policy requires approval for ${tool}`;
    const above = doc?.approvals.spendAboveMinor;
    if (above !== undefined && amountMinor !== undefined && amountMinor > above)
      return `${tool} commits ${amountMinor} minor units, above the approval threshold of ${above}`;
    return null;
  }
}
