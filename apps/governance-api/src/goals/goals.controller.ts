import { Body, Controller, Get, Param, ParseUUIDPipe, Patch, Post, Query } from '@nestjs/common';
import {
  ApiCreatedResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiProperty,
  ApiPropertyOptional,
  ApiTags,
} from '@nestjs/swagger';
import {
  CreateGoalDto,
  GOAL_STATUSES,
  type GoalStatus,
  GoalV1,
  type Page,
  PageQuery,
  UpdateGoalDto,
} from '@juggernaut/contracts';
import { IsIn, IsOptional } from 'class-validator';
import { AuditedInHandler } from '../audit/audited.decorator';
import { CurrentCaller } from '../auth/caller.decorator';
import { type Caller, READERS, type Role, Roles } from '../auth/roles';
import { GoalProgress, GoalProgressReader, GoalProgressSummary } from './goal-progress';
import { PageOf } from '../http/response-types';
import { GoalsService } from './goals.service';

/** Goals are set by people: admins and operators. */
const GOAL_SETTERS: Role[] = ['admin', 'operator'];

export class ListGoalsQuery extends PageQuery {
  @ApiPropertyOptional({ enum: GOAL_STATUSES })
  @IsOptional()
  @IsIn(GOAL_STATUSES)
  status?: GoalStatus;
}

export class GoalDetailV1 extends GoalV1 {
  @ApiProperty({ type: GoalProgressSummary, description: 'Rolled up from every task under the goal.' })
  progress!: GoalProgressSummary;
}

@ApiTags('goals')
@Controller('goals')
export class GoalsController {
  constructor(
    private readonly goals: GoalsService,
    private readonly reader: GoalProgressReader,
  ) {}

  @Post()
  @Roles(...GOAL_SETTERS)
  @AuditedInHandler()
  @ApiCreatedResponse({ type: GoalV1 })
  create(@Body() body: CreateGoalDto, @CurrentCaller() caller: Caller): Promise<GoalV1> {
    return this.goals.create(body, caller);
  }

  @Get()
  @Roles(...READERS)
  @ApiOkResponse({ type: PageOf(GoalV1) })
  list(@Query() q: ListGoalsQuery): Promise<Page<GoalV1>> {
    return this.goals.list(q.status, q.limit ?? 50, q.cursor);
  }

  @Get(':id')
  @Roles(...READERS)
  @ApiOkResponse({ type: GoalDetailV1 })
  get(@Param('id', new ParseUUIDPipe()) id: string): Promise<GoalDetailV1> {
    return this.goals.getWithProgress(id);
  }

  @Patch(':id')
  @Roles(...GOAL_SETTERS)
  @AuditedInHandler()
  @ApiOkResponse({ type: GoalV1 })
  update(
    @Param('id', new ParseUUIDPipe()) id: string,
    @Body() body: UpdateGoalDto,
    @CurrentCaller() caller: Caller,
  ): Promise<GoalV1> {
    return this.goals.update(id, body, caller);
  }

  /** Every task under the goal with its state. */
  @Get(':id/progress')
  @Roles(...READERS)
  @ApiOkResponse({ type: GoalProgress })
  @ApiNotFoundResponse({ description: 'No goal with this id.' })
  async progress(@Param('id', new ParseUUIDPipe()) id: string): Promise<GoalProgress> {
    await this.goals.get(id);
    return this.reader.progress(id);
  }
}
