import { newLoopState, recordStep } from './loop-detector';

const limits = { maxRepeats: 3, maxStaleSteps: 4 };
const call = (action: string, observation = 'same') => ({ action, observation });

describe('loop detection', () => {
  it('catches the same call with the same result repeated, even with other calls in between', () => {
    const s = newLoopState();
    expect(recordStep(s, [call('fetch#a')], limits).loop).toBe(false);
    expect(recordStep(s, [call('log#1', 'x')], limits).loop).toBe(false);
    expect(recordStep(s, [call('fetch#a')], limits).loop).toBe(false);
    expect(recordStep(s, [call('log#2', 'y')], limits).loop).toBe(false);
    const v = recordStep(s, [call('fetch#a')], limits);
    expect(v).toMatchObject({ loop: true });
    expect(v.detail).toContain('fetch');
  });

  it('does not flag a repeated call whose result changes (progress)', () => {
    const s = newLoopState();
    for (let i = 0; i < 10; i++) expect(recordStep(s, [call('poll#status', `v${i}`)], limits).loop).toBe(false);
  });

  it('catches steps that produce nothing new over N steps', () => {
    const s = newLoopState();
    recordStep(s, [call('a', '1'), call('b', '2')], limits);
    expect(recordStep(s, [call('a', '1')], limits).loop).toBe(false); // a seen twice
    expect(recordStep(s, [call('b', '2')], limits).loop).toBe(false); // b seen twice
    expect(recordStep(s, [], limits).loop).toBe(false); // a step with no tool call is stale too
    const v = recordStep(s, [], limits);
    expect(v.loop).toBe(true);
    expect(v.detail).toContain('nothing new');
  });
});
