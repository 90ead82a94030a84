import { Injectable } from '@nestjs/common';
import type {
  CitationV1,
  ConversationMessageV1,
  ConversationSummaryV1,
  ConversationV1,
  MessageAuthor,
  MessageStatus,
  ToolCallSummaryV1,
} from '@juggernaut/contracts';
import { type Cursor, type Narrow, type Queryable, rowsOf } from '@juggernaut/persistence';
import { DataSource } from 'typeorm';
import type {
  GovernanceConversationMessages,
  GovernanceConversations,
  GovernanceConversationSummaries,
} from '../db/schema.generated';

export type ConversationRow = GovernanceConversations & { messages: number; spent_minor: string };

export type MessageRow = Narrow<
  GovernanceConversationMessages,
  {
    author: MessageAuthor;
    status: MessageStatus;
    citations: CitationV1[];
    tool_calls: ToolCallSummaryV1[];
    evidence: { numbers: string[]; refs: string[] };
  }
>;

export type SummaryRow = GovernanceConversationSummaries;

export function toConversation(r: ConversationRow): ConversationV1 {
  return {
    id: r.id,
    title: r.title,
    goalId: r.goal_id,
    budgetMinor: r.budget_minor === null ? null : Number(r.budget_minor),
    spentMinor: Number(r.spent_minor),
    createdBy: r.created_by,
    role: r.role,
    messages: r.messages,
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
  };
}

export function toMessage(r: MessageRow): ConversationMessageV1 {
  return {
    id: r.id,
    conversationId: r.conversation_id,
    seq: r.seq,
    author: r.author,
    content: r.content,
    status: r.status,
    stopReason: r.stop_reason,
    taskId: r.task_id,
    citations: r.citations,
    toolCalls: r.tool_calls,
    costMinor: r.cost_minor === null ? null : Number(r.cost_minor),
    createdAt: r.created_at.toISOString(),
    completedAt: r.completed_at?.toISOString() ?? null,
  };
}

export function toSummary(r: SummaryRow): ConversationSummaryV1 {
  return {
    id: r.id,
    conversationId: r.conversation_id,
    throughSeq: r.through_seq,
    content: r.content,
    taskId: r.task_id,
    createdAt: r.created_at.toISOString(),
  };
}

export interface FinishedAnswer {
  status: Exclude<MessageStatus, 'pending'>;
  content: string;
  stopReason: string;
  citations?: CitationV1[];
  toolCalls?: ToolCallSummaryV1[];
  evidence?: { numbers: string[]; refs: string[] };
  costMinor?: number | null;
}

/** Conversations, their messages (never deleted, never cut) and the summaries that stand for old messages in what the model is sent. */
@Injectable()
export class ConversationsRepository {
  constructor(private readonly db: DataSource) {}

  async create(
    c: { title?: string; goalId?: string; budgetMinor?: number; createdBy: string; keyId: string; role: string },
    tx: Queryable,
  ): Promise<ConversationRow> {
    const rows = (await tx.query(
      `WITH c AS (
         INSERT INTO governance.conversations (title, goal_id, budget_minor, created_by, created_by_key_id, role)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING *)
       SELECT c.*, 0 AS messages, '0' AS spent_minor FROM c`,
      [c.title ?? null, c.goalId ?? null, c.budgetMinor ?? null, c.createdBy, c.keyId, c.role],
    )) as ConversationRow[];
    return rows[0]!;
  }

  /** A conversation with its message count and its spend: every reservation of its answers' tasks (settled at cost, open ones in full). */
  async get(id: string): Promise<ConversationRow | undefined> {
    const rows = rowsOf<ConversationRow>(
      await this.db.query(
        `SELECT c.*,
         (SELECT count(*) FROM governance.conversation_messages m WHERE m.conversation_id = c.id)::int AS messages,
         (SELECT coalesce(sum(coalesce(r.actual_minor, r.reserved_minor)), 0) FROM governance.budget_reservations r
           WHERE r.task_id IN (SELECT m.task_id FROM governance.conversation_messages m WHERE m.conversation_id = c.id AND m.task_id IS NOT NULL))::text AS spent_minor
       FROM governance.conversations c WHERE c.id = $1`,
        [id],
      ),
    );
    return rows[0];
  }

  /** Locks the conversation for a new turn in `tx` (turns of one conversation are taken one at a time). */
  async lock(id: string, tx: Queryable): Promise<boolean> {
    const rows = (await tx.query(`SELECT id FROM governance.conversations WHERE id = $1 FOR UPDATE`, [
      id,
    ])) as unknown[];
    return rows.length > 0;
  }

  /** Newest first; only the given key's conversations unless `keyId` is null (an admin reading every conversation). */
  async list(f: { keyId: string | null; goalId?: string }, limit: number, after?: Cursor): Promise<ConversationRow[]> {
    return rowsOf<ConversationRow>(
      await this.db.query(
        `SELECT c.*,
         (SELECT count(*) FROM governance.conversation_messages m WHERE m.conversation_id = c.id)::int AS messages,
         (SELECT coalesce(sum(coalesce(r.actual_minor, r.reserved_minor)), 0) FROM governance.budget_reservations r
           WHERE r.task_id IN (SELECT m.task_id FROM governance.conversation_messages m WHERE m.conversation_id = c.id AND m.task_id IS NOT NULL))::text AS spent_minor
       FROM governance.conversations c
       WHERE ($1::uuid IS NULL OR c.created_by_key_id = $1) AND ($2::uuid IS NULL OR c.goal_id = $2)
         AND ($3::timestamptz IS NULL OR (c.created_at, c.id) < ($3::timestamptz, $4::uuid))
       ORDER BY c.created_at DESC, c.id DESC LIMIT $5`,
        [f.keyId, f.goalId ?? null, after?.at ?? null, after?.id ?? null, limit],
      ),
    );
  }

  /** Adds a question and its answer, pending, as the next two messages of the conversation (locked by the caller). */
  async addTurn(
    conversationId: string,
    question: string,
    tx: Queryable,
  ): Promise<{ question: MessageRow; answer: MessageRow }> {
    const rows = (await tx.query(
      `WITH next AS (SELECT coalesce(max(seq), 0) + 1 AS seq FROM governance.conversation_messages WHERE conversation_id = $1)
       INSERT INTO governance.conversation_messages (conversation_id, seq, author, content, status)
       SELECT $1, next.seq, 'user', $2, 'completed' FROM next
       UNION ALL
       SELECT $1, next.seq + 1, 'assistant', '', 'pending' FROM next
       RETURNING *`,
      [conversationId, question],
    )) as MessageRow[];
    await tx.query(`UPDATE governance.conversations SET updated_at = now() WHERE id = $1`, [conversationId]);
    const byAuthor = (a: MessageAuthor) => rows.find((r) => r.author === a)!;
    return { question: byAuthor('user'), answer: byAuthor('assistant') };
  }

  async pendingAnswer(conversationId: string, tx: Queryable = this.db): Promise<MessageRow | undefined> {
    const rows = (await tx.query(
      `SELECT * FROM governance.conversation_messages WHERE conversation_id = $1 AND status = 'pending'`,
      [conversationId],
    )) as MessageRow[];
    return rows[0];
  }

  /** Records the task writing a pending answer. */
  async bindTask(messageId: string, taskId: string): Promise<void> {
    await this.db.query(`UPDATE governance.conversation_messages SET task_id = $2 WHERE id = $1 AND task_id IS NULL`, [
      messageId,
      taskId,
    ]);
  }

  async message(id: string): Promise<MessageRow | undefined> {
    const rows: MessageRow[] = await this.db.query(`SELECT * FROM governance.conversation_messages WHERE id = $1`, [
      id,
    ]);
    return rows[0];
  }

  async messageOfTask(taskId: string): Promise<MessageRow | undefined> {
    const rows: MessageRow[] = await this.db.query(
      `SELECT * FROM governance.conversation_messages WHERE task_id = $1`,
      [taskId],
    );
    return rows[0];
  }

  /** Messages in order, after the cursor's seq. */
  async messages(conversationId: string, limit: number, afterSeq: number): Promise<MessageRow[]> {
    return this.db.query(
      `SELECT * FROM governance.conversation_messages WHERE conversation_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`,
      [conversationId, afterSeq, limit],
    );
  }

  /** What the model is sent of the conversation: questions and completed answers after `afterSeq` and before `beforeSeq`. */
  async turnsBetween(conversationId: string, afterSeq: number, beforeSeq: number): Promise<MessageRow[]> {
    return this.db.query(
      `SELECT * FROM governance.conversation_messages
       WHERE conversation_id = $1 AND seq > $2 AND seq < $3 AND (author = 'user' OR status = 'completed')
       ORDER BY seq`,
      [conversationId, afterSeq, beforeSeq],
    );
  }

  /** The evidence of every completed answer, oldest first. */
  async evidence(conversationId: string): Promise<Array<{ numbers: string[]; refs: string[] }>> {
    const rows: Array<{ evidence: { numbers: string[]; refs: string[] } }> = await this.db.query(
      `SELECT evidence FROM governance.conversation_messages
       WHERE conversation_id = $1 AND author = 'assistant' AND status = 'completed' ORDER BY seq`,
      [conversationId],
    );
    return rows.map((r) => r.evidence);
  }

  /**
   * Ends a pending answer, once: the runner's answer, or a stop (kill switch, a task that ended
   * without one). `taskId`, when given, must be the answer's task. Undefined when it was not pending.
   */
  async finishAnswer(messageId: string, taskId: string | null, a: FinishedAnswer): Promise<MessageRow | undefined> {
    const rows = rowsOf<MessageRow>(
      await this.db.query(
        `UPDATE governance.conversation_messages SET
         status = $3, content = $4, stop_reason = $5, citations = $6::jsonb, tool_calls = $7::jsonb,
         evidence = coalesce($8::jsonb, evidence), cost_minor = $9, completed_at = now()
       WHERE id = $1 AND status = 'pending' AND ($2::uuid IS NULL OR task_id = $2)
       RETURNING *`,
        [
          messageId,
          taskId,
          a.status,
          a.content,
          a.stopReason,
          JSON.stringify(a.citations ?? []),
          JSON.stringify(a.toolCalls ?? []),
          a.evidence ? JSON.stringify(a.evidence) : null,
          a.costMinor ?? null,
        ],
      ),
    );
    if (rows[0])
      await this.db.query(`UPDATE governance.conversations SET updated_at = now() WHERE id = $1`, [
        rows[0].conversation_id,
      ]);
    return rows[0];
  }

  async latestSummary(conversationId: string): Promise<SummaryRow | undefined> {
    const rows: SummaryRow[] = await this.db.query(
      `SELECT * FROM governance.conversation_summaries WHERE conversation_id = $1 ORDER BY through_seq DESC, created_at DESC LIMIT 1`,
      [conversationId],
    );
    return rows[0];
  }

  async summaries(conversationId: string): Promise<SummaryRow[]> {
    return this.db.query(
      `SELECT * FROM governance.conversation_summaries WHERE conversation_id = $1 ORDER BY through_seq, created_at`,
      [conversationId],
    );
  }

  /** Stores a summary once per task: a runner that records it again (a retried attempt) gets the first. */
  async addSummary(s: {
    conversationId: string;
    throughSeq: number;
    content: string;
    taskId: string;
  }): Promise<SummaryRow> {
    await this.db.query(
      `INSERT INTO governance.conversation_summaries (conversation_id, through_seq, content, task_id)
       VALUES ($1, $2, $3, $4) ON CONFLICT (task_id) DO NOTHING`,
      [s.conversationId, s.throughSeq, s.content, s.taskId],
    );
    const rows: SummaryRow[] = await this.db.query(
      `SELECT * FROM governance.conversation_summaries WHERE task_id = $1`,
      [s.taskId],
    );
    return rows[0]!;
  }

  /** Online runners that could answer: at `level` or above, with a model (`capability`); and how many online runners of that level there are at all. */
  async answerers(level: number, capability: string): Promise<{ online: number; withModel: number }> {
    const [row] = await this.db.query(
      `SELECT count(*)::int AS online, (count(*) FILTER (WHERE $2 = ANY(capabilities)))::int AS with_model
       FROM governance.workers WHERE status = 'online' AND level >= $1`,
      [level, capability],
    );
    return { online: row.online, withModel: row.with_model };
  }
}
