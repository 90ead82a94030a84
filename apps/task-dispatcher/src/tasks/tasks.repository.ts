import { Inject, Injectable } from '@nestjs/common';
import type { CreateTaskDto, ListTasksV1, TaskCountsV1, TaskHistoryEntryV1, TaskStatus } from '@juggernaut/contracts';
import { decodeCursor, type Queryable, rowsOf, SqlWhere } from '@juggernaut/persistence';
import { APP_CONFIG } from '@juggernaut/service-kit';
import { DataSource, type EntityManager } from 'typeorm';
import type { DispatcherEnv } from '../config';
import { TaskError } from './task-errors';
import type { TaskRow } from './task-row';
import { recordTransitions, selectRecorded, transitionCtes } from './transitions';
import { currentCorrelationId } from '@juggernaut/observability';

const TERMINAL: TaskStatus[] = ['succeeded', 'dead', 'cancelled'];

/** Inserts one task; an idempotency key already used inserts nothing (the caller returns the first task). */
const INSERT_TASK = `INSERT INTO dispatch.tasks (type, title, payload, priority, status, run_at, sort_key, required_level, required_capabilities,
    max_attempts, idempotency_key, goal_id, parent_task_id, budget_minor, depends_on, pending_deps, reason)
  VALUES ($1, $2, $3, $4::int, $5, $6, $6::timestamptz + make_interval(secs => $4::int * $16::int), $7, $8, $9, $10, $11, $12, $13, $14, $15, $17)
  ON CONFLICT (idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
  RETURNING *`;

/** Task creation, queries, cancellation and redrive. Claiming and finishing live in claiming/. */
@Injectable()
export class TasksRepository {
  constructor(
    private readonly db: DataSource,
    @Inject(APP_CONFIG) private readonly config: DispatcherEnv,
  ) {}

  /**
   * Inserts a task, its dependency edges, its history entry and its `task.created` event in one
   * transaction. The same idempotency key returns the task created first. A task may only depend on
   * tasks that already exist, so the dependency graph can never contain a cycle.
   */
  async create(dto: CreateTaskDto, extra: { parentTaskId?: string } = {}): Promise<{ row: TaskRow; created: boolean }> {
    if (!dto.dependsOn?.length) return this.createIndependent(dto, extra);
    return this.db.transaction((em) => this.createIn(em, dto, extra));
  }

  /**
   * The hot path: a task without dependencies is inserted with its history entry and its
   * `task.created` event in one statement, committed in one round trip.
   */
  private async createIndependent(dto: CreateTaskDto, extra: { parentTaskId?: string }): Promise<{ row: TaskRow; created: boolean }> {
    const runAt = dto.runAt ? new Date(dto.runAt) : new Date();
    const status: TaskStatus = runAt.getTime() > Date.now() ? 'scheduled' : 'pending';
    const rows: TaskRow[] = await this.db.query(
      `WITH inserted AS (${INSERT_TASK}), ${transitionCtes('inserted', '$18', { created: true })}
       ${selectRecorded('inserted')}`,
      [...this.insertParams(dto, extra, status, runAt, [], 0), currentCorrelationId() ?? null],
    );
    if (rows[0]) return { row: rows[0], created: true };
    // Lost a race on the idempotency key (or it was used before): return the task created first.
    const existing = await this.findByKey(this.db.manager, dto.idempotencyKey!);
    return { row: existing!, created: false };
  }

  private insertParams(dto: CreateTaskDto, extra: { parentTaskId?: string }, status: TaskStatus, runAt: Date, deps: string[], pendingDeps: number): unknown[] {
    return [
      dto.type, dto.title ?? null, JSON.stringify(dto.payload ?? {}), dto.priority ?? 5, status, runAt,
      dto.requiredLevel ?? 1, dto.requiredCapabilities ?? [], dto.maxAttempts ?? 5, dto.idempotencyKey ?? null,
      dto.goalId ?? null, extra.parentTaskId ?? null, dto.budgetMinor ?? null, deps, pendingDeps,
      this.config.DISPATCH_AGING_SECONDS, pendingDeps > 0 ? `waiting on ${pendingDeps} dependenc${pendingDeps === 1 ? 'y' : 'ies'}` : null,
    ];
  }

  /** `create` inside the caller's transaction (a schedule tick creates its task this way). */
  async createIn(em: EntityManager, dto: CreateTaskDto, extra: { parentTaskId?: string } = {}): Promise<{ row: TaskRow; created: boolean }> {
    {
      if (dto.idempotencyKey) {
        const existing = await this.findByKey(em, dto.idempotencyKey);
        if (existing) return { row: existing, created: false };
      }
      const deps = [...new Set(dto.dependsOn ?? [])];
      let pendingDeps = 0;
      if (deps.length > 0) {
        const rows: Array<{ id: string; status: TaskStatus }> = await em.query(
          `SELECT id, status FROM dispatch.tasks WHERE id = ANY($1::uuid[]) FOR SHARE`, [deps],
        );
        const found = new Map(rows.map((r) => [r.id, r.status]));
        const missing = deps.filter((d) => !found.has(d));
        if (missing.length) throw new TaskError(400, `dependsOn: unknown task(s) ${missing.join(', ')}`);
        const doomed = rows.filter((r) => r.status === 'dead' || r.status === 'cancelled');
        if (doomed.length) throw new TaskError(409, `dependsOn: task ${doomed[0]!.id} is ${doomed[0]!.status} and can never succeed`);
        pendingDeps = rows.filter((r) => r.status !== 'succeeded').length;
      }
      const runAt = dto.runAt ? new Date(dto.runAt) : new Date();
      const future = runAt.getTime() > Date.now();
      const status: TaskStatus = pendingDeps > 0 ? 'blocked' : future ? 'scheduled' : 'pending';
      const inserted: TaskRow[] = await em.query(INSERT_TASK, this.insertParams(dto, extra, status, runAt, deps, pendingDeps));
      const row = inserted[0];
      if (!row) {
        // Lost a race on the idempotency key to a concurrent submit: return the winner.
        const existing = await this.findByKey(em, dto.idempotencyKey!);
        return { row: existing!, created: false };
      }
      if (deps.length) {
        await em.query(
          `INSERT INTO dispatch.task_dependencies (task_id, depends_on) SELECT $1, unnest($2::uuid[])`, [row.id, deps],
        );
      }
      await recordTransitions(em, [{ taskId: row.id, type: row.type, status, attempt: 0, reason: row.reason, goalId: row.goal_id }], { created: true });
      return { row, created: true };
    }
  }

  private async findByKey(em: EntityManager, key: string): Promise<TaskRow | undefined> {
    const rows: TaskRow[] = await em.query(`SELECT * FROM dispatch.tasks WHERE idempotency_key = $1`, [key]);
    return rows[0];
  }

  async get(id: string): Promise<TaskRow | undefined> {
    const rows: TaskRow[] = await this.db.query(`SELECT * FROM dispatch.tasks WHERE id = $1`, [id]);
    return rows[0];
  }

  async history(id: string): Promise<TaskHistoryEntryV1[]> {
    const rows: Array<{ id: string; status: TaskStatus; attempt: number; worker_id: string | null; reason: string | null; at: Date }> =
      await this.db.query(`SELECT * FROM dispatch.task_events WHERE task_id = $1 ORDER BY id`, [id]);
    return rows.map((r) => ({ id: Number(r.id), status: r.status, attempt: r.attempt, workerId: r.worker_id, reason: r.reason, at: r.at.toISOString() }));
  }

  async list(q: ListTasksV1): Promise<TaskRow[]> {
    const where = new SqlWhere();
    if (q.status) where.add('status = ?', q.status);
    if (q.type) where.add('type = ?', q.type);
    if (q.goalId) where.add('goal_id = ?', q.goalId);
    if (q.workerId) where.add('worker_id = ?', q.workerId);
    if (q.parentTaskId) where.add('parent_task_id = ?', q.parentTaskId);
    const after = decodeCursor(q.cursor);
    if (after) where.add('(created_at, id) < (?::timestamptz, ?::uuid)', after.at, after.id);
    return this.db.query(
      `SELECT * FROM dispatch.tasks ${where.clause}
       ORDER BY created_at DESC, id DESC LIMIT ${where.bind((q.limit ?? 50) + 1)}`,
      where.params,
    );
  }

  /** How many of a goal's tasks are in each status (one index range, however many tasks). */
  async countByGoal(goalId: string): Promise<TaskCountsV1> {
    const rows: Array<{ status: TaskStatus; n: number }> = await this.db.query(
      `SELECT status, count(*)::int AS n FROM dispatch.tasks WHERE goal_id = $1 GROUP BY status`,
      [goalId],
    );
    const byStatus: Record<string, number> = {};
    for (const r of rows) byStatus[r.status] = r.n;
    return { total: rows.reduce((sum, r) => sum + r.n, 0), byStatus };
  }

  /**
   * Cancels a task that has not finished. A running task loses its lease at once (its runner's
   * completion will be refused) and is told to abort. Dependents are cancelled with the reason.
   */
  async cancel(id: string, reason: string): Promise<{ row: TaskRow; wasRunning: { workerId: string | null } | null; cascaded: number }> {
    return this.db.transaction(async (em) => {
      const rows: TaskRow[] = await em.query(`SELECT * FROM dispatch.tasks WHERE id = $1 FOR UPDATE`, [id]);
      const task = rows[0];
      if (!task) throw new TaskError(404, `task ${id} not found`);
      if (TERMINAL.includes(task.status)) throw new TaskError(409, `task ${id} is already ${task.status}`);
      const updated: TaskRow[] = rowsOf(await em.query(
        `UPDATE dispatch.tasks SET status = 'cancelled', reason = $2, claim_token = NULL, lease_expires_at = NULL,
           finished_at = now(), updated_at = now()
         WHERE id = $1 RETURNING *`,
        [id, reason],
      ));
      const row = updated[0]!;
      await recordTransitions(em, [{ taskId: id, type: row.type, status: 'cancelled', attempt: row.attempts, workerId: task.worker_id, reason, goalId: row.goal_id }]);
      const cascaded = await cancelDependents(em, [id], `dependency ${id} was cancelled`);
      return { row, wasRunning: task.status === 'running' ? { workerId: task.worker_id } : null, cascaded };
    });
  }

  /** Redrives a dead, failed or cancelled task: it gets a fresh set of attempts and is queued now. */
  async retry(id: string): Promise<TaskRow> {
    return this.db.transaction(async (em) => {
      const rows: TaskRow[] = await em.query(`SELECT * FROM dispatch.tasks WHERE id = $1 FOR UPDATE`, [id]);
      const task = rows[0];
      if (!task) throw new TaskError(404, `task ${id} not found`);
      if (!['dead', 'failed', 'cancelled'].includes(task.status)) {
        throw new TaskError(409, `task ${id} is ${task.status}; only dead, failed or cancelled tasks can be retried`);
      }
      const [{ waiting }] = await em.query(
        `SELECT count(*)::int AS waiting FROM dispatch.task_dependencies d JOIN dispatch.tasks t ON t.id = d.depends_on
         WHERE d.task_id = $1 AND t.status <> 'succeeded'`, [id],
      );
      const status: TaskStatus = waiting > 0 ? 'blocked' : 'pending';
      const updated: TaskRow[] = rowsOf(await em.query(
        `UPDATE dispatch.tasks SET status = $2, attempts = 0, run_at = now(), sort_key = now() + make_interval(secs => priority * $3::int),
           pending_deps = $4, reason = $5, claim_token = NULL, worker_id = NULL, lease_expires_at = NULL, finished_at = NULL, updated_at = now()
         WHERE id = $1 RETURNING *`,
        [id, status, this.config.DISPATCH_AGING_SECONDS, waiting, waiting > 0 ? `waiting on ${waiting} dependencies` : 'redriven'],
      ));
      const row = updated[0]!;
      await recordTransitions(em, [{ taskId: id, type: row.type, status, attempt: 0, reason: 'redriven', goalId: row.goal_id }]);
      return row;
    });
  }
}

/**
 * Cancels, transitively, every unfinished task that depends on the given ones: a task whose
 * dependency died or was cancelled can never run.
 */
export async function cancelDependents(em: Queryable, roots: string[], reason: string): Promise<number> {
  if (roots.length === 0) return 0;
  const cancelled: Array<{ id: string; type: string; attempts: number; goal_id: string | null }> = rowsOf(await em.query(
    `WITH RECURSIVE dependents(id) AS (
       SELECT task_id FROM dispatch.task_dependencies WHERE depends_on = ANY($1::uuid[])
       UNION
       SELECT d.task_id FROM dispatch.task_dependencies d JOIN dependents ON d.depends_on = dependents.id
     )
     UPDATE dispatch.tasks t SET status = 'cancelled', reason = $2, finished_at = now(), updated_at = now()
     FROM dependents WHERE t.id = dependents.id AND t.status IN ('blocked', 'pending', 'scheduled', 'failed')
     RETURNING t.id, t.type, t.attempts, t.goal_id`,
    [roots, reason],
  ));
  await recordTransitions(em, cancelled.map((c) => ({ taskId: c.id, type: c.type, status: 'cancelled' as const, attempt: c.attempts, reason, goalId: c.goal_id })));
  return cancelled.length;
}
