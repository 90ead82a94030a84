import { Injectable } from '@nestjs/common';
import { type Narrow, rowsOf } from '@juggernaut/persistence';
import { DataSource } from 'typeorm';
import type { GovernanceWorkers } from '../db/schema.generated';

export type WorkerRow = Narrow<GovernanceWorkers, { status: 'online' | 'draining' | 'offline' }>;

@Injectable()
export class WorkersRepository {
  constructor(private readonly db: DataSource) {}

  /** Records a worker's presence; a heartbeat older than the stored one changes nothing. */
  async seen(w: {
    id: string;
    level: number;
    capabilities: string[];
    concurrency?: number;
    runningTaskIds?: string[];
    draining?: boolean;
    at: Date;
    started?: boolean;
  }): Promise<void> {
    await this.db.query(
      `INSERT INTO governance.workers (id, level, capabilities, concurrency, status, running_task_ids, started_at, last_seen_at)
       VALUES ($1, $2, $3, coalesce($4, 0), $5, coalesce($6::uuid[], '{}'), $7, $7)
       ON CONFLICT (id) DO UPDATE SET level = $2, capabilities = $3,
         concurrency = coalesce($4, governance.workers.concurrency), status = $5,
         running_task_ids = coalesce($6::uuid[], governance.workers.running_task_ids),
         started_at = CASE WHEN $8 THEN $7 ELSE governance.workers.started_at END,
         last_seen_at = greatest(governance.workers.last_seen_at, $7), offline_reason = NULL
       WHERE governance.workers.last_seen_at <= $7 OR $8`,
      [
        w.id,
        w.level,
        w.capabilities,
        w.concurrency ?? null,
        w.draining ? 'draining' : 'online',
        w.runningTaskIds ?? null,
        w.at,
        w.started ?? false,
      ],
    );
  }

  async offline(id: string, reason: string, at: Date): Promise<boolean> {
    const rows: unknown[] = rowsOf(
      await this.db.query(
        `UPDATE governance.workers SET status = 'offline', offline_reason = $2, running_task_ids = '{}', last_seen_at = greatest(last_seen_at, $3)
       WHERE id = $1 AND status <> 'offline' RETURNING id`,
        [id, reason, at],
      ),
    );
    return rows.length > 0;
  }

  /** Marks workers silent for longer than `silentMs` offline and returns them. */
  async sweepSilent(silentMs: number): Promise<WorkerRow[]> {
    return rowsOf<WorkerRow>(
      await this.db.query(
        `UPDATE governance.workers SET status = 'offline', offline_reason = 'silent', running_task_ids = '{}'
       WHERE status <> 'offline' AND last_seen_at < now() - make_interval(secs => $1::double precision / 1000)
       RETURNING *`,
        [silentMs],
      ),
    );
  }

  async list(status?: string): Promise<WorkerRow[]> {
    return status
      ? this.db.query(`SELECT * FROM governance.workers WHERE status = $1 ORDER BY id`, [status])
      : this.db.query(`SELECT * FROM governance.workers ORDER BY status, id`);
  }

  async get(id: string): Promise<WorkerRow | undefined> {
    const rows: WorkerRow[] = await this.db.query(`SELECT * FROM governance.workers WHERE id = $1`, [id]);
    return rows[0];
  }

  async countOnline(): Promise<number> {
    const [r] = await this.db.query(`SELECT count(*)::int AS n FROM governance.workers WHERE status <> 'offline'`);
    return r.n;
  }
}
