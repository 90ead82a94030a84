import { Body, Controller, Get, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiCreatedResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiPropertyOptional,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import { AddGoalNoteDto, GoalNoteV1 } from '@juggernaut/contracts';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { AuditedInHandler } from '../audit/audited.decorator';
import { type AuditTrail, Trail } from '../audit/audit-trail';
import { CurrentCaller } from '../auth/caller.decorator';
import { type Caller, READERS, Roles, WRITERS } from '../auth/roles';
import { GoalNotesService } from './goal-notes.service';

export class ListGoalNotesQuery {
  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(100)
  key?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 200, default: 50 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(200)
  limit?: number;
}

/** A goal's shared memory, which every task under the goal reads and writes. */
@ApiTags('goals')
@Controller('goals/:goalId/notes')
export class GoalNotesController {
  constructor(private readonly notes: GoalNotesService) {}

  @Get()
  @Roles(...READERS)
  @ApiOkResponse({ type: [GoalNoteV1], description: 'Newest first.' })
  @ApiNotFoundResponse({ description: 'No goal with this id.' })
  list(@Param('goalId', new ParseUUIDPipe()) goalId: string, @Query() q: ListGoalNotesQuery): Promise<GoalNoteV1[]> {
    return this.notes.list({ goalId, ...q }, true);
  }

  @Post()
  @Roles(...WRITERS)
  @AuditedInHandler()
  @ApiCreatedResponse({
    type: GoalNoteV1,
    description: 'The note as stored (secrets redacted); the same noteId returns the note stored first.',
  })
  @ApiBadRequestResponse({
    description:
      'A field is invalid, or holds text that cannot be stored (NUL, a lone UTF-16 surrogate); the message names it.',
  })
  @ApiNotFoundResponse({ description: 'No goal with this id.' })
  @ApiServiceUnavailableResponse({ description: 'The audit entry could not be written, so nothing was stored.' })
  add(
    @Param('goalId', new ParseUUIDPipe()) goalId: string,
    @Body() body: AddGoalNoteDto,
    @CurrentCaller() caller: Caller,
    @Trail() trail: AuditTrail,
  ): Promise<GoalNoteV1> {
    return this.notes.add({ ...body, goalId, author: caller.name }, trail);
  }
}
