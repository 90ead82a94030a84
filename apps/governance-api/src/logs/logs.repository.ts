import { Injectable } from '@nestjs/common';
import type { CreateExecutionLogDto } from '@juggernaut/contracts';
import { type Cursor, type Narrow, type Queryable, SqlWhere } from '@juggernaut/persistence';
import { DataSource } from 'typeorm';
import type { GovernanceExecutionLogs } from '../db/schema.generated';

export type ExecutionLogRow = Narrow<GovernanceExecutionLogs, { output_data: Record<string, unknown> | null }>;

export interface LogFilter {
  workerId?: string;
  taskId?: string;
  action?: string;
  level?: string;
  since?: string;
}

@Injectable()
export class LogsRepository {
  constructor(private readonly db: DataSource) {}

  /** Inserts a log line; a repeated `logId` returns the line stored the first time. */
  async insert(log: CreateExecutionLogDto, tx: Queryable = this.db): Promise<ExecutionLogRow> {
    const rows = (await tx.query(
      `WITH ins AS (
         INSERT INTO governance.execution_logs (log_id, worker_id, task_id, step, action, level, message, output_data, duration_ms)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         ON CONFLICT (log_id) DO NOTHING RETURNING *)
       SELECT * FROM ins
       UNION ALL SELECT * FROM governance.execution_logs WHERE log_id = $1 AND NOT EXISTS (SELECT 1 FROM ins)`,
      [
        log.logId ?? null,
        log.workerId,
        log.taskId ?? null,
        log.step ?? null,
        log.action,
        log.level ?? 'info',
        log.message,
        log.outputData ? JSON.stringify(log.outputData) : null,
        log.durationMs ?? null,
      ],
    )) as ExecutionLogRow[];
    return rows[0]!;
  }

  async list(filter: LogFilter, limit: number, after?: Cursor): Promise<ExecutionLogRow[]> {
    const where = new SqlWhere();
    if (filter.workerId) where.add('worker_id = ?', filter.workerId);
    if (filter.taskId) where.add('task_id = ?', filter.taskId);
    if (filter.action) where.add('action = ?', filter.action);
    if (filter.level) where.add('level = ?', filter.level);
    if (filter.since) where.add('created_at >= ?', filter.since);
    if (after) where.add('(created_at, id) < (?::timestamptz, ?::uuid)', after.at, after.id);
    return this.db.query(
      `SELECT * FROM governance.execution_logs ${where.clause}
       ORDER BY created_at DESC, id DESC LIMIT ${where.bind(limit)}`,
      where.params,
    );
  }

  async get(id: string): Promise<ExecutionLogRow | undefined> {
    const rows: ExecutionLogRow[] = await this.db.query(`SELECT * FROM governance.execution_logs WHERE id = $1`, [id]);
    return rows[0];
  }
}
