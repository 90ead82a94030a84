import { BadRequestException, Body, Controller, Delete, Get, Param, Post } from '@nestjs/common';
import {
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiOkResponse,
  ApiOperation,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import { CreatedWebhookSourceV1, CreateWebhookSourceDto, WebhookSourceViewV1 } from '@juggernaut/contracts';
import { AuditedInHandler } from '../audit/audited.decorator';
import { type AuditTrail, Trail } from '../audit/audit-trail';
import { CurrentCaller } from '../auth/caller.decorator';
import { type Caller, Roles } from '../auth/roles';
import { DeletedResponse } from '../http/response-types';
import { SourceNamePipe } from './source-name.pipe';
import { mappingProblems } from './webhook-mapping';
import { WebhookSourcesRepository } from './webhook-sources.repository';

/** Generic payment webhook sources (admin): how each signs and where its events keep what the ledger needs. */
@ApiTags('webhooks')
@Controller('webhook-sources')
@AuditedInHandler()
export class WebhookSourcesController {
  constructor(private readonly sources: WebhookSourcesRepository) {}

  @Post()
  @Roles('admin')
  @ApiOperation({ summary: 'Add a generic webhook source; its signing secret is in this answer only' })
  @ApiCreatedResponse({ type: CreatedWebhookSourceV1 })
  @ApiConflictResponse({ description: 'A source of that name exists (or it is `stripe`).' })
  @ApiServiceUnavailableResponse({
    description: 'JUGGERNAUT_WEBHOOK_KEY is not set, or the audit log could not be written.',
  })
  create(
    @Body() body: CreateWebhookSourceDto,
    @CurrentCaller() caller: Caller,
    @Trail() trail: AuditTrail,
  ): Promise<CreatedWebhookSourceV1> {
    const problems = mappingProblems(body.mapping);
    if (problems.length) throw new BadRequestException(problems);
    return this.sources.create(body, caller.name, trail);
  }

  @Get()
  @Roles('admin', 'operator')
  @ApiOkResponse({ type: [WebhookSourceViewV1] })
  list(): Promise<WebhookSourceViewV1[]> {
    return this.sources.list();
  }

  @Get(':name')
  @Roles('admin', 'operator')
  @ApiOkResponse({ type: WebhookSourceViewV1 })
  get(@Param('name', SourceNamePipe) name: string): Promise<WebhookSourceViewV1> {
    return this.sources.get(name);
  }

  @Delete(':name')
  @Roles('admin')
  @ApiOkResponse({ type: DeletedResponse, description: 'Deleted: its deliveries are refused from now on (404).' })
  delete(@Param('name', SourceNamePipe) name: string, @Trail() trail: AuditTrail): Promise<{ deleted: true }> {
    return this.sources.delete(name, trail);
  }
}
