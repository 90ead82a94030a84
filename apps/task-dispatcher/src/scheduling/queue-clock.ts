import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, LOGGER } from '@juggernaut/service-kit';
import type { Logger } from 'pino';
import { rowsOf } from '@juggernaut/persistence';
import { DataSource } from 'typeorm';
import { LeasesRepository } from '../claiming/leases.repository';
import type { DispatcherEnv } from '../config';
import { DispatchMetrics } from '../dispatch-metrics';
import { DispatchService } from '../dispatch.service';
import { recordTransitions } from '../tasks/transitions';
import { SchedulesRepository } from './schedules.repository';

/**
 * The dispatcher's clocks: the reaper (expired leases back to the queue), and a timer armed for the
 * next due moment — a scheduled task's run-at, a retry's backoff, a cron tick — that makes those
 * tasks pending and wakes the runners. The timer never sleeps longer than DISPATCH_TIMER_MAX_MS, so
 * work another replica scheduled is noticed too.
 */
@Injectable()
export class QueueClock implements OnApplicationBootstrap, OnApplicationShutdown {
  private reaper?: NodeJS.Timeout;
  private timer?: NodeJS.Timeout;
  private stopped = false;
  private busy: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly db: DataSource,
    private readonly leases: LeasesRepository,
    private readonly schedules: SchedulesRepository,
    private readonly dispatch: DispatchService,
    private readonly metrics: DispatchMetrics,
    @Inject(APP_CONFIG) private readonly config: DispatcherEnv,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    this.reaper = setInterval(() => void this.reap(), this.config.DISPATCH_REAPER_INTERVAL_MS);
    this.arm(0);
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearInterval(this.reaper);
    clearTimeout(this.timer);
    await this.busy.catch(() => undefined);
  }

  /** Re-arms the timer to fire at `at` if that is sooner than planned (a new scheduled task). */
  notifyDue(at: Date): void {
    const delay = Math.max(0, at.getTime() - Date.now());
    if (delay < this.config.DISPATCH_TIMER_MAX_MS) this.arm(delay);
  }

  private arm(delayMs: number): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.fire(), delayMs);
  }

  async reap(): Promise<number> {
    if (this.stopped) return 0;
    const run = this.leases.reap().then((t) => {
      if (t.length) {
        this.metrics.leasesExpired.inc(t.length);
        this.logger.warn({ tasks: t.length }, 'expired leases returned to the queue');
        this.dispatch.wake('leases expired');
      }
      return t.length;
    });
    this.busy = run.catch(() => undefined);
    return run.catch((e: unknown) => {
      this.logger.warn({ err: e }, 'reaper failed; will retry');
      return 0;
    });
  }

  private async fire(): Promise<void> {
    let next = this.config.DISPATCH_TIMER_MAX_MS;
    const run = (async () => {
      const created = await this.schedules.tick();
      const promoted = await this.promoteDue();
      if (created > 0 || promoted > 0) this.dispatch.wake('tasks due');
      const nextAt = await this.nextDueAt();
      if (nextAt) next = Math.min(next, Math.max(0, nextAt.getTime() - Date.now()));
    })();
    this.busy = run.catch(() => undefined);
    try {
      await run;
    } catch (e) {
      this.logger.warn({ err: e }, 'queue timer failed; will retry');
    }
    this.arm(next);
  }

  /** Scheduled tasks whose time has come, and retries whose backoff is over, become pending. */
  private async promoteDue(): Promise<number> {
    return this.db.transaction(async (em) => {
      const rows: Array<{ id: string; type: string; attempts: number; goal_id: string | null; was: string }> = rowsOf(await em.query(
        `WITH due AS (
           SELECT id, status AS was FROM dispatch.tasks WHERE status IN ('scheduled', 'failed') AND run_at <= now()
           ORDER BY run_at LIMIT 1000 FOR UPDATE SKIP LOCKED
         )
         UPDATE dispatch.tasks t SET status = 'pending', updated_at = now() FROM due WHERE t.id = due.id
         RETURNING t.id, t.type, t.attempts, t.goal_id, due.was`,
      ));
      await recordTransitions(em, rows.map((r) => ({
        taskId: r.id, type: r.type, status: 'pending' as const, attempt: r.attempts, goalId: r.goal_id,
        reason: r.was === 'scheduled' ? 'run-at reached' : 'retry backoff over',
      })));
      return rows.length;
    });
  }

  private async nextDueAt(): Promise<Date | undefined> {
    const [row] = await this.db.query(`SELECT min(run_at) AS at FROM dispatch.tasks WHERE status IN ('scheduled', 'failed')`);
    const schedule = await this.schedules.nextDue();
    const candidates = [row?.at as Date | null, schedule].filter((d): d is Date => d instanceof Date);
    return candidates.length ? new Date(Math.min(...candidates.map((d) => d.getTime()))) : undefined;
  }
}
