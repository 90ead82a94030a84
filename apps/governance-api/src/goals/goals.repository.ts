import { Injectable } from '@nestjs/common';
import type { CreateGoalDto, GoalStatus, GoalV1, UpdateGoalDto } from '@juggernaut/contracts';
import type { Cursor, Narrow, Queryable } from '@juggernaut/persistence';
import { DataSource } from 'typeorm';
import type { GovernanceGoals } from '../db/schema.generated';

export type GoalRow = Narrow<GovernanceGoals, { success_criteria: string[]; status: GoalStatus }>;

export function toGoal(r: GoalRow): GoalV1 {
  return {
    id: r.id,
    title: r.title,
    description: r.description,
    successCriteria: r.success_criteria,
    budgetMinor: r.budget_minor === null ? null : Number(r.budget_minor),
    currency: r.currency,
    status: r.status,
    dueAt: r.due_at?.toISOString() ?? null,
    createdBy: r.created_by,
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
  };
}

/** Goals: what the system is working towards, with success criteria and a budget. */
@Injectable()
export class GoalsRepository {
  constructor(private readonly db: DataSource) {}

  async create(g: CreateGoalDto, createdBy: string, tx: Queryable): Promise<GoalRow> {
    const rows = (await tx.query(
      `INSERT INTO governance.goals (title, description, success_criteria, budget_minor, currency, due_at, created_by)
       VALUES ($1, $2, $3::jsonb, $4, $5, $6, $7) RETURNING *`,
      [
        g.title,
        g.description ?? null,
        JSON.stringify(g.successCriteria),
        g.budgetMinor ?? null,
        g.currency ?? 'USD',
        g.dueAt ?? null,
        createdBy,
      ],
    )) as GoalRow[];
    return rows[0]!;
  }

  /** The goal locked for an update in `tx`, or undefined. */
  async lock(id: string, tx: Queryable): Promise<GoalRow | undefined> {
    const rows = (await tx.query(`SELECT * FROM governance.goals WHERE id = $1 FOR UPDATE`, [id])) as GoalRow[];
    return rows[0];
  }

  async update(id: string, u: UpdateGoalDto, tx: Queryable): Promise<GoalRow> {
    // TypeORM answers an UPDATE with [rows, affected count].
    const [rows] = (await tx.query(
      `UPDATE governance.goals SET
         title = coalesce($2::text, title), description = coalesce($3::text, description),
         success_criteria = coalesce($4::jsonb, success_criteria), budget_minor = coalesce($5::bigint, budget_minor),
         status = coalesce($6::text, status), due_at = coalesce($7::timestamptz, due_at), updated_at = now()
       WHERE id = $1 RETURNING *`,
      [
        id,
        u.title ?? null,
        u.description ?? null,
        u.successCriteria ? JSON.stringify(u.successCriteria) : null,
        u.budgetMinor ?? null,
        u.status ?? null,
        u.dueAt ?? null,
      ],
    )) as [GoalRow[], number];
    return rows[0]!;
  }

  async get(id: string): Promise<GoalRow | undefined> {
    const rows: GoalRow[] = await this.db.query(`SELECT * FROM governance.goals WHERE id = $1`, [id]);
    return rows[0];
  }

  async list(status: GoalStatus | undefined, limit: number, after?: Cursor): Promise<GoalRow[]> {
    return this.db.query(
      `SELECT * FROM governance.goals
       WHERE ($1::text IS NULL OR status = $1)
         AND ($2::timestamptz IS NULL OR (created_at, id) < ($2::timestamptz, $3::uuid))
       ORDER BY created_at DESC, id DESC LIMIT $4`,
      [status ?? null, after?.at ?? null, after?.id ?? null, limit],
    );
  }
}
