import { Body, Controller, Get, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import { ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { CreateExecutionLogDto, LOG_LEVELS, type LogLevel, type Page, PageQuery } from '@juggernaut/contracts';
import { IsIn, IsISO8601, IsOptional, IsString, IsUUID, MaxLength } from 'class-validator';
import { READERS, Roles, WRITERS } from '../auth/roles';
import { type ExecutionLogView, LogsService } from './logs.service';

export class ListLogsQuery extends PageQuery {
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(200)
  workerId?: string;

  @ApiPropertyOptional({ format: 'uuid' }) @IsOptional() @IsUUID()
  taskId?: string;

  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(200)
  action?: string;

  @ApiPropertyOptional({ enum: LOG_LEVELS }) @IsOptional() @IsIn(LOG_LEVELS)
  level?: LogLevel;

  @ApiPropertyOptional({ description: 'Only lines at or after this time (ISO 8601).' }) @IsOptional() @IsISO8601({ strict: true })
  since?: string;
}

@ApiTags('logs')
@Controller('logs')
export class LogsController {
  constructor(private readonly logs: LogsService) {}

  @Post()
  @Roles(...WRITERS)
  create(@Body() body: CreateExecutionLogDto): Promise<ExecutionLogView> {
    return this.logs.append(body);
  }

  @Get()
  @Roles(...READERS)
  list(@Query() q: ListLogsQuery): Promise<Page<ExecutionLogView>> {
    const { limit, cursor, ...filter } = q;
    return this.logs.list(filter, limit ?? 50, cursor);
  }

  @Get(':id')
  @Roles(...READERS)
  get(@Param('id', new ParseUUIDPipe()) id: string): Promise<ExecutionLogView> {
    return this.logs.get(id);
  }
}
