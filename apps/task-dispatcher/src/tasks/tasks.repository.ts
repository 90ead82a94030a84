import { Inject, Injectable } from '@nestjs/common';
import type { CreateTaskDto, ListTasksV1, TaskCountsV1, TaskHistoryEntryV1, TaskStatus } from '@juggernaut/contracts';
import { randomUUID } from 'node:crypto';
import { decodeCursor, preparedQuery, type Queryable, rowsOf, SqlWhere } from '@juggernaut/persistence';
import { APP_CONFIG } from '@juggernaut/service-kit';
import { DataSource, type EntityManager } from 'typeorm';
import type { DispatcherEnv } from '../config';
import { TaskError } from './task-errors';
import { REDRIVABLE, type TaskRow, TERMINAL, UNFINISHED } from './task-row';
import { recordTransitions, selectRecorded, transitionCtes } from './transitions';
import { sortKey } from './sort-key';
import { currentCorrelationId } from '@juggernaut/observability';
import type { DispatchTaskDependencies, DispatchTasks } from '../db/schema.generated';

/** The columns a submitted task sets, in INSERT order (the batch insert reads the same names from JSON). */
export const TASK_COLUMNS = `type, title, payload, priority, status, run_at, sort_key, required_level, required_capabilities,
    max_attempts, idempotency_key, goal_id, parent_task_id, budget_minor, depends_on, pending_deps, reason,
    timeout_seconds, unique_key, unique_until, retry_base_ms, retry_max_ms, terminal_errors`;

/**
 * Inserts one task; an idempotency key already used inserts nothing (the caller returns the first
 * task). Its run-at defaults to the database's now, and whether it is pending or scheduled is
 * decided on the database's clock too: a dispatcher whose clock drifts cannot park a task in the
 * future or run it early. Attempts default to the type's, then to 5.
 */
const INSERT_TASK = `INSERT INTO dispatch.tasks (${TASK_COLUMNS})
  SELECT $1, $2, $3, $4::int,
    CASE WHEN $14::int > 0 THEN 'blocked' WHEN r.at > now() THEN 'scheduled' ELSE 'pending' END,
    r.at, ${sortKey('r.at', '$4::int', '$15::int')}, $6, $7,
    coalesce($8::int, (SELECT l.max_attempts FROM dispatch.type_limits l WHERE l.type = $1), 5),
    $9, $10, $11, $12, $13, $14, $16,
    $17::int, $18::text, CASE WHEN $19::int IS NULL THEN NULL ELSE now() + make_interval(secs => $19::int) END, $20::int, $21::int, $22::text[]
  FROM (SELECT coalesce($5::timestamptz, now()) AS at) r
  ON CONFLICT (idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
  RETURNING *`;

/**
 * A batch of tasks without dependencies or unique keys as one INSERT over a JSON array, ids chosen
 * by the caller so each answer finds its task. Same defaults and clock as INSERT_TASK.
 */
const INSERT_BATCH = `INSERT INTO dispatch.tasks (id, ${TASK_COLUMNS})
  SELECT x.id, x.type, x.title, coalesce(x.payload, '{}'), x.priority,
    CASE WHEN r.at > now() THEN 'scheduled' ELSE 'pending' END,
    r.at, ${sortKey('r.at', 'x.priority', '$2::int')}, x.required_level, x.required_capabilities,
    coalesce(x.max_attempts, l.max_attempts, 5), x.idempotency_key, x.goal_id, NULL, x.budget_minor, '{}', 0, NULL,
    x.timeout_seconds, NULL, NULL, x.retry_base_ms, x.retry_max_ms, x.terminal_errors
  FROM ROWS FROM (jsonb_to_recordset($1::jsonb) AS (id uuid, type text, title text, payload jsonb, priority int, run_at timestamptz,
      required_level int, required_capabilities text[], max_attempts int, idempotency_key text, goal_id uuid, budget_minor bigint,
      timeout_seconds int, retry_base_ms int, retry_max_ms int, terminal_errors text[])) WITH ORDINALITY
    AS x(id, type, title, payload, priority, run_at, required_level, required_capabilities, max_attempts, idempotency_key, goal_id,
      budget_minor, timeout_seconds, retry_base_ms, retry_max_ms, terminal_errors, n)
  CROSS JOIN LATERAL (SELECT coalesce(x.run_at, now()) AS at) r
  LEFT JOIN dispatch.type_limits l ON l.type = x.type
  ORDER BY x.n
  ON CONFLICT (idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
  RETURNING *`;

/**
 * A submission's own fields with their defaults, named as the task columns they fill: the one place
 * for the defaults of every insert path (one task, a batch, a hand-off to a held claim).
 */
export function submittedFields(dto: CreateTaskDto) {
  return {
    type: dto.type,
    title: dto.title ?? null,
    payload: dto.payload ?? {},
    priority: dto.priority ?? 5,
    required_level: dto.requiredLevel ?? 1,
    required_capabilities: dto.requiredCapabilities ?? [],
    max_attempts: dto.maxAttempts ?? null,
    idempotency_key: dto.idempotencyKey ?? null,
    goal_id: dto.goalId ?? null,
    budget_minor: dto.budgetMinor ?? null,
    timeout_seconds: dto.timeoutSeconds ?? null,
    retry_base_ms: dto.retry?.backoffBaseMs ?? null,
    retry_max_ms: dto.retry?.backoffMaxMs ?? null,
    terminal_errors: dto.retry?.terminalErrors ?? null,
  };
}

export interface CreateOutcome {
  row: TaskRow;
  created: boolean;
  replaced?: boolean;
}

/** What is wrong with a submission beyond its field formats, or null. */
export function submissionProblem(dto: CreateTaskDto): string | null {
  if (dto.runAt && Number.isNaN(Date.parse(dto.runAt))) return 'runAt must be an ISO 8601 time';
  if (!dto.uniqueKey && (dto.uniqueScope || dto.uniqueMode || dto.uniquePeriodSeconds !== undefined)) {
    return 'uniqueScope, uniqueMode and uniquePeriodSeconds need a uniqueKey';
  }
  if (dto.uniqueScope === 'period' && dto.uniquePeriodSeconds === undefined)
    return 'uniquePeriodSeconds is required when uniqueScope is "period"';
  if (dto.uniqueScope !== 'period' && dto.uniquePeriodSeconds !== undefined)
    return 'uniquePeriodSeconds applies only to uniqueScope "period"';
  return null;
}

/** Task creation, queries, cancellation and redrive. Claiming and finishing live in claiming/. */
@Injectable()
export class TasksRepository {
  constructor(
    private readonly db: DataSource,
    @Inject(APP_CONFIG) private readonly config: DispatcherEnv,
  ) {}

  /**
   * Inserts a task, its dependency edges, its history entry and its `task.created` event in one
   * transaction. The same idempotency key returns the task created first; a unique key in scope
   * answers (or updates) the task holding it. A task may only depend on tasks that already exist,
   * so the dependency graph can never contain a cycle.
   */
  async create(dto: CreateTaskDto, extra: { parentTaskId?: string } = {}): Promise<CreateOutcome> {
    if (!dto.dependsOn?.length && !dto.uniqueKey) return this.createIndependent(dto, extra);
    return this.db.transaction((em) => this.createIn(em, dto, extra));
  }

  /**
   * The hot path: a task without dependencies is inserted with its history entry and its
   * `task.created` event in one statement, committed in one round trip.
   */
  private async createIndependent(dto: CreateTaskDto, extra: { parentTaskId?: string }): Promise<CreateOutcome> {
    const rows = await preparedQuery<TaskRow>(
      this.db,
      `WITH inserted AS (${INSERT_TASK}), ${transitionCtes('inserted', '$23', { created: true })}
       ${selectRecorded('inserted')}`,
      [...this.insertParams(dto, extra, [], 0), currentCorrelationId() ?? null],
    );
    if (rows[0]) return { row: rows[0], created: true };
    // Lost a race on the idempotency key (or it was used before): return the task created first.
    const existing = await this.findByKey(this.db.manager, dto.idempotencyKey!);
    return { row: existing!, created: false };
  }

  private insertParams(
    dto: CreateTaskDto,
    extra: { parentTaskId?: string },
    deps: string[],
    pendingDeps: number,
  ): unknown[] {
    const f = submittedFields(dto);
    return [
      f.type,
      f.title,
      JSON.stringify(f.payload),
      f.priority,
      dto.runAt ?? null,
      f.required_level,
      f.required_capabilities,
      f.max_attempts,
      f.idempotency_key,
      f.goal_id,
      extra.parentTaskId ?? null,
      f.budget_minor,
      deps,
      pendingDeps,
      this.config.DISPATCH_AGING_SECONDS,
      pendingDeps > 0 ? `waiting on ${pendingDeps} dependenc${pendingDeps === 1 ? 'y' : 'ies'}` : null,
      f.timeout_seconds,
      dto.uniqueKey ?? null,
      dto.uniqueScope === 'period' ? dto.uniquePeriodSeconds! : null,
      f.retry_base_ms,
      f.retry_max_ms,
      f.terminal_errors,
    ];
  }

  /**
   * Up to 1,000 tasks in one transaction: the plain ones (no dependencies, no unique key) in one
   * set-based INSERT, the others one by one in order. Each is answered with its id and whether it
   * was created; a failure creates none.
   */
  async createBatch(dtos: CreateTaskDto[]): Promise<CreateOutcome[]> {
    return this.db.transaction(async (em) => {
      const out: CreateOutcome[] = new Array(dtos.length);
      const plain = dtos
        .map((d, i) => ({ d, i, id: randomUUID() }))
        .filter(({ d }) => !d.dependsOn?.length && !d.uniqueKey);
      if (plain.length) {
        const rows: TaskRow[] = await em.query(
          `WITH inserted AS (${INSERT_BATCH}), ${transitionCtes('inserted', '$3', { created: true })}
           ${selectRecorded('inserted')}`,
          [
            JSON.stringify(plain.map(({ d, id }) => ({ id, ...submittedFields(d), run_at: d.runAt ?? null }))),
            this.config.DISPATCH_AGING_SECONDS,
            currentCorrelationId() ?? null,
          ],
        );
        const byId = new Map(rows.map((r) => [r.id, r]));
        for (const { d, i, id } of plain) {
          const row = byId.get(id);
          // Not inserted: its idempotency key was taken (before, or earlier in this batch).
          out[i] = row
            ? { row, created: true }
            : { row: (await this.findByKey(em, d.idempotencyKey!))!, created: false };
        }
      }
      for (let i = 0; i < dtos.length; i++) {
        if (!out[i]) out[i] = await this.createIn(em, dtos[i]!);
      }
      return out;
    });
  }

  /** `create` inside the caller's transaction (a schedule tick creates its task this way). */
  async createIn(em: EntityManager, dto: CreateTaskDto, extra: { parentTaskId?: string } = {}): Promise<CreateOutcome> {
    if (dto.idempotencyKey) {
      const existing = await this.findByKey(em, dto.idempotencyKey);
      if (existing) return { row: existing, created: false };
    }
    if (dto.uniqueKey) {
      const held = await this.holderOf(em, dto.uniqueKey);
      if (held) {
        const mode = dto.uniqueMode ?? 'return';
        if (mode === 'return') return { row: held, created: false };
        // A task that has not started takes the new submission; one already running keeps its
        // payload, and the new submission is queued after it.
        if (held.status !== 'running')
          return { row: await this.replace(em, held, dto, mode === 'debounce'), created: false, replaced: true };
      }
    }
    const deps = [...new Set(dto.dependsOn ?? [])];
    let pendingDeps = 0;
    if (deps.length > 0) {
      const rows: Array<{ id: string; status: TaskStatus }> = await em.query(
        `SELECT id, status FROM dispatch.tasks WHERE id = ANY($1::uuid[]) FOR SHARE`,
        [deps],
      );
      const found = new Map(rows.map((r) => [r.id, r.status]));
      const missing = deps.filter((d) => !found.has(d));
      if (missing.length) throw new TaskError(400, `dependsOn: unknown task(s) ${missing.join(', ')}`);
      const doomed = rows.filter((r) => r.status === 'dead' || r.status === 'cancelled');
      if (doomed.length)
        throw new TaskError(409, `dependsOn: task ${doomed[0]!.id} is ${doomed[0]!.status} and can never succeed`);
      pendingDeps = rows.filter((r) => r.status !== 'succeeded').length;
    }
    const inserted: TaskRow[] = await em.query(INSERT_TASK, this.insertParams(dto, extra, deps, pendingDeps));
    const row = inserted[0];
    if (!row) {
      // Lost a race on the idempotency key to a concurrent submit: return the winner.
      const existing = await this.findByKey(em, dto.idempotencyKey!);
      return { row: existing!, created: false };
    }
    if (deps.length) {
      await em.query(`INSERT INTO dispatch.task_dependencies (task_id, depends_on) SELECT $1, unnest($2::uuid[])`, [
        row.id,
        deps,
      ]);
    }
    await recordTransitions(
      em,
      [{ taskId: row.id, type: row.type, status: row.status, attempt: 0, reason: row.reason, goalId: row.goal_id }],
      { created: true },
    );
    return { row, created: true };
  }

  /**
   * The task holding a unique key, if any: the newest one that is unfinished, or still within its
   * period. Concurrent submissions with one key are serialised by a transaction-scoped advisory lock.
   */
  private async holderOf(em: EntityManager, key: string): Promise<TaskRow | undefined> {
    await em.query(`SELECT pg_advisory_xact_lock(hashtextextended('dispatch:unique:' || $1, 0))`, [key]);
    const rows: TaskRow[] = await em.query(
      `SELECT * FROM dispatch.tasks WHERE unique_key = $1 AND (status = ANY($2::text[]) OR unique_until > now())
       ORDER BY created_at DESC LIMIT 1 FOR UPDATE`,
      [key, UNFINISHED],
    );
    return rows[0];
  }

  /** uniqueMode replace/debounce: the waiting task takes the new payload, title and priority (and, debouncing, its run-at). */
  private async replace(em: EntityManager, held: TaskRow, dto: CreateTaskDto, debounce: boolean): Promise<TaskRow> {
    if (!UNFINISHED.includes(held.status)) return held; // finished, held only by its period: nothing to replace
    const rows: TaskRow[] = rowsOf(
      await em.query(
        `UPDATE dispatch.tasks t SET payload = $2, title = coalesce($3, t.title), priority = $4::int,
         run_at = CASE WHEN $5 THEN r.at ELSE t.run_at END,
         sort_key = ${sortKey('CASE WHEN $5 THEN r.at ELSE t.run_at END', '$4::int', '$6::int')},
         status = CASE WHEN t.status IN ('pending', 'scheduled') THEN CASE WHEN (CASE WHEN $5 THEN r.at ELSE t.run_at END) > now() THEN 'scheduled' ELSE 'pending' END
                       ELSE t.status END,
         updated_at = now()
       FROM (SELECT coalesce($7::timestamptz, now()) AS at) r
       WHERE t.id = $1 RETURNING t.*`,
        [
          held.id,
          JSON.stringify(dto.payload ?? {}),
          dto.title ?? null,
          dto.priority ?? held.priority,
          debounce,
          this.config.DISPATCH_AGING_SECONDS,
          dto.runAt ?? null,
        ],
      ),
    );
    return rows[0]!;
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
    const rows: Array<{
      id: string;
      status: TaskStatus;
      attempt: number;
      worker_id: string | null;
      reason: string | null;
      at: Date;
    }> = await this.db.query(`SELECT * FROM dispatch.task_events WHERE task_id = $1 ORDER BY id`, [id]);
    return rows.map((r) => ({
      id: Number(r.id),
      status: r.status,
      attempt: r.attempt,
      workerId: r.worker_id,
      reason: r.reason,
      at: r.at.toISOString(),
    }));
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
  async cancel(
    id: string,
    reason: string,
  ): Promise<{ row: TaskRow; wasRunning: { workerId: string | null } | null; cascaded: number }> {
    return this.db.transaction(async (em) => {
      const rows: TaskRow[] = await em.query(`SELECT * FROM dispatch.tasks WHERE id = $1 FOR UPDATE`, [id]);
      const task = rows[0];
      if (!task) throw new TaskError(404, `task ${id} not found`);
      if (TERMINAL.includes(task.status)) throw new TaskError(409, `task ${id} is already ${task.status}`);
      const updated: TaskRow[] = rowsOf(
        await em.query(
          `UPDATE dispatch.tasks SET status = 'cancelled', reason = $2, claim_token = NULL, lease_expires_at = NULL,
           finished_at = now(), updated_at = now()
         WHERE id = $1 RETURNING *`,
          [id, reason],
        ),
      );
      const row = updated[0]!;
      await recordTransitions(em, [
        {
          taskId: id,
          type: row.type,
          status: 'cancelled',
          attempt: row.attempts,
          workerId: task.worker_id,
          reason,
          goalId: row.goal_id,
        },
      ]);
      const cascaded = await cancelDependents(em, [id], `dependency ${id} was cancelled`);
      return { row, wasRunning: task.status === 'running' ? { workerId: task.worker_id } : null, cascaded };
    });
  }

  /**
   * Redrives a dead, failed or cancelled task: it gets a fresh set of attempts and is queued now (or
   * blocked, when a dependency has not succeeded yet). A task whose dependency is dead or cancelled
   * cannot be redriven on its own (it would wait forever): the answer names the dependency to
   * redrive instead. Redriving a task brings back, blocked on it, the dependents its death or
   * cancellation had cancelled.
   */
  async retry(id: string): Promise<TaskRow> {
    return this.db.transaction(async (em) => {
      const rows: TaskRow[] = await em.query(`SELECT * FROM dispatch.tasks WHERE id = $1 FOR UPDATE`, [id]);
      const task = rows[0];
      if (!task) throw new TaskError(404, `task ${id} not found`);
      if (!REDRIVABLE.includes(task.status)) {
        throw new TaskError(409, `task ${id} is ${task.status}; only dead, failed or cancelled tasks can be retried`);
      }
      const doomed: Array<{ id: string; status: TaskStatus }> = await em.query(
        `SELECT t.id, t.status FROM dispatch.task_dependencies d JOIN dispatch.tasks t ON t.id = d.depends_on
         WHERE d.task_id = $1 AND t.status IN ('dead', 'cancelled') ORDER BY t.id LIMIT 1`,
        [id],
      );
      if (doomed[0]) {
        throw new TaskError(
          409,
          `task ${id} depends on task ${doomed[0].id}, which is ${doomed[0].status}: redrive that one instead (its cancelled dependents come back with it)`,
        );
      }
      const [{ waiting }] = await em.query(
        `SELECT count(*)::int AS waiting FROM dispatch.task_dependencies d JOIN dispatch.tasks t ON t.id = d.depends_on
         WHERE d.task_id = $1 AND t.status <> 'succeeded'`,
        [id],
      );
      const status: TaskStatus = waiting > 0 ? 'blocked' : 'pending';
      const updated: TaskRow[] = rowsOf(
        await em.query(
          `UPDATE dispatch.tasks SET status = $2, attempts = 0, run_at = now(), sort_key = ${sortKey('now()', 'priority', '$3::int')},
           pending_deps = $4, reason = $5, claim_token = NULL, claim_id = NULL, cascade_root = NULL, worker_id = NULL,
           lease_expires_at = NULL, finished_at = NULL, updated_at = now()
         WHERE id = $1 RETURNING *`,
          [
            id,
            status,
            this.config.DISPATCH_AGING_SECONDS,
            waiting,
            waiting > 0 ? `waiting on ${waiting} dependencies` : 'redriven',
          ],
        ),
      );
      const row = updated[0]!;
      await recordTransitions(em, [
        { taskId: id, type: row.type, status, attempt: 0, reason: 'redriven', goalId: row.goal_id },
      ]);
      await reviveDependents(em, id);
      return row;
    });
  }
}

/**
 * Brings back the dependents that the cascade from `root` cancelled: each waits `blocked` again for
 * the dependencies it still lacks. One that also depends on another dead or cancelled task stays
 * cancelled, now recorded as waiting on that one (redriving it brings the task back). Dependents of a
 * task brought back whose cascade was recorded against it come back too.
 */
async function reviveDependents(em: Queryable, root: string): Promise<void> {
  const roots = [root];
  while (roots.length) {
    const current = roots.shift()!;
    const members = (await em.query(
      `SELECT id FROM dispatch.tasks WHERE cascade_root = $1 AND status = 'cancelled' FOR UPDATE`,
      [current],
    )) as Array<Pick<DispatchTasks, 'id'>>;
    const reviving = new Set(members.map((m) => m.id));
    if (reviving.size === 0) continue;
    // Dependencies that are dead or cancelled and not coming back hold their dependents cancelled
    // (and, in turn, those dependents' own dependents): repeat until nothing more drops out.
    for (let changed = true; changed;) {
      changed = false;
      const blockers = (await em.query(
        `SELECT DISTINCT ON (d.task_id) d.task_id, d.depends_on AS blocker FROM dispatch.task_dependencies d JOIN dispatch.tasks t ON t.id = d.depends_on
         WHERE d.task_id = ANY($1::uuid[]) AND t.status IN ('dead', 'cancelled') AND NOT (t.id = ANY($1::uuid[]))
         ORDER BY d.task_id, d.depends_on`,
        [[...reviving]],
      )) as Array<Pick<DispatchTaskDependencies, 'task_id'> & { blocker: DispatchTaskDependencies['depends_on'] }>;
      for (const b of blockers) {
        reviving.delete(b.task_id);
        await em.query(`UPDATE dispatch.tasks SET cascade_root = $2, reason = $3, updated_at = now() WHERE id = $1`, [
          b.task_id,
          b.blocker,
          `dependency ${b.blocker} is dead or cancelled`,
        ]);
        changed = true;
      }
    }
    if (reviving.size === 0) continue;
    const revived: Array<{ id: string; type: string; attempts: number; goal_id: string | null; pending: number }> =
      rowsOf(
        await em.query(
          `UPDATE dispatch.tasks t SET status = 'blocked', pending_deps = w.pending, cascade_root = NULL, finished_at = NULL, updated_at = now(),
         reason = 'waiting on ' || w.pending || ' dependencies'
       FROM (SELECT d.task_id, count(*) FILTER (WHERE p.status <> 'succeeded')::int AS pending
             FROM dispatch.task_dependencies d JOIN dispatch.tasks p ON p.id = d.depends_on
             WHERE d.task_id = ANY($1::uuid[]) GROUP BY d.task_id) w
       WHERE t.id = w.task_id
       RETURNING t.id, t.type, t.attempts, t.goal_id, w.pending`,
          [[...reviving]],
        ),
      );
    await recordTransitions(
      em,
      revived.map((r) => ({
        taskId: r.id,
        type: r.type,
        status: 'blocked' as const,
        attempt: r.attempts,
        goalId: r.goal_id,
        reason: `dependency ${current} redriven`,
      })),
    );
    roots.push(...revived.map((r) => r.id));
  }
}

/**
 * Cancels, transitively, every unfinished task that depends on the given one: a task whose
 * dependency died or was cancelled can never run. Each is marked with the root of the cascade, so
 * redriving the root brings it back.
 */
export async function cancelDependents(em: Queryable, roots: string[], reason: string): Promise<number> {
  if (roots.length === 0) return 0;
  const cancelled: Array<{ id: string; type: string; attempts: number; goal_id: string | null }> = rowsOf(
    await em.query(
      `WITH RECURSIVE dependents(id, root) AS (
       SELECT task_id, depends_on FROM dispatch.task_dependencies WHERE depends_on = ANY($1::uuid[])
       UNION
       SELECT d.task_id, dependents.root FROM dispatch.task_dependencies d JOIN dependents ON d.depends_on = dependents.id
     )
     UPDATE dispatch.tasks t SET status = 'cancelled', reason = $2, cascade_root = dep.root, finished_at = now(), updated_at = now()
     FROM (SELECT DISTINCT ON (id) id, root FROM dependents ORDER BY id, root) dep
     WHERE t.id = dep.id AND t.status IN ('blocked', 'pending', 'scheduled', 'failed')
     RETURNING t.id, t.type, t.attempts, t.goal_id`,
      [roots, reason],
    ),
  );
  await recordTransitions(
    em,
    cancelled.map((c) => ({
      taskId: c.id,
      type: c.type,
      status: 'cancelled' as const,
      attempt: c.attempts,
      reason,
      goalId: c.goal_id,
    })),
  );
  return cancelled.length;
}
