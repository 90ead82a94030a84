import { Body, Controller, Get, HttpCode, Inject, Param, ParseUUIDPipe, Post, Query, Req, Res } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiExtraModels,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiServiceUnavailableResponse,
  ApiTags,
  getSchemaPath,
} from '@nestjs/swagger';
import {
  ConversationDetailV1,
  ConversationMessagePageV1,
  ConversationMessageV1,
  ConversationPageV1,
  type ConversationStreamEventV1,
  ConversationTurnV1,
  CreateConversationDto,
  ListConversationMessagesQuery,
  ListConversationsQuery,
  type Page,
  PostConversationMessageDto,
  type ConversationV1,
} from '@juggernaut/contracts';
import { APP_CONFIG, LOGGER } from '@juggernaut/service-kit';
import type { Request, Response } from 'express';
import type { Logger } from 'pino';
import { AuditedInHandler } from '../audit/audited.decorator';
import { type AuditTrail, Trail } from '../audit/audit-trail';
import { CurrentCaller } from '../auth/caller.decorator';
import { type Caller, READERS, Roles, RolesAndPolicy } from '../auth/roles';
import type { GovernanceEnv } from '../config';
import { toMessage } from './conversations.repository';
import { ConversationsService } from './conversations.service';

const AUDIT_UNAVAILABLE = 'The audit entry could not be written, so nothing was stored.';
const STREAM_EVENTS =
  'With `Accept: text/event-stream`, server-sent events: `question` (the stored question), `answer` (the pending answer, with its id), ' +
  "then as the runner works `delta` ({step, text}: the model's text as it writes it), `tool` ({step, tool, outcome}), `retract` ({reason}: the runtime refused " +
  'that draft — ungrounded numbers or citations — and the model writes again), `compacted` (a summary was stored), and last `done` ({question, answer}: ' +
  'the stored answer, the truth over any delta) or `pending` ({location, answer}: not finished within the wait).';

/**
 * Conversations with Juggernaut (L1–L2): questions answered by the agent runtime from the system's
 * own state, through read-only tools that show what the caller's role may read. Every role may
 * converse; a conversation belongs to the key that started it (admins may read all).
 */
@ApiTags('conversations')
@ApiExtraModels(ConversationTurnV1)
@Controller('conversations')
@AuditedInHandler()
export class ConversationsController {
  constructor(
    private readonly conversations: ConversationsService,
    @Inject(APP_CONFIG) private readonly config: GovernanceEnv,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  @Post()
  @Roles(...READERS)
  @ApiOperation({ summary: 'Start a conversation, optionally about a goal and with a spending limit' })
  @ApiCreatedResponse({ type: ConversationDetailV1 })
  @ApiBadRequestResponse({
    description: 'A field is invalid, or holds text that cannot be stored; the message names it.',
  })
  @ApiNotFoundResponse({ description: 'No goal with this goalId.' })
  @ApiServiceUnavailableResponse({ description: AUDIT_UNAVAILABLE })
  create(
    @Body() body: CreateConversationDto,
    @CurrentCaller() caller: Caller,
    @Trail() trail: AuditTrail,
  ): Promise<ConversationDetailV1> {
    return this.conversations.create(body, caller, trail);
  }

  @Get()
  @Roles(...READERS)
  @ApiOperation({ summary: "The caller's conversations, newest first (an admin sees every conversation)" })
  @ApiOkResponse({ type: ConversationPageV1 })
  @ApiBadRequestResponse({ description: 'A filter is invalid, or the cursor is not one this list returned.' })
  list(@Query() q: ListConversationsQuery, @CurrentCaller() caller: Caller): Promise<Page<ConversationV1>> {
    return this.conversations.list(caller, q);
  }

  @Get(':id')
  @Roles(...READERS)
  @ApiOkResponse({
    type: ConversationDetailV1,
    description: "With its spend and the summaries written when it outgrew the model's context.",
  })
  @ApiBadRequestResponse({ description: 'The id is not a UUID.' })
  @ApiNotFoundResponse({ description: 'No conversation with this id that this key may read.' })
  get(@Param('id', new ParseUUIDPipe()) id: string, @CurrentCaller() caller: Caller): Promise<ConversationDetailV1> {
    return this.conversations.get(id, caller);
  }

  @Get(':id/messages')
  @Roles(...READERS)
  @ApiOperation({
    summary:
      'Every question and answer, in order, never cut (a summary only stands for old messages in what the model is sent)',
  })
  @ApiOkResponse({ type: ConversationMessagePageV1 })
  @ApiBadRequestResponse({
    description: 'The id is not a UUID, the limit is invalid, or the cursor is not one this list returned.',
  })
  @ApiNotFoundResponse({ description: 'No conversation with this id that this key may read.' })
  messages(
    @Param('id', new ParseUUIDPipe()) id: string,
    @Query() q: ListConversationMessagesQuery,
    @CurrentCaller() caller: Caller,
  ): Promise<Page<ConversationMessageV1>> {
    return this.conversations.messages(id, caller, q);
  }

  @Get(':id/messages/:messageId')
  @Roles(...READERS)
  @ApiOperation({ summary: 'One message: where a question answered 202 tells the caller to read its answer' })
  @ApiOkResponse({ type: ConversationMessageV1 })
  @ApiBadRequestResponse({ description: 'An id is not a UUID.' })
  @ApiNotFoundResponse({ description: 'No such message in a conversation this key may read.' })
  message(
    @Param('id', new ParseUUIDPipe()) id: string,
    @Param('messageId', new ParseUUIDPipe()) messageId: string,
    @CurrentCaller() caller: Caller,
  ): Promise<ConversationMessageV1> {
    return this.conversations.message(id, messageId, caller);
  }

  @Post(':id/messages')
  @HttpCode(200)
  @RolesAndPolicy('Only the key that started the conversation may continue it.', ...READERS)
  @ApiOperation({
    summary:
      "Ask: the answer comes from the system's own state, with the ids it rests on; streamed as server-sent events on Accept: text/event-stream",
  })
  @ApiProduces('application/json', 'text/event-stream')
  @ApiOkResponse({
    description: `The question and its answer: completed (with citations), or stopped with the reason in its content (budget, kill switch, limits). ${STREAM_EVENTS}`,
    content: {
      'application/json': { schema: { $ref: getSchemaPath(ConversationTurnV1) } },
      'text/event-stream': {
        schema: { type: 'string', example: 'event: delta\ndata: {"step":1,"text":"Revenue this week"}\n\n' },
      },
    },
  })
  @ApiAcceptedResponse({
    type: ConversationTurnV1,
    description:
      'The answer was not finished within the wait (JUGGERNAUT_CONVERSATION_WAIT_MS); it is written on: read it where Location says.',
    headers: {
      Location: { description: '/api/v1/conversations/{id}/messages/{answerId}', schema: { type: 'string' } },
    },
  })
  @ApiBadRequestResponse({
    description: 'The id is not a UUID, or the content is missing, too long or holds text that cannot be stored.',
  })
  @ApiNotFoundResponse({ description: 'No conversation with this id that this key may read.' })
  @ApiConflictResponse({
    description:
      "An answer in this conversation is still being written, or the key's role changed since the conversation started.",
  })
  @ApiServiceUnavailableResponse({
    description:
      'Nothing could answer, so nothing was stored: no model configured (the message gives the fix `npm run doctor` gives), no agent runner online, ' +
      'or the kill switch engaged. Or the audit entry could not be written, or the dispatcher did not take the task.',
  })
  async ask(
    @Param('id', new ParseUUIDPipe()) id: string,
    @Body() body: PostConversationMessageDto,
    @CurrentCaller() caller: Caller,
    @Trail() trail: AuditTrail,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    const turn = await this.conversations.ask(id, body.content, caller, trail);
    const deadline = Date.now() + this.config.JUGGERNAUT_CONVERSATION_WAIT_MS;
    const location = `/api/v1/conversations/${id}/messages/${turn.answer.id}`;
    // A caller that hangs up stops waiting; the answer is written and stored all the same.
    const closed = new AbortController();
    res.on('close', () => closed.abort());
    const question = toMessage(turn.question);

    if (!(req.header('accept') ?? '').includes('text/event-stream')) {
      const answer = await this.conversations.waitForAnswer(turn, { deadline, closed: closed.signal });
      if (closed.signal.aborted) return;
      if (answer.status === 'pending') res.status(202).location(location);
      res.json({ question, answer: toMessage(answer) });
      return;
    }

    res.status(200).set({
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    res.flushHeaders();
    const send = (event: string, data: unknown) => {
      if (!res.writableEnded && !res.destroyed) res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    };
    const ping = setInterval(() => !res.destroyed && res.write(': keep-alive\n\n'), 15_000);
    try {
      send('question', question);
      send('answer', toMessage(turn.answer));
      const answer = await this.conversations.waitForAnswer(turn, {
        deadline,
        closed: closed.signal,
        onEvent: (e) => send(e.kind, progressOf(e)),
      });
      if (answer.status === 'pending') send('pending', { location, answer: toMessage(answer) });
      else send('done', { question, answer: toMessage(answer) });
    } catch (e) {
      this.logger.error({ err: e, conversationId: id }, 'answer stream failed');
      send('error', { message: `the stream failed; read the answer at ${location}` });
    } finally {
      clearInterval(ping);
      res.end();
    }
  }
}

function progressOf(e: ConversationStreamEventV1): Record<string, unknown> {
  return {
    ...(e.step !== undefined ? { step: e.step } : {}),
    ...(e.text !== undefined ? { text: e.text } : {}),
    ...(e.tool ? { tool: e.tool } : {}),
    ...(e.outcome ? { outcome: e.outcome } : {}),
    ...(e.reason ? { reason: e.reason } : {}),
  };
}
