import { Body, Controller, Get, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import { ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { CreateOpportunityDto, type OpportunityV1, type Page, PageQuery } from '@juggernaut/contracts';
import { Type } from 'class-transformer';
import { IsNumber, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { READERS, Roles, WRITERS } from '../auth/roles';
import { OpportunitiesService } from './opportunities.service';

export class ListOpportunitiesQuery extends PageQuery {
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(100)
  opportunityType?: string;

  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(100)
  category?: string;

  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(50)
  status?: string;

  @ApiPropertyOptional({ minimum: 0, maximum: 1 }) @IsOptional() @Type(() => Number) @IsNumber() @Min(0) @Max(1)
  minConfidence?: number;
}

@ApiTags('opportunities')
@Controller('opportunities')
export class OpportunitiesController {
  constructor(private readonly opportunities: OpportunitiesService) {}

  @Post()
  @Roles(...WRITERS)
  create(@Body() body: CreateOpportunityDto): Promise<OpportunityV1> {
    return this.opportunities.create(body);
  }

  @Get()
  @Roles(...READERS)
  list(@Query() q: ListOpportunitiesQuery): Promise<Page<OpportunityV1>> {
    const { limit, cursor, ...filter } = q;
    return this.opportunities.list(filter, limit ?? 50, cursor);
  }

  @Get(':id')
  @Roles(...READERS)
  get(@Param('id', new ParseUUIDPipe()) id: string): Promise<OpportunityV1> {
    return this.opportunities.get(id);
  }
}
