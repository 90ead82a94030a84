import { Injectable } from '@nestjs/common';
import { SnoozeTaskError, sleep, type TaskContext, type TaskHandler, TerminalTaskError } from './task-handler';

const MAX_MS = 600_000;

/**
 * `noop`: waits `sleepMs` (abortably) and succeeds, or fails as told (`fail: true` retryable,
 * `fail: "terminal"` not). For drills of the queue's own behaviour: `hang: true` waits `sleepMs`
 * ignoring aborts (a handler stuck in a call that cannot be interrupted), and `snoozeMs` asks, on
 * the first run only, to be run again that much later. It serves health checks, benchmarks and drills.
 */
@Injectable()
export class NoopHandler implements TaskHandler {
  readonly type = 'noop';

  async run(payload: Record<string, unknown>, ctx: TaskContext): Promise<Record<string, unknown>> {
    const { sleepMs = 0, fail = false, hang = false, snoozeMs, ...rest } = payload;
    const unknown = Object.keys(rest);
    if (unknown.length) throw new TerminalTaskError(`noop payload: unknown field(s) ${unknown.join(', ')}`);
    if (!isMs(sleepMs)) throw new TerminalTaskError('noop payload: sleepMs must be an integer from 0 to 600000');
    if (snoozeMs !== undefined && !isMs(snoozeMs))
      throw new TerminalTaskError('noop payload: snoozeMs must be an integer from 0 to 600000');
    if (fail !== false && fail !== true && fail !== 'terminal')
      throw new TerminalTaskError('noop payload: fail must be true, false or "terminal"');
    if (typeof hang !== 'boolean') throw new TerminalTaskError('noop payload: hang must be true or false');
    if (snoozeMs !== undefined && !ctx.task.checkpoint?.['snoozed']) {
      await ctx.checkpoint({ snoozed: true });
      throw new SnoozeTaskError(snoozeMs, 'noop told to snooze');
    }
    const startedAt = new Date().toISOString();
    if (hang) await new Promise((r) => setTimeout(r, sleepMs));
    else if (sleepMs > 0) await sleep(sleepMs, ctx.signal);
    if (fail === 'terminal') throw new TerminalTaskError('noop told to fail terminally');
    if (fail) throw new Error('noop told to fail');
    return { sleptMs: sleepMs, attempt: ctx.task.attempt, startedAt };
  }
}

function isMs(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= MAX_MS;
}
