import { claimBudgetLeftMs, claimBudgetMs } from './claim-budget';
import { ParkedClaims } from './parked-claims';

describe('the claim budget', () => {
  it('keeps a second of the requester timeout back for the commit and the answer', () => {
    expect(claimBudgetMs(5_000)).toBe(4_000);
    expect(claimBudgetMs(2_000)).toBe(1_000);
  });

  it('keeps half back when the timeout is two seconds or less', () => {
    expect(claimBudgetMs(1_500)).toBe(750);
    expect(claimBudgetMs(200)).toBe(100);
  });

  it('counts from when the request arrived: time spent waiting to be read is spent', () => {
    expect(claimBudgetLeftMs(5_000, 100, 100)).toBe(4_000);
    expect(claimBudgetLeftMs(5_000, 100, 3_100)).toBe(1_000);
  });

  it('is used up (too late to claim anything) once the request waited out the budget', () => {
    expect(claimBudgetLeftMs(5_000, 0, 4_000)).toBe(0);
    expect(claimBudgetLeftMs(5_000, 0, 4_500)).toBe(-500);
  });

  it('does not apply when the requester gave no timeout', () => {
    expect(claimBudgetLeftMs(undefined, 0, 1e9)).toBeUndefined();
  });

  it('bounds how long a claim that found nothing is held (half a second before the budget ends)', () => {
    const req = { workerId: 'w', level: 1, capabilities: [], types: ['noop'], max: 1, waitMs: 10_000 };
    expect(ParkedClaims.holdMs(req, claimBudgetMs(5_000))).toBe(3_500);
    expect(ParkedClaims.holdMs({ ...req, waitMs: 2_000 }, claimBudgetMs(5_000))).toBe(2_000);
  });
});
