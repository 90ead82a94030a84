import { Injectable } from '@nestjs/common';
import { type DispatchHealthQueryV1, type DispatchHealthV1, Subjects } from '@juggernaut/contracts';
import { Respond } from '@juggernaut/messaging';
import { DataSource } from 'typeorm';

/**
 * Answers `juggernaut.dispatch.health.v1` for governance's monitor: how long the oldest ready task
 * has waited and which running tasks outlived their lease (a reaper that stopped working).
 * One read over the partial indexes on ready and running tasks.
 */
@Injectable()
export class HealthReport {
  constructor(private readonly db: DataSource) {}

  @Respond(Subjects.dispatchHealth)
  answer(q: DispatchHealthQueryV1): Promise<DispatchHealthV1> {
    return this.report(q.stuckAfterSeconds);
  }

  async report(stuckAfterSeconds: number): Promise<DispatchHealthV1> {
    const [queue] = (await this.db.query(
      `SELECT count(*)::int AS n, min(run_at) AS oldest FROM dispatch.tasks WHERE status = 'pending' AND run_at <= now()`,
    )) as Array<{ n: number; oldest: Date | null }>;
    const stuck = (await this.db.query(
      `SELECT id, type, worker_id, lease_expires_at, count(*) OVER ()::int AS total FROM dispatch.tasks
       WHERE status = 'running' AND lease_expires_at < now() - make_interval(secs => $1)
       ORDER BY lease_expires_at LIMIT 20`,
      [stuckAfterSeconds],
    )) as Array<{ id: string; type: string; worker_id: string | null; lease_expires_at: Date; total: number }>;
    return {
      pendingCount: queue!.n,
      oldestPendingSince: queue!.oldest?.toISOString() ?? null,
      stuckCount: stuck[0]?.total ?? 0,
      stuck: stuck.map((s) => ({
        taskId: s.id,
        type: s.type,
        workerId: s.worker_id,
        leaseExpiresAt: s.lease_expires_at.toISOString(),
      })),
    };
  }
}
