import { Injectable } from '@nestjs/common';
import type { CreateScheduleDto, CreateTaskDto, ScheduleViewV1 } from '@juggernaut/contracts';
import { type Narrow, rowsOf } from '@juggernaut/persistence';
import { DataSource } from 'typeorm';
import { TaskError } from '../tasks/task-errors';
import { TasksRepository } from '../tasks/tasks.repository';
import { cronProblem, nextTick, tickToRun } from './cron';
import type { DispatchSchedules } from '../db/schema.generated';

type ScheduleRow = Narrow<
  Pick<
    DispatchSchedules,
    'id' | 'name' | 'cron' | 'timezone' | 'catch_up' | 'task' | 'enabled' | 'next_run_at' | 'last_run_at'
  >,
  { catch_up: 'latest' | 'none'; task: CreateTaskDto }
>;

function toView(r: ScheduleRow): ScheduleViewV1 {
  return {
    id: r.id,
    name: r.name,
    cron: r.cron,
    timezone: r.timezone,
    catchUp: r.catch_up,
    task: r.task as unknown as Record<string, unknown>,
    enabled: r.enabled,
    nextRunAt: r.next_run_at.toISOString(),
    lastRunAt: r.last_run_at?.toISOString() ?? null,
  };
}

/**
 * Cron schedules. Each due schedule row is locked with SKIP LOCKED and its task carries the
 * idempotency key `schedule:<id>:<tick>`, so however many dispatcher replicas tick at once, each
 * tick creates exactly one task.
 *
 * Missed ticks after downtime: `catchUp = latest` (default) runs the most recent missed tick once
 * and then resumes the normal cadence; `none` skips every tick that is more than a minute late but
 * still runs the most recent one when it is on time. Time is the database's (`now()`), never this
 * host's clock.
 */
@Injectable()
export class SchedulesRepository {
  constructor(
    private readonly db: DataSource,
    private readonly tasks: TasksRepository,
  ) {}

  async create(dto: CreateScheduleDto): Promise<ScheduleViewV1> {
    const timezone = dto.timezone ?? 'UTC';
    const problem = cronProblem(dto.cron, timezone);
    if (problem) throw new TaskError(400, problem);
    const { idempotencyKey: _k, dependsOn: _d, ...task } = dto.task;
    const [{ now }] = (await this.db.query(`SELECT now() AS now`)) as Array<{ now: Date }>;
    const rows: ScheduleRow[] = await this.db.query(
      `INSERT INTO dispatch.schedules (name, cron, timezone, catch_up, task, next_run_at)
       VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (name) DO NOTHING RETURNING *`,
      [dto.name, dto.cron, timezone, dto.catchUp ?? 'latest', JSON.stringify(task), nextTick(dto.cron, timezone, now!)],
    );
    if (!rows[0]) throw new TaskError(409, `schedule ${dto.name} already exists`);
    return toView(rows[0]);
  }

  async list(): Promise<ScheduleViewV1[]> {
    const rows: ScheduleRow[] = await this.db.query(`SELECT * FROM dispatch.schedules ORDER BY name`);
    return rows.map(toView);
  }

  async delete(name: string): Promise<boolean> {
    const rows: unknown[] = rowsOf(
      await this.db.query(`DELETE FROM dispatch.schedules WHERE name = $1 RETURNING id`, [name]),
    );
    if (rows.length === 0) throw new TaskError(404, `schedule ${name} not found`);
    return true;
  }

  /** Creates the task of every due tick; returns how many tasks were created. */
  async tick(): Promise<number> {
    return this.db.transaction(async (em) => {
      const due: Array<ScheduleRow & { db_now: Date }> = await em.query(
        `SELECT *, now() AS db_now FROM dispatch.schedules WHERE enabled AND next_run_at <= now() ORDER BY next_run_at LIMIT 100 FOR UPDATE SKIP LOCKED`,
      );
      let created = 0;
      for (const s of due) {
        const now = s.db_now;
        const tick = tickToRun(s.cron, s.timezone, s.catch_up, now);
        if (tick) {
          const r = await this.tasks.createIn(em, {
            ...s.task,
            idempotencyKey: `schedule:${s.id}:${tick.toISOString()}`,
          });
          if (r.created) created++;
        }
        await em.query(
          `UPDATE dispatch.schedules SET next_run_at = $2, last_run_at = coalesce($3, last_run_at) WHERE id = $1`,
          [s.id, nextTick(s.cron, s.timezone, now), tick],
        );
      }
      return created;
    });
  }
}
