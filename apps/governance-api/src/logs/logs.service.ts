import { Injectable, NotFoundException } from '@nestjs/common';
import type { CreateExecutionLogDto, Page } from '@juggernaut/contracts';
import { redact } from '@juggernaut/observability';
import { encodeCursor } from '@juggernaut/persistence';
import { DataSource } from 'typeorm';
import type { AuditTrail } from '../audit/audit-trail';
import { checkedCursor } from '../http/checked-cursor';
import { type ExecutionLogRow, type LogFilter, LogsRepository } from './logs.repository';

export interface ExecutionLogView {
  id: string;
  workerId: string;
  taskId: string | null;
  step: number | null;
  action: string;
  level: string;
  message: string;
  outputData: Record<string, unknown> | null;
  durationMs: number | null;
  createdAt: string;
}

/** A stored line as readers see it: redacted again, so lines stored before a redaction rule existed do not show what it hides. */
function toView(r: ExecutionLogRow): ExecutionLogView {
  return {
    id: r.id,
    workerId: r.worker_id,
    taskId: r.task_id,
    step: r.step,
    action: r.action,
    level: r.level,
    message: redact(r.message),
    outputData: r.output_data && redact(r.output_data),
    durationMs: r.duration_ms === null ? null : Number(r.duration_ms),
    createdAt: r.created_at.toISOString(),
  };
}

/** The execution log: every step a worker takes. One use case reached from HTTP and NATS alike. */
@Injectable()
export class LogsService {
  constructor(
    private readonly repo: LogsRepository,
    private readonly db: DataSource,
  ) {}

  /**
   * Stores a log line with secrets redacted from its message and output. Through HTTP (`trail`),
   * the line and its audit entry commit together or not at all.
   */
  async append(input: CreateExecutionLogDto, trail?: AuditTrail): Promise<ExecutionLogView> {
    const clean: CreateExecutionLogDto = {
      ...input,
      message: redact(input.message),
      ...(input.outputData ? { outputData: redact(input.outputData) } : {}),
    };
    if (!trail) return toView(await this.repo.insert(clean));
    return this.db.transaction(async (tx) => {
      const view = toView(await this.repo.insert(clean, tx));
      await trail.inTransaction(tx, view);
      return view;
    });
  }

  async list(filter: LogFilter, limit = 50, cursor?: string): Promise<Page<ExecutionLogView>> {
    const rows = await this.repo.list(filter, limit + 1, checkedCursor(cursor, 'uuid'));
    const items = rows.slice(0, limit).map(toView);
    const last = rows.length > limit ? rows[limit - 1] : undefined;
    return { items, nextCursor: last ? encodeCursor(last.created_at, last.id) : null };
  }

  async get(id: string): Promise<ExecutionLogView> {
    const row = await this.repo.get(id);
    if (!row) throw new NotFoundException(`log ${id} not found`);
    return toView(row);
  }
}
