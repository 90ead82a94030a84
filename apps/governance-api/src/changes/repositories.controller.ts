import { Body, Controller, Get, Param, Post } from '@nestjs/common';
import {
  ApiCreatedResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import { RegisterRepositoryV1, RepositoryNameV1, RepositoryV1, Subjects } from '@juggernaut/contracts';
import { Bus } from '@juggernaut/messaging';
import { AuditedInHandler } from '../audit/audited.decorator';
import { type AuditTrail, Trail } from '../audit/audit-trail';
import { READERS, Roles } from '../auth/roles';

/** The git repositories dev-bot may develop, with their checks, gate policy and forge. */
@ApiTags('changes')
@Controller('repositories')
@AuditedInHandler()
export class RepositoriesController {
  constructor(private readonly bus: Bus) {}

  @Post()
  @Roles('admin')
  @ApiOperation({
    summary: 'Register a repository (or replace its settings): clone URL, default branch, checks, gate policy, forge',
  })
  @ApiCreatedResponse({ type: RepositoryV1 })
  @ApiServiceUnavailableResponse({
    description:
      'The audit entry of the intent could not be written, so the request was not sent; or the service that owns this did not answer.',
  })
  register(@Body() body: RegisterRepositoryV1, @Trail() trail: AuditTrail): Promise<RepositoryV1> {
    return trail.forward(() => this.bus.request(Subjects.repositoryRegister, body));
  }

  @Get()
  @Roles(...READERS)
  @ApiOkResponse({ type: [RepositoryV1] })
  list(): Promise<RepositoryV1[]> {
    return this.bus.request(Subjects.repositoryList, {});
  }

  @Get(':name')
  @Roles(...READERS)
  @ApiOkResponse({ type: RepositoryV1 })
  @ApiNotFoundResponse()
  get(@Param() params: RepositoryNameV1): Promise<RepositoryV1> {
    return this.bus.request(Subjects.repositoryGet, { name: params.name });
  }
}
