import { Injectable } from '@nestjs/common';
import type { BudgetUsageV1, ReserveBudgetV1 } from '@juggernaut/contracts';
import { rowsOf } from '@juggernaut/persistence';
import { DataSource, type EntityManager } from 'typeorm';
import type { BudgetUsage } from './budget-caps';
import type { GovernanceBudgetReservations } from '../db/schema.generated';

type ReservationRow = Pick<GovernanceBudgetReservations, 'id' | 'task_id' | 'reserved_minor' | 'actual_minor'>;

/** Reservations are what caps are checked against: settled at their actual cost, open ones in full. */
@Injectable()
export class BudgetsRepository {
  constructor(private readonly db: DataSource) {}

  /**
   * Runs `fn` holding the budget lock: reservations are checked and written one at a time, so two
   * runners can never both fit under the last of a cap.
   */
  locked<T>(fn: (em: EntityManager) => Promise<T>): Promise<T> {
    return this.db.transaction(async (em) => {
      await em.query(`SELECT pg_advisory_xact_lock(hashtext('governance.budget_reservations'))`);
      return fn(em);
    });
  }

  async find(em: EntityManager, id: string): Promise<ReservationRow | undefined> {
    const rows: ReservationRow[] = await em.query(
      `SELECT id, task_id, reserved_minor, actual_minor FROM governance.budget_reservations WHERE id = $1`,
      [id],
    );
    return rows[0];
  }

  async usage(
    em: EntityManager,
    r: Pick<ReserveBudgetV1, 'taskId' | 'workerId' | 'level' | 'currency'>,
  ): Promise<BudgetUsage> {
    const [row] = await em.query(
      `SELECT
         coalesce(sum(coalesce(actual_minor, reserved_minor)) FILTER (WHERE day = (now() AT TIME ZONE 'UTC')::date), 0)::text AS global,
         coalesce(sum(coalesce(actual_minor, reserved_minor)) FILTER (WHERE day = (now() AT TIME ZONE 'UTC')::date AND level = $3), 0)::text AS level,
         coalesce(sum(coalesce(actual_minor, reserved_minor)) FILTER (WHERE day = (now() AT TIME ZONE 'UTC')::date AND worker_id = $2), 0)::text AS worker,
         coalesce(sum(coalesce(actual_minor, reserved_minor)) FILTER (WHERE task_id = $1), 0)::text AS task
       FROM governance.budget_reservations WHERE currency = $4 AND (day = (now() AT TIME ZONE 'UTC')::date OR task_id = $1)`,
      [r.taskId, r.workerId, r.level, r.currency],
    );
    return { global: Number(row.global), level: Number(row.level), worker: Number(row.worker), task: Number(row.task) };
  }

  async insert(em: EntityManager, r: ReserveBudgetV1): Promise<void> {
    await em.query(
      `INSERT INTO governance.budget_reservations (id, task_id, worker_id, level, currency, reserved_minor) VALUES ($1, $2, $3, $4, $5, $6)`,
      [r.reservationId, r.taskId, r.workerId, r.level, r.currency, r.amountMinor],
    );
  }

  /** Sets the actual cost once; a repeated settlement returns the first. */
  async settle(id: string, actualMinor: number): Promise<number | undefined> {
    const rows: Array<{ actual_minor: string }> = rowsOf(
      await this.db.query(
        `UPDATE governance.budget_reservations SET actual_minor = coalesce(actual_minor, $2), settled_at = coalesce(settled_at, now())
       WHERE id = $1 RETURNING actual_minor`,
        [id, actualMinor],
      ),
    );
    return rows[0] ? Number(rows[0].actual_minor) : undefined;
  }

  async today(currency: string): Promise<BudgetUsageV1> {
    const rows: Array<{ level: number; worker_id: string; spent: string; open: string }> = await this.db.query(
      `SELECT level, worker_id, sum(coalesce(actual_minor, reserved_minor))::text AS spent, count(*) FILTER (WHERE actual_minor IS NULL)::text AS open
       FROM governance.budget_reservations WHERE day = (now() AT TIME ZONE 'UTC')::date AND currency = $1 GROUP BY level, worker_id`,
      [currency],
    );
    const usage: BudgetUsageV1 = {
      currency,
      day: new Date().toISOString().slice(0, 10),
      globalMinor: 0,
      byLevelMinor: {},
      byWorkerMinor: {},
      openReservations: 0,
    };
    for (const r of rows) {
      const spent = Number(r.spent);
      usage.globalMinor += spent;
      usage.byLevelMinor[String(r.level)] = (usage.byLevelMinor[String(r.level)] ?? 0) + spent;
      usage.byWorkerMinor[r.worker_id] = (usage.byWorkerMinor[r.worker_id] ?? 0) + spent;
      usage.openReservations += Number(r.open);
    }
    return usage;
  }
}
