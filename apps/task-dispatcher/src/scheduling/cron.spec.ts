import { cronProblem, nextTick, tickToRun } from './cron';

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

describe('nextTick', () => {
  it('is strictly after the given moment, so a schedule that just ran resumes its cadence', () => {
    expect(nextTick('*/5 * * * *', 'UTC', at('2026-01-01T10:05:00Z'))).toEqual(at('2026-01-01T10:10:00Z'));
    expect(nextTick('*/5 * * * *', 'UTC', at('2026-01-01T10:06:30Z'))).toEqual(at('2026-01-01T10:10:00Z'));
  });

  it("follows the schedule's time zone across a daylight-saving change", () => {
    // 03:00 in Berlin: 02:00Z in winter, 01:00Z once summer time starts (29 March 2026)
    expect(nextTick('0 3 * * *', 'Europe/Berlin', at('2026-03-28T12:00:00Z'))).toEqual(at('2026-03-29T01:00:00Z'));
  });
});

describe('cronProblem', () => {
  it('accepts a five-field expression in a known time zone', () => {
    expect(cronProblem('0 9 * * 1-5', 'America/New_York')).toBeUndefined();
  });

  it('refuses other field counts, unknown zones and invalid fields, saying which', () => {
    expect(cronProblem('0 0 9 * * 1', 'UTC')).toMatch(/^cron must have 5 fields/);
    expect(cronProblem('0 9 * * *', 'Mars/Olympus')).toBe('timezone: unknown time zone "Mars/Olympus"');
    expect(cronProblem('61 * * * *', 'UTC')).toMatch(/^cron: /);
  });
});
