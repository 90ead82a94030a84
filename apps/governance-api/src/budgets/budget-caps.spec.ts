import { capExceeded } from './budget-caps';

const none = { global: 0, level: 0, worker: 0, task: 0 };

describe('budget caps', () => {
  it('fits a reservation under every cap, up to and including the cap', () => {
    const caps = { currency: 'USD', globalDailyCapMinor: 100, perTaskCapMinor: 50 };
    expect(capExceeded(caps, { level: 3, amountMinor: 50, currency: 'USD' }, none)).toBeNull();
    expect(capExceeded(caps, { level: 3, amountMinor: 1, currency: 'USD' }, { ...none, task: 50 })).toMatch(
      /task budget cap 50/,
    );
  });

  it('uses the smaller of the policy per-task cap and the task own budget', () => {
    const caps = { currency: 'USD', perTaskCapMinor: 500 };
    expect(capExceeded(caps, { level: 3, amountMinor: 30, currency: 'USD', taskBudgetMinor: 20 }, none)).toMatch(
      /task budget cap 20/,
    );
    expect(
      capExceeded({ currency: 'USD' }, { level: 3, amountMinor: 30, currency: 'USD', taskBudgetMinor: 40 }, none),
    ).toBeNull();
  });

  it('checks the worker, level and global daily caps', () => {
    const caps = {
      currency: 'USD',
      perWorkerDailyCapMinor: 10,
      perLevelDailyCapMinor: { '3': 20 },
      globalDailyCapMinor: 30,
    };
    const req = { level: 3, amountMinor: 5, currency: 'USD' };
    expect(capExceeded(caps, req, { ...none, worker: 6 })).toMatch(/per-worker/);
    expect(capExceeded(caps, req, { ...none, level: 16 })).toMatch(/level 3 daily cap 20/);
    expect(capExceeded(caps, { ...req, level: 4 }, { ...none, level: 16 })).toBeNull();
    expect(capExceeded(caps, req, { ...none, global: 26 })).toMatch(/global daily cap 30/);
  });

  it('refuses a reservation in another currency', () => {
    expect(capExceeded({ currency: 'EUR' }, { level: 1, amountMinor: 1, currency: 'USD' }, none)).toMatch(/currency/);
  });
});
