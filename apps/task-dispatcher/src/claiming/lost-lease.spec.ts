import { lostLeaseReason } from './lost-lease';

/** The reason a heartbeat gives a runner for each lease it could not extend: the runner stops that work. */
describe('why a lease is lost', () => {
  it('says cancelled when the task was cancelled, whoever held it', () => {
    expect(lostLeaseReason({ status: 'cancelled', same_token: true, timed_out: false })).toBe('cancelled');
    expect(lostLeaseReason({ status: 'cancelled', same_token: false, timed_out: null })).toBe('cancelled');
  });

  it('says execution timeout when the attempt ran past its deadline', () => {
    expect(lostLeaseReason({ status: 'running', same_token: true, timed_out: true })).toBe('execution timeout');
  });

  it('names the outcome when the attempt already finished', () => {
    expect(lostLeaseReason({ status: 'succeeded', same_token: true, timed_out: null })).toBe('finished: succeeded');
    expect(lostLeaseReason({ status: 'failed', same_token: true, timed_out: null })).toBe('finished: failed');
    expect(lostLeaseReason({ status: 'dead', same_token: true, timed_out: null })).toBe('finished: dead');
  });

  it('says lease lost when another claim holds the task now, or the task is gone', () => {
    expect(lostLeaseReason({ status: 'running', same_token: false, timed_out: false })).toBe('lease lost');
    expect(lostLeaseReason({ status: 'pending', same_token: false, timed_out: null })).toBe('lease lost');
    expect(lostLeaseReason(undefined)).toBe('lease lost');
  });

  it("does not call another claim's timeout this runner's", () => {
    expect(lostLeaseReason({ status: 'running', same_token: false, timed_out: true })).toBe('lease lost');
  });
});
