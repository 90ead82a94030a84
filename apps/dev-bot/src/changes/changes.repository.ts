import { Injectable } from '@nestjs/common';
import {
  type ChangeDiffSummaryV1,
  type ChangePageV1,
  type ChangeReviewV1,
  type ChangeStatus,
  type ChangeStepV1,
  type ChangeViewV1,
  type CheckResultV1,
  FINAL_CHANGE_STATUSES,
  type GateFindingV1,
  type ListChangesV1,
  type PullRequestViewV1,
} from '@juggernaut/contracts';
import { Metrics, redact, redactString } from '@juggernaut/observability';
import { decodeCursor, encodeCursor, type Narrow, type Queryable, rowsOf, SqlWhere } from '@juggernaut/persistence';
import { DataSource } from 'typeorm';
import { type StoredStep, StepLog } from './step-log';
import type { DevbotChanges, DevbotChangeSteps, DevbotPullRequests } from '../db/schema.generated';

/** What each stage leaves on a change, kept as one JSON document beside its status. */
export interface ChangeData {
  diff?: ChangeDiffSummaryV1;
  checks?: CheckResultV1[];
  postMergeChecks?: CheckResultV1[];
  gateFindings?: GateFindingV1[];
  review?: ChangeReviewV1;
  /** Model calls made so far: numbers each call's budget reservation and cost event. */
  modelCalls?: number;
  /** The branch has been pushed to the remote: a new attempt resumes it instead of starting over. */
  pushed?: boolean;
  /** The author's summary of the last round. */
  summary?: string;
}

export type ChangeRow = Narrow<DevbotChanges, { status: ChangeStatus; data: ChangeData }>;

type StepRow = Narrow<
  Pick<DevbotChangeSteps, 'id' | 'stage' | 'message' | 'data' | 'at'>,
  { data: Record<string, unknown> | null }
>;

type PullRequestRow = Narrow<
  Pick<DevbotPullRequests, 'number' | 'forge' | 'external_number' | 'url' | 'diff'>,
  { forge: 'local' | 'github' }
>;

export interface NewChange {
  id: string;
  repository: string;
  targetBranch: string;
  branch: string;
  title: string;
  goal: string;
  requestedBy: string | null;
  taskId: string | null;
  maxAttempts: number;
  currency: string;
}

/** Change requests, their append-only timeline and their local pull requests. */
@Injectable()
export class ChangesRepository {
  private readonly ended;

  constructor(
    private readonly db: DataSource,
    private readonly stepLog: StepLog,
    metrics: Metrics,
  ) {
    this.ended = metrics.counter(
      'juggernaut_devbot_changes_total',
      'Change requests by how they ended (merged, rejected, failed, reverted, cancelled)',
      ['status'],
    );
  }

  /** Stores a new change (queued); a change for the same task already stored is returned instead. */
  async insert(c: NewChange): Promise<ChangeRow> {
    return this.logged(async (m, steps) => {
      const rows = (await m.query(
        `INSERT INTO devbot.changes (id, repository, target_branch, branch, title, goal, status, requested_by, task_id, max_attempts, currency)
         VALUES ($1, $2, $3, $4, $5, $6, 'queued', $7, $8, $9, $10)
         ON CONFLICT (task_id) DO NOTHING RETURNING *`,
        [
          c.id,
          c.repository,
          c.targetBranch,
          c.branch,
          c.title,
          c.goal,
          c.requestedBy,
          c.taskId,
          c.maxAttempts,
          c.currency,
        ],
      )) as ChangeRow[];
      if (rows[0]) {
        steps.push(
          await this.step(
            m,
            c.id,
            'queued',
            `change requested${c.requestedBy ? ` by ${c.requestedBy}` : ''}: ${c.title}`,
          ),
        );
        return rows[0];
      }
      const existing = (await m.query(`SELECT * FROM devbot.changes WHERE task_id = $1`, [c.taskId])) as ChangeRow[];
      return existing[0]!;
    });
  }

  async find(id: string): Promise<ChangeRow | undefined> {
    return ((await this.db.query(`SELECT * FROM devbot.changes WHERE id = $1`, [id])) as ChangeRow[])[0];
  }

  async findByTask(taskId: string): Promise<ChangeRow | undefined> {
    return ((await this.db.query(`SELECT * FROM devbot.changes WHERE task_id = $1`, [taskId])) as ChangeRow[])[0];
  }

  async findByApproval(approvalId: string): Promise<ChangeRow | undefined> {
    return (
      (await this.db.query(`SELECT * FROM devbot.changes WHERE approval_id = $1`, [approvalId])) as ChangeRow[]
    )[0];
  }

  async setTask(id: string, taskId: string): Promise<void> {
    await this.db.query(
      `UPDATE devbot.changes SET task_id = $2, updated_at = now() WHERE id = $1 AND task_id IS NULL`,
      [id, taskId],
    );
  }

  /**
   * Moves a change to `status`, merging `patch` into its stage data, and appends the step, in one
   * transaction. A change already in a final state is not moved (returns false).
   */
  async advance(
    id: string,
    status: ChangeStatus,
    message: string,
    update: {
      data?: ChangeData;
      stepData?: Record<string, unknown>;
      reason?: string;
      approvalId?: string | null;
      mergeCommit?: string;
      revertCommit?: string;
      attempts?: number;
    } = {},
    events: (m: Queryable) => Promise<void> = async () => undefined,
  ): Promise<boolean> {
    return this.logged(async (m, steps) => {
      const rows = rowsOf<Pick<DevbotChanges, 'id'>>(
        await m.query(
          `UPDATE devbot.changes SET status = $2, data = data || $3::jsonb, reason = COALESCE($4, reason),
           approval_id = CASE WHEN $5::boolean THEN $6::uuid ELSE approval_id END,
           merge_commit = COALESCE($7, merge_commit), revert_commit = COALESCE($8, revert_commit),
           attempts = COALESCE($9, attempts), updated_at = now()
         WHERE id = $1 AND status NOT IN ('merged', 'rejected', 'failed', 'reverted', 'cancelled') RETURNING id`,
          [
            id,
            status,
            JSON.stringify(redact(update.data ?? {})),
            update.reason === undefined ? null : redactString(update.reason),
            update.approvalId !== undefined,
            update.approvalId ?? null,
            update.mergeCommit ?? null,
            update.revertCommit ?? null,
            update.attempts ?? null,
          ],
        ),
      );
      if (rows.length === 0) return false;
      steps.push(await this.step(m, id, status, message, update.stepData));
      await events(m);
      return true;
    }).then((moved) => {
      if (moved && FINAL_CHANGE_STATUSES.includes(status)) this.ended.inc({ status });
      return moved;
    });
  }

  /** Records something that happened without changing the status (a tool call, a check run). */
  async note(
    id: string,
    stage: string,
    message: string,
    data?: Record<string, unknown>,
    patch?: ChangeData,
    events: (m: Queryable) => Promise<void> = async () => undefined,
  ): Promise<void> {
    await this.logged(async (m, steps) => {
      if (patch)
        await m.query(`UPDATE devbot.changes SET data = data || $2::jsonb, updated_at = now() WHERE id = $1`, [
          id,
          JSON.stringify(redact(patch)),
        ]);
      steps.push(await this.step(m, id, stage, message, data));
      await events(m);
    });
  }

  /** Reserves the next model-call number of a change (for budget reservation ids and cost event ids). */
  async nextModelCall(id: string): Promise<number> {
    const rows = rowsOf<{ n: number }>(
      await this.db.query(
        `UPDATE devbot.changes SET data = jsonb_set(data, '{modelCalls}', to_jsonb(COALESCE((data->>'modelCalls')::int, 0) + 1))
       WHERE id = $1 RETURNING (data->>'modelCalls')::int AS n`,
        [id],
      ),
    );
    return rows[0]!.n;
  }

  async addCost(id: string, minor: number): Promise<void> {
    await this.db.query(`UPDATE devbot.changes SET cost_minor = cost_minor + $2 WHERE id = $1`, [id, minor]);
  }

  async recordPullRequest(pr: {
    changeId: string;
    forge: 'local' | 'github';
    externalNumber?: number;
    url?: string;
    branch: string;
    targetBranch: string;
    title: string;
    body: string;
    diff?: string;
  }): Promise<PullRequestViewV1> {
    const rows = (await this.db.query(
      `INSERT INTO devbot.pull_requests (change_id, forge, external_number, url, branch, target_branch, title, body, diff)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
       ON CONFLICT (change_id) DO UPDATE SET diff = EXCLUDED.diff, url = COALESCE(EXCLUDED.url, devbot.pull_requests.url),
         external_number = COALESCE(EXCLUDED.external_number, devbot.pull_requests.external_number)
       RETURNING number, forge, external_number, url, diff`,
      [
        pr.changeId,
        pr.forge,
        pr.externalNumber ?? null,
        pr.url ?? null,
        pr.branch,
        pr.targetBranch,
        pr.title,
        pr.body,
        pr.diff ?? null,
      ],
    )) as PullRequestRow[];
    return pullRequestView(rows[0]!);
  }

  async recordReview(changeId: string, review: ChangeReviewV1, model: string, raw: string): Promise<void> {
    await this.db.query(
      `INSERT INTO devbot.reviews (change_id, approve, reasons, model, raw) VALUES ($1, $2, $3, $4, $5)`,
      [changeId, review.approve, JSON.stringify(review.reasons), model, redactString(raw).slice(0, 20_000)],
    );
  }

  async recordMerge(
    m: Queryable,
    changeId: string,
    repository: string,
    targetBranch: string,
    commit: string,
  ): Promise<void> {
    await m.query(
      `INSERT INTO devbot.merges (change_id, repository, target_branch, merge_commit) VALUES ($1, $2, $3, $4) ON CONFLICT (change_id) DO NOTHING`,
      [changeId, repository, targetBranch, commit],
    );
  }

  async recordRevert(m: Queryable, changeId: string, commit: string): Promise<void> {
    await m.query(`UPDATE devbot.merges SET revert_commit = $2, reverted_at = now() WHERE change_id = $1`, [
      changeId,
      commit,
    ]);
  }

  async view(id: string): Promise<ChangeViewV1 | undefined> {
    const row = await this.find(id);
    return row ? (await this.views([row]))[0] : undefined;
  }

  /** Newest first, keyset-paginated on (created_at, id). */
  async list(q: ListChangesV1): Promise<ChangePageV1> {
    const limit = q.limit ?? 50;
    // A cursor that is not one this list made is a 400, never an empty page.
    const after = decodeCursor(q.cursor, 'uuid');
    const where = new SqlWhere();
    if (q.status) where.add('status = ?', q.status);
    if (q.repository) where.add('repository = ?', q.repository);
    if (after) where.add('(created_at, id) < (?::timestamptz, ?::uuid)', after.at, after.id);
    const rows = (await this.db.query(
      `SELECT * FROM devbot.changes ${where.clause} ORDER BY created_at DESC, id DESC LIMIT ${where.bind(limit + 1)}`,
      where.params,
    )) as ChangeRow[];
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      items: await this.views(page),
      nextCursor: rows.length > limit && last ? encodeCursor(last.created_at, last.id) : null,
    };
  }

  private async views(rows: ChangeRow[]): Promise<ChangeViewV1[]> {
    if (rows.length === 0) return [];
    const ids = rows.map((r) => r.id);
    const steps = (await this.db.query(
      `SELECT change_id, id, stage, message, data, at FROM devbot.change_steps WHERE change_id = ANY($1::uuid[]) ORDER BY id`,
      [ids],
    )) as Array<StepRow & { change_id: string }>;
    const prs = (await this.db.query(
      `SELECT change_id, number, forge, external_number, url, diff FROM devbot.pull_requests WHERE change_id = ANY($1::uuid[])`,
      [ids],
    )) as Array<PullRequestRow & { change_id: string }>;
    return rows.map((r) => {
      const pr = prs.find((p) => p.change_id === r.id);
      return {
        id: r.id,
        repository: r.repository,
        targetBranch: r.target_branch,
        branch: r.branch,
        title: r.title,
        goal: r.goal,
        status: r.status,
        requestedBy: r.requested_by,
        taskId: r.task_id,
        attempts: { made: r.attempts, max: r.max_attempts },
        diff: r.data.diff ?? null,
        checks: r.data.checks ?? [],
        postMergeChecks: r.data.postMergeChecks ?? [],
        gateFindings: r.data.gateFindings ?? [],
        review: r.data.review ?? null,
        approvalId: r.approval_id,
        pullRequest: pr ? pullRequestView(pr) : null,
        mergeCommit: r.merge_commit,
        revertCommit: r.revert_commit,
        reason: r.reason,
        costMinor: Number(r.cost_minor),
        currency: r.currency,
        steps: steps.filter((s) => s.change_id === r.id).map(stepView),
        createdAt: r.created_at.toISOString(),
        updatedAt: r.updated_at.toISOString(),
      };
    });
  }

  /** Runs `work` in a transaction; the timeline steps it stored go to the execution log once it has committed. */
  private async logged<T>(work: (m: Queryable, steps: StoredStep[]) => Promise<T>): Promise<T> {
    const steps: StoredStep[] = [];
    const result = await this.db.transaction((m) => work(m, steps));
    if (steps.length) await this.stepLog.publish(steps);
    return result;
  }

  private async step(
    m: Queryable,
    id: string,
    stage: string,
    message: string,
    data?: Record<string, unknown>,
  ): Promise<StoredStep> {
    const text = redactString(message).slice(0, 10_000);
    const clean = data ? redact(data) : undefined;
    const rows = (await m.query(
      `INSERT INTO devbot.change_steps (change_id, stage, message, data) VALUES ($1, $2, $3, $4)
       RETURNING id, (SELECT task_id FROM devbot.changes WHERE id = $1) AS task_id`,
      [id, stage, text, clean ? JSON.stringify(clean) : null],
    )) as Array<Pick<DevbotChangeSteps, 'id'> & Pick<DevbotChanges, 'task_id'>>;
    return {
      seq: Number(rows[0]!.id),
      changeId: id,
      taskId: rows[0]!.task_id,
      stage,
      message: text,
      ...(clean ? { data: clean } : {}),
    };
  }
}

function stepView(s: StepRow): ChangeStepV1 {
  return {
    seq: Number(s.id),
    stage: s.stage,
    message: s.message,
    ...(s.data ? { data: s.data } : {}),
    at: s.at.toISOString(),
  };
}

function pullRequestView(p: PullRequestRow): PullRequestViewV1 {
  return p.forge === 'github'
    ? { forge: 'github', number: p.external_number ?? Number(p.number), url: p.url ?? '' }
    : {
        forge: 'local',
        number: Number(p.number),
        url: p.url ?? `local:pulls/${p.number}`,
        ...(p.diff !== null ? { diff: p.diff } : {}),
      };
}
