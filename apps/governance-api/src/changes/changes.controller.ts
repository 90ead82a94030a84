import { Body, Controller, Get, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiCreatedResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import { ChangePageV1, ChangeViewV1, CreateChangeV1, ListChangesV1, Subjects } from '@juggernaut/contracts';
import { Bus } from '@juggernaut/messaging';
import { redact } from '@juggernaut/observability';
import { AuditedInHandler } from '../audit/audited.decorator';
import { type AuditTrail, Trail } from '../audit/audit-trail';
import { CurrentCaller } from '../auth/caller.decorator';
import { type Caller, READERS, Roles } from '../auth/roles';
import { checkedCursor } from '../http/checked-cursor';

/** Change requests to dev-bot (branch, edits, checks, review, pull request, merge), owned by dev-bot and reached over NATS. */
@ApiTags('changes')
@Controller('changes')
@AuditedInHandler()
export class ChangesController {
  constructor(private readonly bus: Bus) {}

  @Post()
  @Roles('admin', 'operator')
  @ApiOperation({
    summary: 'Ask dev-bot for a change to a registered repository; it is queued and carried out by a dev.change task',
  })
  @ApiCreatedResponse({ type: ChangeViewV1, description: 'The change, queued. Follow it with GET /changes/{id}.' })
  @ApiNotFoundResponse({ description: 'The repository is not registered.' })
  @ApiBadRequestResponse({
    description:
      'A field is invalid, or holds text that cannot be stored (NUL, a lone UTF-16 surrogate); the message names it.',
  })
  @ApiServiceUnavailableResponse({
    description:
      'The audit entry of the intent could not be written, so the request was not sent; or the service that owns this did not answer.',
  })
  async create(
    @Body() body: CreateChangeV1,
    @CurrentCaller() caller: Caller,
    @Trail() trail: AuditTrail,
  ): Promise<ChangeViewV1> {
    return redact(
      await trail.forward(() => this.bus.request(Subjects.changeCreate, { ...body, requestedBy: caller.name }, 15_000)),
    );
  }

  @Get()
  @Roles(...READERS)
  @ApiOperation({ summary: 'Change requests, newest first' })
  @ApiOkResponse({ type: ChangePageV1, description: 'Each change with its timeline, secrets redacted.' })
  @ApiBadRequestResponse({ description: 'A filter is invalid, or the cursor is not one this list returned.' })
  async list(@Query() q: ListChangesV1): Promise<ChangePageV1> {
    checkedCursor(q.cursor, 'uuid');
    return redact(await this.bus.request(Subjects.changeList, q));
  }

  @Get(':id')
  @Roles(...READERS)
  @ApiOperation({
    summary: 'A change with its diff summary, checks, gate findings, review, pull request, merge and every step',
  })
  @ApiOkResponse({ type: ChangeViewV1, description: 'The change with its timeline, secrets redacted.' })
  @ApiNotFoundResponse()
  async get(@Param('id', new ParseUUIDPipe()) id: string): Promise<ChangeViewV1> {
    return redact(await this.bus.request(Subjects.changeGet, { id }));
  }
}
