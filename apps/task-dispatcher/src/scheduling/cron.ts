import { CronExpressionParser } from 'cron-parser';

/** Validates a 5-field cron expression and time zone; returns a reason when invalid. */
export function cronProblem(expr: string, timezone: string): string | undefined {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone });
  } catch {
    return `timezone: unknown time zone "${timezone}"`;
  }
  if (expr.trim().split(/\s+/).length !== 5)
    return 'cron must have 5 fields: minute hour day-of-month month day-of-week';
  try {
    CronExpressionParser.parse(expr, { tz: timezone }).next();
    return undefined;
  } catch (e) {
    return `cron: ${(e as Error).message}`;
  }
}

/** The first tick strictly after `after`. */
export function nextTick(expr: string, timezone: string, after: Date): Date {
  return CronExpressionParser.parse(expr, { tz: timezone, currentDate: after }).next().toDate();
}

/** The last tick at or before `at`. */
export function latestTick(expr: string, timezone: string, at: Date): Date {
  // prev() is strictly before currentDate; nudge forward so a tick exactly at `at` counts.
  return CronExpressionParser.parse(expr, { tz: timezone, currentDate: new Date(at.getTime() + 1) })
    .prev()
    .toDate();
}

/** A tick that comes this late is "missed" rather than merely delayed. */
export const ON_TIME_MS = 60_000;

/**
 * Which tick a due schedule runs at `now` (or null: none). The most recent tick is run when it is on
 * time (at most a minute late), whatever the catch-up mode; when it is later than that, `latest`
 * runs it once and `none` skips it. Older missed ticks are never run.
 */
export function tickToRun(expr: string, timezone: string, catchUp: 'latest' | 'none', now: Date): Date | null {
  const tick = latestTick(expr, timezone, now);
  if (now.getTime() - tick.getTime() <= ON_TIME_MS) return tick;
  return catchUp === 'latest' ? tick : null;
}
