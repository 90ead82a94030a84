/** What the reaper knows at a tick (times are performance.now() readings, in ms). */
export interface ReaperState {
  now: number;
  /** When the previous tick ran. */
  lastTick: number;
  /** Since when Postgres and NATS have both been reachable; undefined while one is not. */
  healthySince: number | undefined;
  intervalMs: number;
  graceMs: number;
}

export interface ReaperTick {
  /** Whether expired leases are taken back at this tick. */
  reap: boolean;
  /** The healthy-since moment from now on (a stall restarts it, as an outage would). */
  healthySince: number | undefined;
  /** Set when this tick found the process was stalled: how much later than planned it came. */
  stalledMs?: number;
}

/**
 * The reaper's decision at a tick. It takes expired leases back only once Postgres and NATS have
 * been reachable for the whole grace: runners that could not reach the dispatcher meanwhile get that
 * long to heartbeat or report. A tick more than max(1 s, the interval) later than planned means the
 * process itself was stalled (stopped, swapped, a long pause): runners could not reach it either, so
 * the grace starts over — unless an outage is going on, whose end starts it anyway.
 */
export function reaperTick(s: ReaperState): ReaperTick {
  const late = s.now - s.lastTick - s.intervalMs;
  const stalled = late > Math.max(1_000, s.intervalMs) && s.healthySince !== undefined;
  const healthySince = stalled ? s.now : s.healthySince;
  const reap = healthySince !== undefined && s.now - healthySince >= s.graceMs;
  return { reap, healthySince, ...(stalled ? { stalledMs: late } : {}) };
}

/**
 * When the queue timer looks again, after a round: at the next due moment (a scheduled task's
 * run-at, a retry's backoff, a cron tick), but never later than `maxMs`, so work another replica
 * scheduled is noticed too; `maxMs` when nothing is due or the round failed (undefined).
 */
export function nextTimerDelayMs(dueInMs: number | undefined, maxMs: number): number {
  return dueInMs === undefined ? maxMs : Math.min(maxMs, dueInMs);
}

/**
 * Whether something newly scheduled re-arms the timer: only when it is due sooner than the timer's
 * longest sleep (a later one is found by a round anyway).
 */
export function rearmsTimer(dueInMs: number | undefined, maxMs: number): dueInMs is number {
  return dueInMs !== undefined && dueInMs < maxMs;
}

/** The database's answer (fractional ms until the next due moment, null: nothing due) as a timer delay, rounded up so it never fires early. */
export function dueInMsOf(ms: number | null | undefined): number | undefined {
  return ms === null || ms === undefined ? undefined : Math.ceil(ms);
}
