import { dueInMsOf, nextTimerDelayMs, reaperTick, rearmsTimer } from './clock-rules';

describe('the reaper', () => {
  const INTERVAL = 1_000;
  const GRACE = 10_000;
  /** A tick at `now` whose previous tick ran `sinceLast` ms before, healthy since `healthySince`. */
  const tickAt = (now: number, healthySince: number | undefined, sinceLast = INTERVAL) =>
    reaperTick({ now, lastTick: now - sinceLast, healthySince, intervalMs: INTERVAL, graceMs: GRACE });

  it('takes expired leases back once Postgres and NATS have been reachable for the whole grace', () => {
    expect(tickAt(20_000, 0)).toEqual({ reap: true, healthySince: 0 });
    expect(tickAt(10_000, 0).reap).toBe(true);
  });

  it('waits out the grace after a start or after an outage ends', () => {
    expect(tickAt(9_999, 0)).toEqual({ reap: false, healthySince: 0 });
    expect(tickAt(50_000, 45_000).reap).toBe(false);
  });

  it('takes nothing back while Postgres or NATS is out', () => {
    expect(tickAt(50_000, undefined)).toEqual({ reap: false, healthySince: undefined });
  });

  it('starts the grace over when its tick came far too late: the dispatcher itself was stalled', () => {
    // planned 1 s after the last tick, came 5 s after it: 4 s late
    expect(tickAt(60_000, 0, 5_000)).toEqual({ reap: false, healthySince: 60_000, stalledMs: 4_000 });
  });

  it('lets a tick be late by up to a second, or by up to one interval when that is longer', () => {
    expect(tickAt(60_000, 0, 2_000).reap).toBe(true);
    expect(tickAt(60_000, 0, 2_001)).toMatchObject({ reap: false, stalledMs: 1_001 });
    const slow = (sinceLast: number) =>
      reaperTick({ now: 600_000, lastTick: 600_000 - sinceLast, healthySince: 0, intervalMs: 5_000, graceMs: GRACE });
    expect(slow(10_000).reap).toBe(true);
    expect(slow(10_001).stalledMs).toBe(5_001);
  });

  it('during an outage, a late tick changes nothing: the outage ending starts the grace', () => {
    expect(tickAt(60_000, undefined, 30_000)).toEqual({ reap: false, healthySince: undefined });
  });
});

describe('the queue timer', () => {
  const MAX = 1_000;

  it('sleeps until the next due moment when that is sooner than its longest sleep', () => {
    expect(nextTimerDelayMs(250, MAX)).toBe(250);
    expect(nextTimerDelayMs(0, MAX)).toBe(0);
  });

  it('never sleeps longer than its longest sleep, so work another replica scheduled is noticed', () => {
    expect(nextTimerDelayMs(60_000, MAX)).toBe(MAX);
    expect(nextTimerDelayMs(undefined, MAX)).toBe(MAX);
  });

  it('is re-armed by new work only when that is due sooner than its longest sleep', () => {
    expect(rearmsTimer(200, MAX)).toBe(true);
    expect(rearmsTimer(0, MAX)).toBe(true);
    expect(rearmsTimer(MAX, MAX)).toBe(false);
    expect(rearmsTimer(undefined, MAX)).toBe(false);
  });

  it("rounds the database's delay up, so it never fires before the moment", () => {
    expect(dueInMsOf(12.01)).toBe(13);
    expect(dueInMsOf(0)).toBe(0);
    expect(dueInMsOf(null)).toBeUndefined();
    expect(dueInMsOf(undefined)).toBeUndefined();
  });
});
