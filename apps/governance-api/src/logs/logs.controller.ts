import { Body, Controller, Get, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiCreatedResponse,
  ApiOkResponse,
  ApiPropertyOptional,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import { CreateExecutionLogDto, LOG_LEVELS, type LogLevel, type Page, PageQuery } from '@juggernaut/contracts';
import { IsIn, IsISO8601, IsOptional, IsString, IsUUID, MaxLength } from 'class-validator';
import { AuditedInHandler } from '../audit/audited.decorator';
import { type AuditTrail, Trail } from '../audit/audit-trail';
import { READERS, Roles, WRITERS } from '../auth/roles';
import { PageOf } from '../http/response-types';
import { ExecutionLogResponse } from './execution-log.response';
import { type ExecutionLogView, LogsService } from './logs.service';

export class ListLogsQuery extends PageQuery {
  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(200)
  workerId?: string;

  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID()
  taskId?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(200)
  action?: string;

  @ApiPropertyOptional({ enum: LOG_LEVELS })
  @IsOptional()
  @IsIn(LOG_LEVELS)
  level?: LogLevel;

  @ApiPropertyOptional({ description: 'Only lines at or after this time (ISO 8601).' })
  @IsOptional()
  @IsISO8601({ strict: true })
  since?: string;
}

@ApiTags('logs')
@Controller('logs')
export class LogsController {
  constructor(private readonly logs: LogsService) {}

  @Post()
  @Roles(...WRITERS)
  @AuditedInHandler()
  @ApiCreatedResponse({
    type: ExecutionLogResponse,
    description: 'The line as stored (secrets redacted); the same logId returns the line stored the first time.',
  })
  @ApiBadRequestResponse({
    description:
      'A field is invalid, or holds text that cannot be stored (NUL, a lone UTF-16 surrogate); the message names it.',
  })
  @ApiServiceUnavailableResponse({ description: 'The audit entry could not be written, so nothing was stored.' })
  create(@Body() body: CreateExecutionLogDto, @Trail() trail: AuditTrail): Promise<ExecutionLogView> {
    return this.logs.append(body, trail);
  }

  @Get()
  @Roles(...READERS)
  @ApiOkResponse({ type: PageOf(ExecutionLogResponse) })
  list(@Query() q: ListLogsQuery): Promise<Page<ExecutionLogView>> {
    const { limit, cursor, ...filter } = q;
    return this.logs.list(filter, limit ?? 50, cursor);
  }

  @Get(':id')
  @Roles(...READERS)
  @ApiOkResponse({ type: ExecutionLogResponse })
  get(@Param('id', new ParseUUIDPipe()) id: string): Promise<ExecutionLogView> {
    return this.logs.get(id);
  }
}
