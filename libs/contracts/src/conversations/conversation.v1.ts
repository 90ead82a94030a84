import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsIn,
  IsInt,
  IsNotEmpty,
  IsObject,
  IsOptional,
  IsString,
  IsUUID,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import { MAX_MINOR, MAX_NAME } from '../common/validation';
import { PageQuery } from '../common/pagination';

/**
 * Conversations with Juggernaut (L1–L2): an operator asks, the agent runtime answers from the
 * system's own state through read-only tools. governance-api stores every turn; each answer is an
 * agent task of this type, run by a runner like any other (budget, logs, kill switch).
 */
export const CONVERSATION_TASK_TYPE = 'conversation.reply';
/** L2: multi-turn memory and read-only tools. */
export const CONVERSATION_LEVEL = 2;
/** The capability a runner advertises when it has a model configured; conversation turns require it. */
export const MODEL_CAPABILITY = 'llm';

/**
 * How to configure a model, word for word what `npm run doctor` prints as the fix when none is
 * configured (tools/stack/doctor.mjs; a test holds the two together).
 */
export const MODEL_SETUP_GUIDANCE =
  'point at any OpenAI-compatible endpoint: OpenAI (OPENAI_API_KEY=sk-…), Ollama (OPENAI_BASE_URL=http://localhost:11434/v1), vLLM (OPENAI_BASE_URL=http://host:8000/v1) or LM Studio (OPENAI_BASE_URL=http://localhost:1234/v1); JUGGERNAUT_MODEL picks the model';

export const MESSAGE_AUTHORS = ['user', 'assistant'] as const;
export type MessageAuthor = (typeof MESSAGE_AUTHORS)[number];

/** `pending` while the answer is written; `completed`; `stopped` (budget, kill switch, limits: the content says why); `failed`. */
export const MESSAGE_STATUSES = ['pending', 'completed', 'stopped', 'failed'] as const;
export type MessageStatus = (typeof MESSAGE_STATUSES)[number];
export const FINISHED_MESSAGE_STATUSES = ['completed', 'stopped', 'failed'] as const;

/**
 * What the assistant may read, each the same as a REST read (same query, same answer, same roles):
 * the runner's tools ask governance-api for them on behalf of the turn's caller.
 */
export const CONVERSATION_READS = [
  'ledger.summary',
  'ledger.balances',
  'ledger.pnl',
  'ledger.transactions',
  'ledger.transaction',
  'tasks',
  'task',
  'goals',
  'goal',
  'goal.progress',
  'experiments',
  'experiment',
  'experiment.results',
  'workers',
  'worker',
  'budgets.usage',
  'alerts',
  'approvals',
  'logs',
  'audit',
  'api-keys',
] as const;
export type ConversationRead = (typeof CONVERSATION_READS)[number];

const EVERY_ROLE = ['admin', 'operator', 'viewer', 'agent'] as const;
/**
 * Who may read each resource: exactly the roles of its REST route (governance-api checks this map
 * against the routes' own declarations in a test, and enforces the routes' roles itself).
 */
export const CONVERSATION_READ_ROLES: Readonly<Record<ConversationRead, readonly string[]>> = Object.freeze({
  'ledger.summary': EVERY_ROLE,
  'ledger.balances': EVERY_ROLE,
  'ledger.pnl': EVERY_ROLE,
  'ledger.transactions': EVERY_ROLE,
  'ledger.transaction': EVERY_ROLE,
  tasks: EVERY_ROLE,
  task: EVERY_ROLE,
  goals: EVERY_ROLE,
  goal: EVERY_ROLE,
  'goal.progress': EVERY_ROLE,
  experiments: EVERY_ROLE,
  experiment: EVERY_ROLE,
  'experiment.results': EVERY_ROLE,
  workers: EVERY_ROLE,
  worker: EVERY_ROLE,
  'budgets.usage': EVERY_ROLE,
  alerts: EVERY_ROLE,
  approvals: EVERY_ROLE,
  logs: EVERY_ROLE,
  audit: ['admin', 'operator'],
  'api-keys': ['admin'],
});

// ---- REST ------------------------------------------------------------------------------------

export class CreateConversationDto {
  @ApiPropertyOptional({ example: 'Weekly revenue review', maxLength: MAX_NAME })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(MAX_NAME)
  title?: string;

  @ApiPropertyOptional({
    format: 'uuid',
    description: "The goal this conversation is about: the answers' model spend is booked against it.",
  })
  @IsOptional()
  @IsUUID()
  goalId?: string;

  @ApiPropertyOptional({
    example: 5000,
    description:
      "Most this conversation may spend on the model, in minor units of the agents' currency, over all its turns; a turn that would go over it stops and says so.",
  })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(MAX_MINOR)
  budgetMinor?: number;
}

/** Longest question accepted. */
export const MAX_QUESTION = 20_000;

export class PostConversationMessageDto {
  @ApiProperty({ example: 'What did we earn this week, and from which experiment?', maxLength: MAX_QUESTION })
  @IsString()
  @IsNotEmpty()
  @MaxLength(MAX_QUESTION)
  content!: string;
}

export class ListConversationsQuery extends PageQuery {
  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID()
  goalId?: string;
}

export class ListConversationMessagesQuery extends PageQuery {}

export class CitationV1 {
  @ApiProperty({
    description:
      'An id a tool returned (a task, transaction, experiment …), or the name of a tool whose result has no id.',
    example: '0b6f3c1e-…',
  })
  @IsString()
  @IsNotEmpty()
  @MaxLength(MAX_NAME)
  ref!: string;

  @ApiProperty({
    description: 'The tool whose result holds it; "earlier turn" when an earlier answer\'s tools returned it.',
    example: 'experiment_results',
  })
  @IsString()
  @IsNotEmpty()
  @MaxLength(MAX_NAME)
  tool!: string;
}

export class ToolCallSummaryV1 {
  @ApiProperty({ example: 'ledger_pnl' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(MAX_NAME)
  name!: string;

  @ApiProperty({ enum: ['ok', 'error', 'denied', 'refused'] })
  @IsIn(['ok', 'error', 'denied', 'refused'])
  outcome!: 'ok' | 'error' | 'denied' | 'refused';
}

export class ConversationV1 {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ nullable: true, type: String }) title!: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'uuid' }) goalId!: string | null;
  @ApiProperty({
    nullable: true,
    type: Number,
    description:
      "The conversation's spending limit in minor units; null when it has none of its own (the policy's caps still apply).",
  })
  budgetMinor!: number | null;
  @ApiProperty({
    description: 'Model spend of every turn so far (settled, and open reservations in full), minor units.',
  })
  spentMinor!: number;
  @ApiProperty({
    description: 'The API key that started it: only it may continue it (admins may read every conversation).',
  })
  createdBy!: string;
  @ApiProperty({
    enum: EVERY_ROLE,
    description: 'The role of that key when it started: the tools show what this role may read through REST.',
  })
  role!: string;
  @ApiProperty() messages!: number;
  @ApiProperty() createdAt!: string;
  @ApiProperty() updatedAt!: string;
}

export class ConversationSummaryV1 {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) conversationId!: string;
  @ApiProperty({
    description:
      'The summary stands for the messages up to and including this seq in what the model is sent; those messages stay stored as they were.',
  })
  throughSeq!: number;
  @ApiProperty({ description: 'Written by the model.' }) content!: string;
  @ApiProperty({ format: 'uuid', description: 'The conversation.reply task that wrote it.' }) taskId!: string;
  @ApiProperty() createdAt!: string;
}

export class ConversationMessageV1 {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) conversationId!: string;
  @ApiProperty({ description: 'Position in the conversation, from 1.' }) seq!: number;
  @ApiProperty({ enum: MESSAGE_AUTHORS }) author!: MessageAuthor;
  @ApiProperty({ description: 'The question, or the answer (for a stopped or failed answer, why it stopped).' })
  content!: string;
  @ApiProperty({ enum: MESSAGE_STATUSES }) status!: MessageStatus;
  @ApiProperty({
    nullable: true,
    type: String,
    description:
      'For an answer: completed, budget, max_steps, loop_detected, timeout, denied, cancelled, kill_switch, no_model or failed.',
  })
  stopReason!: string | null;
  @ApiProperty({
    nullable: true,
    type: String,
    format: 'uuid',
    description: 'The conversation.reply task that wrote the answer.',
  })
  taskId!: string | null;
  @ApiProperty({
    type: [CitationV1],
    description: 'What the answer rests on: each ref is in the result of a tool it called.',
  })
  citations!: CitationV1[];
  @ApiProperty({ type: [ToolCallSummaryV1] }) toolCalls!: ToolCallSummaryV1[];
  @ApiProperty({ nullable: true, type: Number, description: 'Model spend of this answer, minor units.' }) costMinor!:
    number | null;
  @ApiProperty() createdAt!: string;
  @ApiProperty({ nullable: true, type: String }) completedAt!: string | null;
}

export class ConversationDetailV1 extends ConversationV1 {
  @ApiProperty({
    type: [ConversationSummaryV1],
    description:
      "Summaries the runtime wrote when the conversation outgrew the model's context, oldest first. The messages are all kept: GET …/messages.",
  })
  summaries!: ConversationSummaryV1[];
}

export class ConversationPageV1 {
  @ApiProperty({ type: [ConversationV1] }) items!: ConversationV1[];
  @ApiProperty({ nullable: true, type: String }) nextCursor!: string | null;
}

export class ConversationMessagePageV1 {
  @ApiProperty({ type: [ConversationMessageV1] }) items!: ConversationMessageV1[];
  @ApiProperty({ nullable: true, type: String }) nextCursor!: string | null;
}

/** The answer to a question: the question as stored, and the answer (finished, or still pending after the wait). */
export class ConversationTurnV1 {
  @ApiProperty({ type: ConversationMessageV1 }) question!: ConversationMessageV1;
  @ApiProperty({ type: ConversationMessageV1 }) answer!: ConversationMessageV1;
}

// ---- NATS: between the runner writing an answer and governance-api storing it ----------------

/** One turn: the task that writes its answer, and where the answer goes. */
export class ConversationTurnRefV1 {
  @IsUUID() taskId!: string;
  @IsUUID() conversationId!: string;
  /** The answer's message (pending until the runner records it). */
  @IsUUID() messageId!: string;
}

export interface ConversationContextTurnV1 {
  seq: number;
  author: MessageAuthor;
  content: string;
  status: MessageStatus;
}

/** What a runner needs to write an answer (`juggernaut.conversation.context.v1`). */
export interface ConversationContextV1 {
  conversationId: string;
  messageId: string;
  taskId: string;
  /** The answer's state: a runner writes only a pending one. */
  status: MessageStatus;
  /** The caller's role: the tools show what it may read through REST, and governance-api enforces it again. */
  role: string;
  caller: string;
  goalId: string | null;
  title: string | null;
  /** The latest summary; the turns below come after it. */
  summary: { id: string; throughSeq: number; content: string } | null;
  /** Messages after the summary and before this turn's question, oldest first (pending and failed answers left out). */
  turns: ConversationContextTurnV1[];
  question: { seq: number; content: string };
  /** Numbers and ids earlier answers' tools returned (an answer may rest on them too). */
  evidence: { numbers: string[]; refs: string[] };
}

/** Numbers and ids an answer's tools returned, kept so later answers may rest on them. */
export class ConversationEvidenceV1 {
  @IsArray()
  @ArrayMaxSize(5_000)
  @IsString({ each: true })
  @MaxLength(64, { each: true })
  numbers!: string[];

  @IsArray()
  @ArrayMaxSize(2_000)
  @IsString({ each: true })
  @MaxLength(MAX_NAME, { each: true })
  refs!: string[];
}

/** A runner records the answer it wrote (`juggernaut.conversation.reply.v1`); only a pending answer of this task is changed. */
export class RecordConversationReplyV1 extends ConversationTurnRefV1 {
  @IsIn(FINISHED_MESSAGE_STATUSES) status!: (typeof FINISHED_MESSAGE_STATUSES)[number];
  @IsString() @IsNotEmpty() @MaxLength(100_000) content!: string;
  @IsString() @IsNotEmpty() @MaxLength(50) stopReason!: string;
  @IsArray() @ArrayMaxSize(200) @ValidateNested({ each: true }) @Type(() => CitationV1) citations!: CitationV1[];
  @IsArray()
  @ArrayMaxSize(500)
  @ValidateNested({ each: true })
  @Type(() => ToolCallSummaryV1)
  toolCalls!: ToolCallSummaryV1[];
  @IsObject() @ValidateNested() @Type(() => ConversationEvidenceV1) evidence!: ConversationEvidenceV1;
  @IsInt() @Min(0) @Max(MAX_MINOR) costMinor!: number;
}

export interface ConversationReplyRecordedV1 {
  /** False when the answer was no longer pending (the kill switch or the caller's wait ended it first). */
  recorded: boolean;
  status: MessageStatus;
}

/** A runner stores the summary it wrote of a conversation too long for the model (`juggernaut.conversation.summary.v1`). */
export class AddConversationSummaryV1 extends ConversationTurnRefV1 {
  @IsInt() @Min(1) throughSeq!: number;
  @IsString() @IsNotEmpty() @MaxLength(100_000) content!: string;
}

/** A read on behalf of a turn's caller (`juggernaut.conversation.read.v1`), answered like the REST route. */
export class ConversationReadV1 {
  @IsUUID() taskId!: string;
  @IsIn(CONVERSATION_READS) resource!: ConversationRead;
  /** The route's query parameters, or `{ id }` for a single resource. */
  @IsOptional() @IsObject() query?: Record<string, unknown>;
}

/**
 * Progress of an answer on core NATS (`juggernaut.conversation.stream.v1`): the runner's text as the
 * model writes it, its tool calls, a draft the runtime refused; governance-api's `done` once the
 * answer is stored. Governance relays them as server-sent events; a lost one costs nothing, the
 * stored answer is the truth.
 */
export interface ConversationStreamEventV1 {
  conversationId: string;
  messageId: string;
  taskId?: string;
  kind: 'delta' | 'tool' | 'retract' | 'compacted' | 'done';
  step?: number;
  text?: string;
  tool?: string;
  outcome?: string;
  reason?: string;
}
