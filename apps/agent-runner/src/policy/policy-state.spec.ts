import type { PolicyDocumentV1 } from '@juggernaut/contracts';
import type { PolicyFollower } from '@juggernaut/policy';
import { PolicyState } from './policy-state';

const doc: PolicyDocumentV1 = {
  version: 3,
  updatedAt: '2026-01-01T00:00:00.000Z',
  killSwitch: { engaged: false },
  budgets: { currency: 'USD', globalDailyCapMinor: 100_000, perLevelDailyCapMinor: { '1': 100, '5': 90_000 } },
  permissions: { taskTypes: {}, tools: { http_fetch: 4, log: 1 } },
  approvals: { spendAboveMinor: 10_000, toolsRequiringApproval: ['create_task'], ttlSeconds: 3600 },
};
const policy = (current: PolicyDocumentV1 | undefined) => new PolicyState({ current } as PolicyFollower);

describe('what the policy asks of a tool call', () => {
  it('raises a tool level to what the policy says, never lowers it', () => {
    expect(policy(doc).toolLevel('http_fetch', 2)).toBe(4);
    expect(policy(doc).toolLevel('log', 3)).toBe(3);
    expect(policy(doc).toolLevel('unlisted', 2)).toBe(2);
    expect(policy(undefined).toolLevel('http_fetch', 2)).toBe(2);
  });

  it('needs an approval for a listed tool, or for money above the threshold', () => {
    expect(policy(doc).approvalReason('create_task', undefined)).toBe('policy requires approval for create_task');
    expect(policy(doc).approvalReason('propose_experiment', 10_001)).toBe(
      'propose_experiment commits 10001 minor units, above the approval threshold of 10000',
    );
  });

  // Without a policy nothing runs at all (workers claim nothing until it is known), so no approval is asked for.
  it('needs none at the threshold, without an amount, or without a policy', () => {
    expect(policy(doc).approvalReason('propose_experiment', 10_000)).toBeNull();
    expect(policy(doc).approvalReason('http_fetch', undefined)).toBeNull();
    expect(policy(undefined).approvalReason('create_task', 1_000_000)).toBeNull();
  });
});
