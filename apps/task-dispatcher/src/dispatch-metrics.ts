import { Injectable } from '@nestjs/common';
import { LATENCY_BUCKETS, Metrics } from '@juggernaut/observability';
import { DataSource } from 'typeorm';
import { TypeLimitsRepository } from './limits/type-limits.repository';

/**
 * What the `juggernaut_tasks` gauge reads at each scrape: the live states and the dead ones (the
 * dead-letter queue), each counted through the partial index that holds it, so a scrape reads the
 * work in hand and never the finished history (succeeded and cancelled tasks are counted by
 * `juggernaut_tasks_completed_total` instead).
 */
export const GAUGE_STATES = ['pending', 'scheduled', 'failed', 'running', 'blocked', 'dead'] as const;
export const TASK_GAUGE_STATEMENTS = [
  `SELECT status, count(*)::int AS n FROM dispatch.tasks WHERE status IN ('pending', 'scheduled', 'failed') GROUP BY status`,
  `SELECT 'running' AS status, count(*)::int AS n FROM dispatch.tasks WHERE status = 'running' AND lease_expires_at IS NOT NULL`,
  `SELECT status, count(*)::int AS n FROM dispatch.tasks WHERE status IN ('blocked', 'dead') GROUP BY status`,
];

export const TASKS_DUE_OR_RUNNING = `
  SELECT type, required_level AS level, 'due' AS state, count(*)::int AS n FROM dispatch.tasks
   WHERE status IN ('pending', 'scheduled', 'failed') AND run_at <= now() GROUP BY type, required_level
  UNION ALL
  SELECT type, required_level, 'running', count(*)::int FROM dispatch.tasks
   WHERE status = 'running' AND lease_expires_at IS NOT NULL GROUP BY type, required_level`;

/** Queue metrics of CONTRACT.md. Gauges are read from Postgres at scrape time, so every replica reports the truth. */
@Injectable()
export class DispatchMetrics {
  readonly pickup;
  readonly runDuration;
  readonly leasesExpired;
  readonly completed;
  readonly claimed;
  readonly created;
  readonly claimsTooLate;
  readonly snoozed;
  readonly pruned;

  constructor(metrics: Metrics, db: DataSource, limits: TypeLimitsRepository) {
    this.pickup = metrics.histogram(
      'juggernaut_task_pickup_latency_seconds',
      'From due (created or run-at) to claimed',
      [],
      LATENCY_BUCKETS,
    );
    this.runDuration = metrics.histogram(
      'juggernaut_task_run_duration_seconds',
      'From claim to completion or failure',
      ['type', 'outcome'],
      LATENCY_BUCKETS,
    );
    this.leasesExpired = metrics.counter(
      'juggernaut_leases_expired_total',
      'Leases that expired and were reclaimed by the reaper',
    );
    this.completed = metrics.counter('juggernaut_tasks_completed_total', 'Tasks finished by outcome', [
      'type',
      'outcome',
    ]);
    this.claimed = metrics.counter('juggernaut_tasks_claimed_total', 'Tasks claimed by runners');
    this.created = metrics.counter('juggernaut_tasks_created_total', 'Tasks created', ['type']);
    this.snoozed = metrics.counter(
      'juggernaut_tasks_snoozed_total',
      'Tasks their handler asked to run again later (no attempt counted)',
      ['type'],
    );
    this.pruned = metrics.counter(
      'juggernaut_tasks_pruned_total',
      'Finished tasks (and their history) removed by retention',
      ['status'],
    );
    this.claimsTooLate = metrics.counter(
      'juggernaut_claims_too_late_total',
      'Claims rolled back because they could not commit before the runner stopped waiting',
    );
    metrics.gauge('juggernaut_tasks', 'Unfinished and dead tasks by state', ['state'], async function () {
      const counts = new Map<string, number>();
      for (const q of TASK_GAUGE_STATEMENTS) {
        for (const r of (await db.query(q)) as Array<{ status: string; n: number }>) counts.set(r.status, r.n);
      }
      for (const s of GAUGE_STATES) this.set({ state: s }, counts.get(s) ?? 0);
    });
    metrics.gauge(
      'juggernaut_task_types_paused',
      'Task types paused (none of their tasks is handed out)',
      [],
      async function () {
        this.set(await limits.pausedCount());
      },
    );
    metrics.gauge('juggernaut_queue_depth', 'Tasks due and waiting for a runner', [], async function () {
      const [r] = await db.query(
        `SELECT count(*)::int AS n FROM dispatch.tasks WHERE status IN ('pending', 'scheduled', 'failed') AND run_at <= now()`,
      );
      this.set(r.n);
    });
    // What agent-runner's autoscaler reads (k8s/components/keda-autoscaling): the work the runners could
    // be doing now, by type and required level (the runners' handlers and level decide which they take),
    // both through partial indexes (tasks_claim_idx for due tasks, tasks_running_type_idx for running).
    metrics.gauge(
      'juggernaut_tasks_due_or_running',
      'Tasks due and waiting for a runner, and tasks running, by type and required level',
      ['type', 'level', 'state'],
      async function () {
        const rows = (await db.query(TASKS_DUE_OR_RUNNING)) as Array<{
          type: string;
          level: number;
          state: string;
          n: number;
        }>;
        this.reset();
        for (const r of rows) this.set({ type: r.type, level: String(r.level), state: r.state }, r.n);
      },
    );
    metrics.gauge(
      'juggernaut_queue_oldest_pending_age_seconds',
      'Age of the oldest due task not yet claimed',
      [],
      async function () {
        const [r] = await db.query(
          `SELECT coalesce(extract(epoch FROM now() - min(greatest(run_at, created_at))), 0)::float8 AS age
         FROM dispatch.tasks WHERE status IN ('pending', 'scheduled', 'failed') AND run_at <= now()`,
        );
        this.set(Number(r.age));
      },
    );
  }
}
