import type { PolicyDocumentV1 } from '@juggernaut/contracts';
import { DispatchPolicy } from './dispatch-policy';
import { KillSwitch } from './kill-switch';

const doc = (version: number, over: Partial<PolicyDocumentV1> = {}): PolicyDocumentV1 => ({
  version, updatedAt: new Date(0).toISOString(), killSwitch: { engaged: false },
  budgets: { currency: 'USD' }, permissions: { taskTypes: { 'experiment.run': 4 }, tools: {} },
  approvals: { toolsRequiringApproval: [], ttlSeconds: 60 }, ...over,
});

describe('DispatchPolicy', () => {
  it('restricts nothing before the first policy arrives', () => {
    expect(new DispatchPolicy(new KillSwitch()).claimableTypes(['noop', 'experiment.run'], 1)).toEqual(['noop', 'experiment.run']);
  });

  it('leaves out task types whose minimum level is above the worker, and keeps unlisted types', () => {
    const p = new DispatchPolicy(new KillSwitch());
    p.apply(doc(2));
    expect(p.claimableTypes(['noop', 'experiment.run'], 3)).toEqual(['noop']);
    expect(p.claimableTypes(['noop', 'experiment.run'], 4)).toEqual(['noop', 'experiment.run']);
  });

  it('claims nothing while the kill switch is engaged, and resumes when it is released', () => {
    const ks = new KillSwitch();
    const p = new DispatchPolicy(ks);
    p.apply(doc(2, { killSwitch: { engaged: true, reason: 'drill' } }));
    expect(p.claimableTypes(['noop'], 5)).toEqual([]);
    expect(ks.reason).toBe('drill');
    p.apply(doc(3));
    expect(p.claimableTypes(['noop'], 5)).toEqual(['noop']);
  });

  it('ignores a document older than or equal to the one in force (late or repeated delivery)', () => {
    const p = new DispatchPolicy(new KillSwitch());
    expect(p.apply(doc(5, { killSwitch: { engaged: true } }))).toBe(true);
    expect(p.apply(doc(4))).toBe(false);
    expect(p.apply(doc(5))).toBe(false);
    expect(p.claimableTypes(['noop'], 5)).toEqual([]);
  });
});
