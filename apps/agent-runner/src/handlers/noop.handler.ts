import { Injectable } from '@nestjs/common';
import { sleep, type TaskContext, type TaskHandler, TerminalTaskError } from './task-handler';

/**
 * `noop`: waits `sleepMs` (abortably) and succeeds, or fails as told (`fail: true` retryable,
 * `fail: "terminal"` not). It serves health checks, benchmarks and drills.
 */
@Injectable()
export class NoopHandler implements TaskHandler {
  readonly type = 'noop';

  async run(payload: Record<string, unknown>, ctx: TaskContext): Promise<Record<string, unknown>> {
    const { sleepMs = 0, fail = false, ...rest } = payload;
    const unknown = Object.keys(rest);
    if (unknown.length) throw new TerminalTaskError(`noop payload: unknown field(s) ${unknown.join(', ')}`);
    if (typeof sleepMs !== 'number' || !Number.isInteger(sleepMs) || sleepMs < 0 || sleepMs > 600_000) {
      throw new TerminalTaskError('noop payload: sleepMs must be an integer from 0 to 600000');
    }
    if (fail !== false && fail !== true && fail !== 'terminal') throw new TerminalTaskError('noop payload: fail must be true, false or "terminal"');
    const startedAt = new Date().toISOString();
    if (sleepMs > 0) await sleep(sleepMs, ctx.signal);
    if (fail === 'terminal') throw new TerminalTaskError('noop told to fail terminally');
    if (fail) throw new Error('noop told to fail');
    return { sleptMs: sleepMs, attempt: ctx.task.attempt, startedAt };
  }
}
