import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { Subjects } from '@juggernaut/contracts';
import { Bus } from '@juggernaut/messaging';
import type { Subscription } from '@nats-io/transport-node';
import { APP_CONFIG, LOGGER } from '@juggernaut/service-kit';
import type { Logger } from 'pino';
import { rowsOf } from '@juggernaut/persistence';
import { DataSource } from 'typeorm';
import { LeasesRepository } from '../claiming/leases.repository';
import type { DispatcherEnv } from '../config';
import { DispatchMetrics } from '../dispatch-metrics';
import { DispatchService } from '../dispatch.service';
import { recordTransitions } from '../tasks/transitions';
import { dueInMsOf, nextTimerDelayMs, reaperTick, rearmsTimer } from './clock-rules';
import { PeerWatch } from './peer-watch';
import { SchedulesRepository } from './schedules.repository';

/**
 * The dispatcher's clocks: the reaper (expired leases back to the queue), and a timer armed for the
 * next due moment — a scheduled task's run-at, a retry's backoff, a cron tick — that makes those
 * tasks pending and wakes the runners. The timer never sleeps longer than DISPATCH_TIMER_MAX_MS, so
 * work another replica scheduled is noticed too. Every "when" is the database's clock: delays are
 * computed in SQL, never from this host's wall clock.
 *
 * The reaper holds back for DISPATCH_REAPER_GRACE_MS after the dispatcher starts and after it
 * regains Postgres or NATS, or finds itself stalled (its timer firing far too late): leases that
 * expired meanwhile belong to runners that could not reach us, and they get that long to heartbeat
 * (or report) before their tasks are taken back.
 */
@Injectable()
export class QueueClock implements OnApplicationBootstrap, OnApplicationShutdown {
  private reaper?: NodeJS.Timeout;
  private timer?: NodeJS.Timeout;
  private stopped = false;
  private busy: Promise<unknown> = Promise.resolve();
  /** performance.now() since which Postgres and NATS have both been reachable; undefined while one is not. */
  private healthySince: number | undefined = performance.now();
  private natsUp = true;
  private unwatch?: () => void;
  private lastReapTick = performance.now();
  private readonly peers: PeerWatch;
  private presence?: Subscription;
  private heldForPeer = false;

  constructor(
    private readonly db: DataSource,
    private readonly leases: LeasesRepository,
    private readonly schedules: SchedulesRepository,
    private readonly dispatch: DispatchService,
    private readonly metrics: DispatchMetrics,
    private readonly bus: Bus,
    @Inject(APP_CONFIG) private readonly config: DispatcherEnv,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.peers = new PeerWatch(config.DISPATCH_REAPER_GRACE_MS);
  }

  onApplicationBootstrap(): void {
    this.unwatch = this.bus.onConnectionChange((up) => {
      this.natsUp = up;
      this.healthySince = up ? performance.now() : undefined;
    });
    this.presence = this.bus.listen(Subjects.dispatcherPresence, (p) => {
      if (typeof p.origin !== 'string' || p.origin === this.dispatch.origin) return;
      if (typeof p.intervalMs !== 'number' || !(p.intervalMs > 0)) return;
      const now = performance.now();
      // A replica that was silent answers now what its runners sent it meanwhile: they get the grace.
      if (this.peers.heard(p.origin, p.intervalMs, now, p.leaving === true) && this.healthySince !== undefined) {
        this.healthySince = now;
        this.logger.warn('another dispatcher replica was silent; expired leases wait out the grace first');
      }
    });
    this.reaper = setInterval(() => void this.reap(), this.config.DISPATCH_REAPER_INTERVAL_MS);
    this.arm(0);
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    this.unwatch?.();
    this.presence?.unsubscribe();
    this.sayPresent(true);
    clearInterval(this.reaper);
    clearTimeout(this.timer);
    await this.busy.catch(() => undefined);
  }

  /** Something new is scheduled (a task's run-at, a cron schedule): look again at once when the next due moment is. */
  recheck(): void {
    if (this.stopped) return;
    void this.nextDueInMs().then(
      (ms) => {
        if (rearmsTimer(ms, this.config.DISPATCH_TIMER_MAX_MS)) this.arm(ms);
      },
      () => undefined,
    );
  }

  private arm(delayMs: number): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.fire(), delayMs);
  }

  async reap(): Promise<number> {
    if (this.stopped) return 0;
    this.sayPresent(false);
    // A tick far later than planned means this process was stalled (stopped, swapped, a long pause):
    // runners could not reach it either, so they get the same grace as after an outage.
    const now = performance.now();
    const tick = reaperTick({
      now,
      lastTick: this.lastReapTick,
      healthySince: this.healthySince,
      intervalMs: this.config.DISPATCH_REAPER_INTERVAL_MS,
      graceMs: this.config.DISPATCH_REAPER_GRACE_MS,
    });
    this.lastReapTick = now;
    this.healthySince = tick.healthySince;
    if (tick.stalledMs !== undefined)
      this.logger.warn(
        { lateMs: Math.round(tick.stalledMs) },
        'the dispatcher was stalled; expired leases wait out the grace first',
      );
    if (!tick.reap) {
      // Still in the grace after a start or an outage; a cheap look tells whether Postgres is back.
      if (this.healthySince === undefined && this.natsUp) {
        await this.db.query('SELECT 1').then(
          () => (this.healthySince = performance.now()),
          () => undefined,
        );
      }
      return 0;
    }
    // Another replica gone silent may be sitting on runners' heartbeats and reports (the queue group
    // gives it its share): their leases are not taken back while it is, up to the grace.
    const peerSilent = this.peers.silent(now);
    if (peerSilent !== this.heldForPeer) {
      this.heldForPeer = peerSilent;
      if (peerSilent) this.logger.warn('another dispatcher replica is silent; the reaper holds back meanwhile');
    }
    if (peerSilent) return 0;
    const run = this.leases.reap().then((t) => {
      if (t.length) {
        this.metrics.leasesExpired.inc(t.length);
        this.logger.warn({ tasks: t.length }, 'expired leases returned to the queue');
        this.dispatch.wake('leases expired');
        // Those with attempts left come back after a backoff: the timer is armed for the first of them.
        if (t.some((x) => x.status === 'failed')) this.recheck();
      }
      return t.length;
    });
    this.busy = run.catch(() => undefined);
    return run.catch((e: unknown) => {
      this.healthySince = undefined;
      this.logger.warn({ err: e }, 'reaper failed; it waits out the grace once the database answers again');
      return 0;
    });
  }

  /** This replica's presence for the others' reapers (see PeerWatch); `leaving` when it stops. */
  private sayPresent(leaving: boolean): void {
    try {
      this.bus.signal(Subjects.dispatcherPresence, {
        origin: this.dispatch.origin,
        intervalMs: this.config.DISPATCH_REAPER_INTERVAL_MS,
        ...(leaving ? { leaving: true } : {}),
      });
    } catch {
      // NATS is away: the others hear from this replica again when it is back
    }
  }

  private async fire(): Promise<void> {
    let dueInMs: number | undefined;
    const run = (async () => {
      const created = await this.schedules.tick();
      const promoted = await this.promoteDue();
      if (created > 0 || promoted > 0) this.dispatch.wake('tasks due');
      dueInMs = await this.nextDueInMs();
    })();
    this.busy = run.catch(() => undefined);
    try {
      await run;
    } catch (e) {
      this.logger.warn({ err: e }, 'queue timer failed; will retry');
    }
    this.arm(nextTimerDelayMs(dueInMs, this.config.DISPATCH_TIMER_MAX_MS));
  }

  /** Scheduled tasks whose time has come, and retries whose backoff is over, become pending. */
  private async promoteDue(): Promise<number> {
    return this.db.transaction(async (em) => {
      const rows: Array<{ id: string; type: string; attempts: number; goal_id: string | null; was: string }> = rowsOf(
        await em.query(
          `WITH due AS (
           SELECT id, status AS was FROM dispatch.tasks WHERE status IN ('scheduled', 'failed') AND run_at <= now()
           ORDER BY run_at LIMIT 1000 FOR UPDATE SKIP LOCKED
         )
         UPDATE dispatch.tasks t SET status = 'pending', updated_at = now() FROM due WHERE t.id = due.id
         RETURNING t.id, t.type, t.attempts, t.goal_id, due.was`,
        ),
      );
      await recordTransitions(
        em,
        rows.map((r) => ({
          taskId: r.id,
          type: r.type,
          status: 'pending' as const,
          attempt: r.attempts,
          goalId: r.goal_id,
          reason: r.was === 'scheduled' ? 'run-at reached' : 'retry backoff over',
        })),
      );
      return rows.length;
    });
  }

  /**
   * Milliseconds, on the database's clock, until the next scheduled task, retry or cron tick is due
   * (0: overdue); undefined when nothing is scheduled. (`greatest` skips nulls, so "nothing" is kept
   * apart from "now" before it: the timer would otherwise run its round back to back.)
   */
  async nextDueInMs(): Promise<number | undefined> {
    const [row] = (await this.db.query(
      `SELECT CASE WHEN n.at IS NOT NULL THEN greatest(0, extract(epoch FROM n.at - now()) * 1000)::float8 END AS ms
       FROM (SELECT least(
         (SELECT min(run_at) FROM dispatch.tasks WHERE status IN ('scheduled', 'failed')),
         (SELECT min(next_run_at) FROM dispatch.schedules WHERE enabled)) AS at) n`,
    )) as Array<{ ms: number | null }>;
    return dueInMsOf(row?.ms);
  }
}
