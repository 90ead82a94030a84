import { CronExpressionParser } from 'cron-parser';

/** Validates a 5-field cron expression and time zone; returns a reason when invalid. */
export function cronProblem(expr: string, timezone: string): string | undefined {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone });
  } catch {
    return `timezone: unknown time zone "${timezone}"`;
  }
  if (expr.trim().split(/\s+/).length !== 5) return 'cron must have 5 fields: minute hour day-of-month month day-of-week';
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
  return CronExpressionParser.parse(expr, { tz: timezone, currentDate: new Date(at.getTime() + 1) }).prev().toDate();
}
