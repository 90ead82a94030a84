import type { PolicyDocumentV1 } from '@juggernaut/contracts';
import type { PolicyFollower } from '@juggernaut/policy';
import { DispatchPolicy } from './dispatch-policy';

const doc = (version: number, over: Partial<PolicyDocumentV1> = {}): PolicyDocumentV1 => ({
  version,
  updatedAt: new Date(0).toISOString(),
  killSwitch: { engaged: false },
  budgets: { currency: 'USD' },
  permissions: { taskTypes: { 'experiment.run': 4 }, tools: {} },
  approvals: { toolsRequiringApproval: [], ttlSeconds: 60 },
  ...over,
});

/** The follower's answer as the dispatcher reads it (what governance last said, or nothing yet). */
function policyOf(current: PolicyDocumentV1 | undefined): DispatchPolicy {
  const follower = { current, killSwitchEngaged: current?.killSwitch.engaged !== false, stopReason: 'stopped' };
  return new DispatchPolicy(follower as unknown as PolicyFollower);
}

describe('DispatchPolicy', () => {
  it('hands out nothing before the first policy is known (fails closed)', () => {
    const p = policyOf(undefined);
    expect(p.claimableTypes(['noop', 'experiment.run'], 5)).toEqual([]);
    expect(p.stopped).toBe('stopped');
  });

  it('leaves out task types whose minimum level is above the worker, and keeps unlisted types', () => {
    const p = policyOf(doc(2));
    expect(p.claimableTypes(['noop', 'experiment.run'], 3)).toEqual(['noop']);
    expect(p.claimableTypes(['noop', 'experiment.run'], 4)).toEqual(['noop', 'experiment.run']);
    expect(p.stopped).toBeUndefined();
  });

  it('claims nothing while the kill switch is engaged', () => {
    expect(policyOf(doc(2, { killSwitch: { engaged: true, reason: 'drill' } })).claimableTypes(['noop'], 5)).toEqual(
      [],
    );
  });
});
