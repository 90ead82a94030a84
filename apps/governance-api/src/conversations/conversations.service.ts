import {
  ConflictException,
  ForbiddenException,
  Inject,
  Injectable,
  NotFoundException,
  ServiceUnavailableException,
} from '@nestjs/common';
import {
  type AddConversationSummaryV1,
  CONVERSATION_LEVEL,
  CONVERSATION_TASK_TYPE,
  type ConversationContextV1,
  type ConversationDetailV1,
  type ConversationMessageV1,
  type ConversationReadV1,
  type ConversationReplyRecordedV1,
  type ConversationStreamEventV1,
  type ConversationSummaryV1,
  type ConversationTurnRefV1,
  type ConversationV1,
  type CreateConversationDto,
  type ListConversationMessagesQuery,
  type ListConversationsQuery,
  minimumLevel,
  MODEL_CAPABILITY,
  MODEL_SETUP_GUIDANCE,
  type Page,
  type RecordConversationReplyV1,
  Subjects,
} from '@juggernaut/contracts';
import { Bus } from '@juggernaut/messaging';
import { Metrics } from '@juggernaut/observability';
import { encodeCursor } from '@juggernaut/persistence';
import { APP_CONFIG, LOGGER } from '@juggernaut/service-kit';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { AuditLog } from '../audit/audit-log';
import type { AuditTrail } from '../audit/audit-trail';
import type { Caller } from '../auth/roles';
import type { GovernanceEnv } from '../config';
import { checkedCursor } from '../http/checked-cursor';
import { PoliciesService } from '../policies/policies.service';
import { ConversationReads } from './conversation-reads';
import { ConversationStreams } from './conversation-streams';
import {
  type ConversationRow,
  ConversationsRepository,
  type FinishedAnswer,
  type MessageRow,
  toConversation,
  toMessage,
  toSummary,
} from './conversations.repository';

/** Numbers and ids of earlier answers a runner is given at most (the newest kept). */
const MAX_EVIDENCE_NUMBERS = 5_000;
const MAX_EVIDENCE_REFS = 2_000;
/** How often a waiting request looks at the answer, the kill switch and the task (a `done` event wakes it at once). */
const POLL_MS = 500;
const TASK_CHECK_MS = 2_000;

export interface Turn {
  conversation: ConversationRow;
  question: MessageRow;
  answer: MessageRow;
  taskId: string;
}

/**
 * Conversations with Juggernaut. A question is stored with a pending answer in one transaction
 * (with its audit entry), then a `conversation.reply` task is submitted for a runner to write the
 * answer; the request waits for it here. The runner asks for the turn, reads on the caller's
 * behalf and records the answer through `juggernaut.conversation.*` (conversations.messaging.ts).
 */
@Injectable()
export class ConversationsService {
  private readonly answers;

  constructor(
    private readonly db: DataSource,
    private readonly repo: ConversationsRepository,
    private readonly bus: Bus,
    private readonly policies: PoliciesService,
    private readonly streams: ConversationStreams,
    private readonly reads: ConversationReads,
    private readonly audit: AuditLog,
    @Inject(APP_CONFIG) private readonly config: GovernanceEnv,
    @Inject(LOGGER) private readonly logger: Logger,
    metrics: Metrics,
  ) {
    this.answers = metrics.counter('juggernaut_conversation_answers_total', 'Conversation answers by how they ended', [
      'status',
      'stop_reason',
    ]);
  }

  // ---- REST -----------------------------------------------------------------------------------

  async create(input: CreateConversationDto, caller: Caller, trail: AuditTrail): Promise<ConversationDetailV1> {
    if (input.goalId && !(await this.goalExists(input.goalId)))
      throw new NotFoundException(`goal ${input.goalId} not found`);
    return this.db.transaction(async (tx) => {
      const row = await this.repo.create(
        { ...input, createdBy: caller.name, keyId: caller.keyId, role: caller.role },
        tx,
      );
      const view: ConversationDetailV1 = { ...toConversation(row), summaries: [] };
      await trail.inTransaction(tx, view);
      return view;
    });
  }

  async list(caller: Caller, q: ListConversationsQuery): Promise<Page<ConversationV1>> {
    const limit = q.limit ?? 50;
    const rows = await this.repo.list(
      { keyId: caller.role === 'admin' ? null : caller.keyId, ...(q.goalId ? { goalId: q.goalId } : {}) },
      limit + 1,
      checkedCursor(q.cursor, 'uuid'),
    );
    const items = rows.slice(0, limit);
    const last = items[items.length - 1];
    return {
      items: items.map(toConversation),
      nextCursor: rows.length > limit && last ? encodeCursor(last.created_at, last.id) : null,
    };
  }

  async get(id: string, caller: Caller): Promise<ConversationDetailV1> {
    const c = await this.visible(id, caller);
    return { ...toConversation(c), summaries: (await this.repo.summaries(id)).map(toSummary) };
  }

  async messages(id: string, caller: Caller, q: ListConversationMessagesQuery): Promise<Page<ConversationMessageV1>> {
    await this.visible(id, caller);
    const limit = q.limit ?? 50;
    const after = checkedCursor(q.cursor, 'bigint');
    const rows = await this.repo.messages(id, limit + 1, after ? Number(after.id) : 0);
    const items = await Promise.all(rows.slice(0, limit).map((m) => this.settled(m)));
    const last = items[items.length - 1];
    return {
      items: items.map(toMessage),
      nextCursor: rows.length > limit && last ? encodeCursor(last.created_at, last.seq) : null,
    };
  }

  async message(id: string, messageId: string, caller: Caller): Promise<ConversationMessageV1> {
    await this.visible(id, caller);
    const m = await this.repo.message(messageId);
    if (!m || m.conversation_id !== id)
      throw new NotFoundException(`message ${messageId} not found in conversation ${id}`);
    return toMessage(await this.settled(m));
  }

  /**
   * Stores the question and a pending answer, and submits the task that writes the answer. Refused
   * before anything is stored when nothing could answer: the kill switch is engaged, or no runner
   * with a model is online (503, with the guidance `npm run doctor` gives).
   */
  async ask(id: string, content: string, caller: Caller, trail: AuditTrail): Promise<Turn> {
    const conversation = await this.visible(id, caller);
    if (conversation.created_by_key_id !== caller.keyId) {
      throw new ForbiddenException(
        'only the API key that started a conversation may continue it; start one of your own',
      );
    }
    if (conversation.role !== caller.role) {
      throw new ConflictException(
        `this conversation was held by a ${conversation.role} key, and this key is now ${caller.role}: start a new conversation`,
      );
    }
    const policy = await this.policies.current();
    if (policy.killSwitch.engaged) {
      throw new ServiceUnavailableException(
        `the kill switch is engaged${policy.killSwitch.reason ? ` (${policy.killSwitch.reason})` : ''}: nothing runs, so nothing can answer until an admin releases it`,
      );
    }
    const level = Math.max(CONVERSATION_LEVEL, minimumLevel(policy.permissions.taskTypes, CONVERSATION_TASK_TYPE));
    await this.requireAnswerer(level);

    const { question, answer } = await this.db.transaction(async (tx) => {
      await this.repo.lock(id, tx);
      const open = await this.repo.pendingAnswer(id, tx);
      if (open)
        throw new ConflictException(
          `an answer is still being written (message ${open.id}); read it at /api/v1/conversations/${id}/messages/${open.id}, then ask again`,
        );
      const turn = await this.repo.addTurn(id, content, tx);
      await trail.inTransaction(tx, {
        question: toMessage(turn.question),
        answer: toMessage(turn.answer),
        task: CONVERSATION_TASK_TYPE,
      });
      return turn;
    });

    const budgetLeft =
      conversation.budget_minor === null
        ? undefined
        : Math.max(0, Number(conversation.budget_minor) - Number(conversation.spent_minor));
    let taskId: string;
    try {
      ({ id: taskId } = await this.bus.request(Subjects.taskSubmit, {
        type: CONVERSATION_TASK_TYPE,
        title: `Answer in conversation ${id}`,
        // The runner learns the caller's role here and again, authoritatively, from governance (the turn's own record).
        payload: { conversationId: id, messageId: answer.id, role: caller.role, requestedBy: caller.name },
        requiredLevel: level,
        requiredCapabilities: [MODEL_CAPABILITY],
        maxAttempts: 3,
        idempotencyKey: `conversation:${answer.id}`,
        ...(conversation.goal_id ? { goalId: conversation.goal_id } : {}),
        ...(budgetLeft !== undefined ? { budgetMinor: budgetLeft } : {}),
      }));
    } catch (e) {
      this.logger.warn({ err: e, conversationId: id }, 'could not submit the task to write an answer');
      await this.finish(answer, null, {
        status: 'failed',
        stopReason: 'failed',
        content: `The task to write this answer could not be submitted: ${(e as Error).message}`,
      });
      throw new ServiceUnavailableException(
        'the task dispatcher did not take the task that writes the answer; the question is stored, ask again shortly',
      );
    }
    await this.repo.bindTask(answer.id, taskId);
    return { conversation, question, answer: { ...answer, task_id: taskId }, taskId };
  }

  /**
   * Waits until the answer is stored, or the wait is over (`deadline`, or the caller hung up):
   * the answer as it is then. While waiting it stops the answer when the kill switch is engaged,
   * and ends it with the reason when its task ended without one. `onEvent` hears the runner's
   * progress (text, tool calls, refused drafts) as it comes.
   */
  async waitForAnswer(
    turn: Turn,
    opts: { deadline: number; onEvent?: (e: ConversationStreamEventV1) => void; closed?: AbortSignal },
  ): Promise<MessageRow> {
    let wake: (() => void) | undefined;
    const stopFollowing = this.streams.follow(turn.answer.id, (e) => {
      if (e.kind === 'done') wake?.();
      else if (e.taskId === turn.taskId || e.kind === 'compacted') opts.onEvent?.(e);
    });
    const onClose = () => wake?.();
    opts.closed?.addEventListener('abort', onClose);
    let taskCheckedAt = Date.now();
    try {
      for (;;) {
        const row = (await this.repo.message(turn.answer.id))!;
        if (row.status !== 'pending' || opts.closed?.aborted || Date.now() >= opts.deadline) return row;
        const policy = await this.policies.current();
        if (policy.killSwitch.engaged) {
          return await this.stop(
            row,
            turn.taskId,
            'kill_switch',
            `I stopped: the kill switch was engaged while I was answering${policy.killSwitch.reason ? ` (${policy.killSwitch.reason})` : ''}, so nothing more runs and this answer was not finished. Ask again once an admin has released it (PUT /api/v1/policies/kill-switch {"engaged": false}).`,
          );
        }
        if (Date.now() - taskCheckedAt >= TASK_CHECK_MS) {
          taskCheckedAt = Date.now();
          const ended = await this.endedWithoutAnswer(row);
          if (ended) return ended;
        }
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, Math.max(1, Math.min(POLL_MS, opts.deadline - Date.now())));
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        wake = undefined;
      }
    } finally {
      stopFollowing();
      opts.closed?.removeEventListener('abort', onClose);
    }
  }

  // ---- NATS: the runner writing an answer -------------------------------------------------------

  /** The turn a runner is to answer: the conversation so far (after its latest summary), the question, the caller's role. */
  async context(ref: ConversationTurnRefV1): Promise<ConversationContextV1> {
    const { answer, conversation } = await this.turnOf(ref);
    const summary = await this.repo.latestSummary(conversation.id);
    const earlier = await this.repo.turnsBetween(conversation.id, summary?.through_seq ?? 0, answer.seq);
    const question = earlier.pop();
    if (!question || question.author !== 'user' || question.seq !== answer.seq - 1)
      throw new ConflictException(`the question of answer ${answer.id} is missing`);
    const numbers = new Set<string>();
    const refs = new Set<string>();
    for (const e of (await this.repo.evidence(conversation.id)).reverse()) {
      for (const n of e.numbers ?? []) if (numbers.size < MAX_EVIDENCE_NUMBERS) numbers.add(n);
      for (const r of e.refs ?? []) if (refs.size < MAX_EVIDENCE_REFS) refs.add(r);
    }
    return {
      conversationId: conversation.id,
      messageId: answer.id,
      taskId: ref.taskId,
      status: answer.status,
      role: conversation.role,
      caller: conversation.created_by,
      goalId: conversation.goal_id,
      title: conversation.title,
      summary: summary ? { id: summary.id, throughSeq: summary.through_seq, content: summary.content } : null,
      turns: earlier.map((m) => ({ seq: m.seq, author: m.author, content: m.content, status: m.status })),
      question: { seq: question.seq, content: question.content },
      evidence: { numbers: [...numbers], refs: [...refs] },
    };
  }

  /** Stores the runner's answer, if the answer is still pending and this task writes it. */
  async recordReply(r: RecordConversationReplyV1): Promise<ConversationReplyRecordedV1> {
    const { answer } = await this.turnOf(r);
    const row = await this.finish(answer, r.taskId, {
      status: r.status,
      content: r.content,
      stopReason: r.stopReason,
      citations: r.citations,
      toolCalls: r.toolCalls,
      evidence: r.evidence,
      costMinor: r.costMinor,
    });
    if (row) return { recorded: true, status: row.status };
    return { recorded: false, status: (await this.repo.message(r.messageId))!.status };
  }

  async addSummary(s: AddConversationSummaryV1): Promise<ConversationSummaryV1> {
    const { answer } = await this.turnOf(s);
    if (answer.status !== 'pending')
      throw new ConflictException(`answer ${answer.id} is ${answer.status}: nothing to summarise for`);
    if (s.throughSeq >= answer.seq - 1)
      throw new ConflictException(
        `a summary may stand for messages before the question (seq ${answer.seq - 1}), not up to ${s.throughSeq}`,
      );
    const row = await this.repo.addSummary({
      conversationId: s.conversationId,
      throughSeq: s.throughSeq,
      content: s.content,
      taskId: s.taskId,
    });
    this.streams.compacted(s.conversationId, s.messageId, s.taskId, row.through_seq);
    return toSummary(row);
  }

  /** A read for the caller of the answer this task is writing, with that caller's role. */
  async readFor(r: ConversationReadV1): Promise<unknown> {
    const answer = await this.repo.messageOfTask(r.taskId);
    if (!answer || answer.status !== 'pending')
      throw new ConflictException(
        `task ${r.taskId} is not writing an answer now, so it may read nothing on a caller's behalf`,
      );
    const conversation = (await this.repo.get(answer.conversation_id))!;
    return this.reads.read(r.resource, conversation.role, r.query);
  }

  // ---- helpers ------------------------------------------------------------------------------------

  /** The conversation if this caller may read it (its own, or any for an admin); 404 otherwise, not telling which. */
  private async visible(id: string, caller: Caller): Promise<ConversationRow> {
    const c = await this.repo.get(id);
    if (!c || (c.created_by_key_id !== caller.keyId && caller.role !== 'admin'))
      throw new NotFoundException(`conversation ${id} not found`);
    return c;
  }

  private async goalExists(id: string): Promise<boolean> {
    const rows: unknown[] = await this.db.query(`SELECT 1 FROM governance.goals WHERE id = $1`, [id]);
    return rows.length > 0;
  }

  /** 503 with the fix when no runner could write an answer: none online at the level, or none with a model. */
  private async requireAnswerer(level: number): Promise<void> {
    const { online, withModel } = await this.repo.answerers(level, MODEL_CAPABILITY);
    if (withModel > 0) return;
    const fix = `${MODEL_SETUP_GUIDANCE} (set it for the agent runners; \`npm run doctor\` checks it)`;
    throw new ServiceUnavailableException(
      online > 0
        ? `no model configured: no agent runner of level ${level} or above has a model to answer with. Fix: ${fix}`
        : `no agent runner of level ${level} or above is online to answer (start one: \`npm start\`, RUNNER_LEVEL=${level} or more), and it needs a model: ${fix}`,
    );
  }

  /** The answer a runner's request is about: it must be this task's. */
  private async turnOf(ref: ConversationTurnRefV1): Promise<{ answer: MessageRow; conversation: ConversationRow }> {
    const answer = await this.repo.message(ref.messageId);
    if (!answer || answer.conversation_id !== ref.conversationId || answer.author !== 'assistant') {
      throw new NotFoundException(`no answer ${ref.messageId} in conversation ${ref.conversationId}`);
    }
    // The task is bound just after it is submitted: a runner that claimed it at once asks again.
    if (answer.task_id === null && answer.status === 'pending')
      throw new ConflictException(`answer ${ref.messageId} is not bound to its task yet; ask again`);
    if (answer.task_id !== ref.taskId)
      throw new ForbiddenException(`task ${ref.taskId} does not write answer ${ref.messageId}`);
    return { answer, conversation: (await this.repo.get(ref.conversationId))! };
  }

  /** Ends a pending answer once (whoever comes first: the runner, the kill switch, a dead task), counts it and wakes the waiting. */
  private async finish(answer: MessageRow, taskId: string | null, a: FinishedAnswer): Promise<MessageRow | undefined> {
    const row = await this.repo.finishAnswer(answer.id, taskId, a);
    if (row) {
      this.answers.inc({ status: row.status, stop_reason: row.stop_reason ?? 'none' });
      this.streams.done(row.conversation_id, row.id);
    }
    return row;
  }

  /** Stops a pending answer with the reason, and cancels its task so it never finishes later; audited before the cancel is sent. */
  private async stop(row: MessageRow, taskId: string, reason: string, content: string): Promise<MessageRow> {
    const stopped = await this.finish(row, null, { status: 'stopped', stopReason: reason, content });
    if (stopped) {
      try {
        await this.audit.record({
          actor: { system: 'conversations' },
          action: 'conversation.answer.stop',
          resourceType: 'conversations',
          resourceId: row.conversation_id,
          details: { messageId: row.id, taskId, reason },
        });
        await this.bus.request(Subjects.taskCancel, {
          id: taskId,
          by: 'system:conversations',
          reason: `conversation answer stopped: ${reason}`,
        });
      } catch (e) {
        // The answer is stopped whatever happens to its task; a task that resumes later finds it no longer pending and records nothing.
        this.logger.warn({ err: e, taskId }, 'could not cancel the task of a stopped answer');
      }
    }
    return stopped ?? (await this.repo.message(row.id))!;
  }

  /** A pending answer whose task ended without recording it: ended with the task's reason. */
  private async endedWithoutAnswer(row: MessageRow): Promise<MessageRow | undefined> {
    if (!row.task_id) return undefined;
    let task;
    try {
      task = await this.bus.request(Subjects.taskGet, { id: row.task_id }, 3_000);
    } catch {
      return undefined;
    }
    if (!['succeeded', 'dead', 'cancelled'].includes(task.status)) return undefined;
    const ended = await this.finish(row, null, {
      status: 'failed',
      stopReason: task.status === 'cancelled' ? 'cancelled' : 'failed',
      content: `The task writing this answer (${task.id}) ended ${task.status} without one${task.reason ? `: ${task.reason}` : ''}.`,
    });
    return ended ?? (await this.repo.message(row.id));
  }

  /** A message as readers see it: a pending answer whose task already ended is ended first. */
  private async settled(m: MessageRow): Promise<MessageRow> {
    if (m.status !== 'pending') return m;
    return (await this.endedWithoutAnswer(m)) ?? m;
  }
}
