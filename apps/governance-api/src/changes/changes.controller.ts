import { Body, Controller, Get, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ChangePageV1, ChangeViewV1, CreateChangeV1, ListChangesV1, Subjects } from '@juggernaut/contracts';
import { Bus } from '@juggernaut/messaging';
import { CurrentCaller } from '../auth/caller.decorator';
import { type Caller, READERS, Roles } from '../auth/roles';

/** Change requests to dev-bot (branch, edits, checks, review, pull request, merge), owned by dev-bot and reached over NATS. */
@ApiTags('changes')
@Controller('changes')
export class ChangesController {
  constructor(private readonly bus: Bus) {}

  @Post()
  @Roles('admin', 'operator')
  @ApiOperation({ summary: 'Ask dev-bot for a change to a registered repository; it is queued and carried out by a dev.change task' })
  @ApiCreatedResponse({ type: ChangeViewV1, description: 'The change, queued. Follow it with GET /changes/{id}.' })
  @ApiNotFoundResponse({ description: 'The repository is not registered.' })
  create(@Body() body: CreateChangeV1, @CurrentCaller() caller: Caller): Promise<ChangeViewV1> {
    return this.bus.request(Subjects.changeCreate, { ...body, requestedBy: caller.name }, 15_000);
  }

  @Get()
  @Roles(...READERS)
  @ApiOperation({ summary: 'Change requests, newest first' })
  @ApiOkResponse({ type: ChangePageV1 })
  list(@Query() q: ListChangesV1): Promise<ChangePageV1> {
    return this.bus.request(Subjects.changeList, q);
  }

  @Get(':id')
  @Roles(...READERS)
  @ApiOperation({ summary: 'A change with its diff summary, checks, gate findings, review, pull request, merge and every step' })
  @ApiOkResponse({ type: ChangeViewV1 })
  @ApiNotFoundResponse()
  get(@Param('id', new ParseUUIDPipe()) id: string): Promise<ChangeViewV1> {
    return this.bus.request(Subjects.changeGet, { id });
  }
}
