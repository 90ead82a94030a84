import { Body, Controller, Get, NotFoundException, Param, ParseIntPipe, Put, Query } from '@nestjs/common';
import { ApiOkResponse, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { PolicyDocumentV1, PolicySettingsV1, SetKillSwitchV1 } from '@juggernaut/contracts';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';
import { AuditedInHandler } from '../audit/audited.decorator';
import { CurrentCaller } from '../auth/caller.decorator';
import { type Caller, READERS, Roles } from '../auth/roles';
import { PoliciesRepository } from './policies.repository';
import { PoliciesService } from './policies.service';

export class PolicyHistoryQuery {
  @ApiPropertyOptional({ minimum: 1, maximum: 200, default: 20 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(200)
  limit?: number;

  @ApiPropertyOptional({ description: 'Only versions older than this one.' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(2_147_483_647)
  before?: number;
}

/** Budgets, caps, permissions, approval thresholds and the kill switch. Only admins change them. */
@ApiTags('policies')
@Controller('policies')
@AuditedInHandler()
export class PoliciesController {
  constructor(
    private readonly policies: PoliciesService,
    private readonly repo: PoliciesRepository,
  ) {}

  @Get()
  @Roles(...READERS)
  @ApiOkResponse({ type: PolicyDocumentV1, description: 'The policy in force.' })
  current(): Promise<PolicyDocumentV1> {
    return this.policies.current();
  }

  @Put()
  @Roles('admin')
  @ApiOkResponse({
    type: PolicyDocumentV1,
    description: 'The new version; the dispatcher and runners apply it within a second.',
  })
  update(@Body() body: PolicySettingsV1, @CurrentCaller() caller: Caller): Promise<PolicyDocumentV1> {
    return this.policies.update(body, caller);
  }

  @Put('kill-switch')
  @Roles('admin')
  @ApiOkResponse({
    type: PolicyDocumentV1,
    description: 'Engaged: no task is claimed and runners abort what they run.',
  })
  killSwitch(@Body() body: SetKillSwitchV1, @CurrentCaller() caller: Caller): Promise<PolicyDocumentV1> {
    return this.policies.setKillSwitch(body, caller);
  }

  @Get('versions')
  @Roles(...READERS)
  @ApiOkResponse({ type: [PolicyDocumentV1], description: 'Every version, newest first.' })
  history(@Query() q: PolicyHistoryQuery): Promise<PolicyDocumentV1[]> {
    return this.repo.history(q.limit ?? 20, q.before);
  }

  @Get('versions/:version')
  @Roles(...READERS)
  @ApiOkResponse({ type: PolicyDocumentV1 })
  async version(@Param('version', new ParseIntPipe()) version: number): Promise<PolicyDocumentV1> {
    const doc = version >= 1 && version <= 2_147_483_647 ? await this.repo.get(version) : undefined;
    if (!doc) throw new NotFoundException(`policy version ${version} not found`);
    return doc;
  }
}
