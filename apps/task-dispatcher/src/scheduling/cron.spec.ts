import { tickToRun } from './cron';

const at = (iso: string) => new Date(iso);

describe('tickToRun', () => {
  it('runs the due tick when the dispatcher is on time', () => {
    expect(tickToRun('*/5 * * * *', 'UTC', 'none', at('2026-01-01T10:05:00.300Z'))).toEqual(at('2026-01-01T10:05:00Z'));
  });

  it('after downtime, "latest" runs only the most recent missed tick', () => {
    expect(tickToRun('*/5 * * * *', 'UTC', 'latest', at('2026-01-01T12:03:00Z'))).toEqual(at('2026-01-01T12:00:00Z'));
  });

  it('after downtime, "none" skips a most recent tick that is more than a minute late', () => {
    expect(tickToRun('*/5 * * * *', 'UTC', 'none', at('2026-01-01T12:03:00Z'))).toBeNull();
  });

  it('after downtime, "none" still runs the most recent tick when it is on time, though older ones were missed', () => {
    expect(tickToRun('* * * * *', 'UTC', 'none', at('2026-01-01T12:05:30Z'))).toEqual(at('2026-01-01T12:05:00Z'));
    expect(tickToRun('*/5 * * * *', 'UTC', 'none', at('2026-01-01T12:05:59Z'))).toEqual(at('2026-01-01T12:05:00Z'));
  });

  it("follows the schedule's time zone", () => {
    expect(tickToRun('0 3 * * *', 'Europe/Berlin', 'none', at('2026-01-01T02:00:20Z'))).toEqual(
      at('2026-01-01T02:00:00Z'),
    );
  });
});
