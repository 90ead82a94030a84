import { Body, Controller, Get, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiCreatedResponse,
  ApiOkResponse,
  ApiPropertyOptional,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import { CreateOpportunityDto, OpportunityV1, type Page, PageQuery } from '@juggernaut/contracts';
import { Type } from 'class-transformer';
import { IsNumber, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { AuditedInHandler } from '../audit/audited.decorator';
import { type AuditTrail, Trail } from '../audit/audit-trail';
import { READERS, Roles, WRITERS } from '../auth/roles';
import { PageOf } from '../http/response-types';
import { OpportunitiesService } from './opportunities.service';

export class ListOpportunitiesQuery extends PageQuery {
  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(100)
  opportunityType?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(100)
  category?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(50)
  status?: string;

  @ApiPropertyOptional({ minimum: 0, maximum: 1 })
  @IsOptional()
  @Type(() => Number)
  @IsNumber()
  @Min(0)
  @Max(1)
  minConfidence?: number;
}

@ApiTags('opportunities')
@Controller('opportunities')
export class OpportunitiesController {
  constructor(private readonly opportunities: OpportunitiesService) {}

  @Post()
  @Roles(...WRITERS)
  @AuditedInHandler()
  @ApiCreatedResponse({
    type: OpportunityV1,
    description: 'The opportunity; the same dedupeKey returns the one already recorded.',
  })
  @ApiBadRequestResponse({
    description:
      'A field is invalid, or holds text that cannot be stored (NUL, a lone UTF-16 surrogate); the message names it.',
  })
  @ApiServiceUnavailableResponse({ description: 'The audit entry could not be written, so nothing was stored.' })
  create(@Body() body: CreateOpportunityDto, @Trail() trail: AuditTrail): Promise<OpportunityV1> {
    return this.opportunities.create(body, trail);
  }

  @Get()
  @Roles(...READERS)
  @ApiOkResponse({ type: PageOf(OpportunityV1) })
  list(@Query() q: ListOpportunitiesQuery): Promise<Page<OpportunityV1>> {
    const { limit, cursor, ...filter } = q;
    return this.opportunities.list(filter, limit ?? 50, cursor);
  }

  @Get(':id')
  @Roles(...READERS)
  @ApiOkResponse({ type: OpportunityV1 })
  get(@Param('id', new ParseUUIDPipe()) id: string): Promise<OpportunityV1> {
    return this.opportunities.get(id);
  }
}
