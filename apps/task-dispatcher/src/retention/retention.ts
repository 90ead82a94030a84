import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { TaskRetentionV1, TaskStatus } from '@juggernaut/contracts';
import { rowsOf } from '@juggernaut/persistence';
import { APP_CONFIG, LOGGER } from '@juggernaut/service-kit';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import type { DispatcherEnv } from '../config';
import { DispatchMetrics } from '../dispatch-metrics';

/**
 * Retention: finished tasks — and with them their history, dependency edges and idempotency keys —
 * are deleted once they are older than the retention (succeeded and cancelled tasks after
 * DISPATCH_RETENTION_HOURS, dead ones after DISPATCH_RETENTION_DEAD_HOURS), in batches of
 * DISPATCH_RETENTION_BATCH, each its own short transaction, oldest first, so the queue keeps
 * serving while a large backlog is pruned. Unfinished work is never touched, and neither is a
 * finished task some unfinished task still depends on. Replicas share the work (SKIP LOCKED).
 */
@Injectable()
export class RetentionPruner implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer?: NodeJS.Timeout;
  private stopped = false;
  private running?: Promise<number>;
  private lastRunAt: Date | null = null;
  private lastPruned = 0;

  constructor(
    private readonly db: DataSource,
    private readonly metrics: DispatchMetrics,
    @Inject(APP_CONFIG) private readonly config: DispatcherEnv,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.run(), this.config.DISPATCH_RETENTION_INTERVAL_MS);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.running?.catch(() => undefined);
  }

  status(): TaskRetentionV1 {
    return {
      finishedHours: this.config.DISPATCH_RETENTION_HOURS,
      deadHours: this.config.DISPATCH_RETENTION_DEAD_HOURS,
      intervalMs: this.config.DISPATCH_RETENTION_INTERVAL_MS,
      batchSize: this.config.DISPATCH_RETENTION_BATCH,
      lastRunAt: this.lastRunAt?.toISOString() ?? null,
      lastPruned: this.lastPruned,
    };
  }

  /** One pruning run: batches until nothing old is left (or the service stops). Returns how many tasks went. */
  run(): Promise<number> {
    this.running ??= this.prune().finally(() => (this.running = undefined));
    return this.running;
  }

  private async prune(): Promise<number> {
    let total = 0;
    try {
      for (;;) {
        if (this.stopped) break;
        const n = await this.batch();
        total += n;
        if (n < this.config.DISPATCH_RETENTION_BATCH) break;
        // Let the queue's own statements in between batches.
        await new Promise((r) => setTimeout(r, 10));
      }
    } catch (e) {
      this.logger.warn({ err: e }, 'retention run failed; the next run goes on');
    }
    this.lastRunAt = new Date();
    this.lastPruned = total;
    if (total) this.logger.info({ pruned: total }, 'finished tasks past their retention pruned');
    return total;
  }

  private async batch(): Promise<number> {
    const rows: Array<{ status: TaskStatus }> = rowsOf(
      await this.db.query(
        `WITH doomed AS (
         SELECT t.id FROM dispatch.tasks t
         WHERE t.created_at < now() - make_interval(hours => least($1::int, $2::int))
           AND ((t.status IN ('succeeded', 'cancelled') AND t.finished_at < now() - make_interval(hours => $1::int))
             OR (t.status = 'dead' AND t.finished_at < now() - make_interval(hours => $2::int)))
           AND NOT EXISTS (
             SELECT 1 FROM dispatch.task_dependencies d JOIN dispatch.tasks c ON c.id = d.task_id
             WHERE d.depends_on = t.id AND c.status NOT IN ('succeeded', 'cancelled', 'dead'))
         ORDER BY t.created_at
         LIMIT $3
         FOR UPDATE OF t SKIP LOCKED
       ), history AS (
         DELETE FROM dispatch.task_events e USING doomed WHERE e.task_id = doomed.id
       )
       DELETE FROM dispatch.tasks t USING doomed WHERE t.id = doomed.id RETURNING t.status`,
        [
          this.config.DISPATCH_RETENTION_HOURS,
          this.config.DISPATCH_RETENTION_DEAD_HOURS,
          this.config.DISPATCH_RETENTION_BATCH,
        ],
      ),
    );
    const by = new Map<string, number>();
    for (const r of rows) by.set(r.status, (by.get(r.status) ?? 0) + 1);
    for (const [status, n] of by) this.metrics.pruned.inc({ status }, n);
    return rows.length;
  }
}
