import { Body, Controller, Get, Param, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { RegisterRepositoryV1, RepositoryNameV1, RepositoryV1, Subjects } from '@juggernaut/contracts';
import { Bus } from '@juggernaut/messaging';
import { READERS, Roles } from '../auth/roles';

/** The git repositories dev-bot may develop, with their checks, gate policy and forge. */
@ApiTags('changes')
@Controller('repositories')
export class RepositoriesController {
  constructor(private readonly bus: Bus) {}

  @Post()
  @Roles('admin')
  @ApiOperation({ summary: 'Register a repository (or replace its settings): clone URL, default branch, checks, gate policy, forge' })
  @ApiCreatedResponse({ type: RepositoryV1 })
  register(@Body() body: RegisterRepositoryV1): Promise<RepositoryV1> {
    return this.bus.request(Subjects.repositoryRegister, body);
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
