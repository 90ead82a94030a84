import { Injectable } from '@nestjs/common';
import { LATENCY_BUCKETS, Metrics } from '@juggernaut/observability';
import { DataSource } from 'typeorm';
import { TASK_STATUSES } from '@juggernaut/contracts';

/** Queue metrics of CONTRACT.md. Gauges are read from Postgres at scrape time, so every replica reports the truth. */
@Injectable()
export class DispatchMetrics {
  readonly pickup;
  readonly runDuration;
  readonly leasesExpired;
  readonly completed;
  readonly claimed;
  readonly created;

  constructor(metrics: Metrics, db: DataSource) {
    this.pickup = metrics.histogram('juggernaut_task_pickup_latency_seconds', 'From due (created or run-at) to claimed', [], LATENCY_BUCKETS);
    this.runDuration = metrics.histogram('juggernaut_task_run_duration_seconds', 'From claim to completion or failure', ['type', 'outcome'], LATENCY_BUCKETS);
    this.leasesExpired = metrics.counter('juggernaut_leases_expired_total', 'Leases that expired and were reclaimed by the reaper');
    this.completed = metrics.counter('juggernaut_tasks_completed_total', 'Tasks finished by outcome', ['type', 'outcome']);
    this.claimed = metrics.counter('juggernaut_tasks_claimed_total', 'Tasks claimed by runners');
    this.created = metrics.counter('juggernaut_tasks_created_total', 'Tasks created', ['type']);
    metrics.gauge('juggernaut_tasks', 'Tasks by state', ['state'], async function () {
      const rows: Array<{ status: string; n: number }> = await db.query(`SELECT status, count(*)::int AS n FROM dispatch.tasks GROUP BY status`);
      const counts = new Map(rows.map((r) => [r.status, r.n]));
      for (const s of TASK_STATUSES) this.set({ state: s }, counts.get(s) ?? 0);
    });
    metrics.gauge('juggernaut_queue_depth', 'Tasks due and waiting for a runner', [], async function () {
      const [r] = await db.query(`SELECT count(*)::int AS n FROM dispatch.tasks WHERE status IN ('pending', 'scheduled', 'failed') AND run_at <= now()`);
      this.set(r.n);
    });
    metrics.gauge('juggernaut_queue_oldest_pending_age_seconds', 'Age of the oldest due task not yet claimed', [], async function () {
      const [r] = await db.query(
        `SELECT coalesce(extract(epoch FROM now() - min(greatest(run_at, created_at))), 0)::float8 AS age
         FROM dispatch.tasks WHERE status IN ('pending', 'scheduled', 'failed') AND run_at <= now()`,
      );
      this.set(Number(r.age));
    });
  }
}
