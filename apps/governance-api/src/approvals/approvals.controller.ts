import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import { ApiOkResponse, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import {
  APPROVAL_STATUSES,
  type ApprovalStatus,
  ApprovalV1,
  type Page,
  PageQuery,
  RequestApprovalV1,
} from '@juggernaut/contracts';
import { redact } from '@juggernaut/observability';
import { encodeCursor } from '@juggernaut/persistence';
import { IsIn, IsNotEmpty, IsOptional, IsString, IsUUID, MaxLength } from 'class-validator';
import { AuditedInHandler } from '../audit/audited.decorator';
import { CurrentCaller } from '../auth/caller.decorator';
import { type Caller, READERS, Roles } from '../auth/roles';
import { checkedCursor } from '../http/checked-cursor';
import { ApprovalsRepository } from './approvals.repository';
import { ApprovalsService } from './approvals.service';

export class ListApprovalsQuery extends PageQuery {
  @ApiPropertyOptional({ enum: APPROVAL_STATUSES })
  @IsOptional()
  @IsIn(APPROVAL_STATUSES)
  status?: ApprovalStatus;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(200)
  action?: string;

  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID()
  taskId?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(200)
  workerId?: string;
}

export class ApproveDto {
  @ApiPropertyOptional({ example: 'checked the diff' })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  reason?: string;
}

export class RejectDto {
  @ApiProperty({ example: 'amount too high for this experiment' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(2000)
  reason!: string;
}

export class ApprovalPage {
  @ApiProperty({ type: [ApprovalV1] }) items!: ApprovalV1[];
  @ApiProperty({ nullable: true, type: String }) nextCursor!: string | null;
}

/** Risky actions waiting for a human. Only admins and operators decide; nobody decides their own request. */
@ApiTags('approvals')
@Controller('approvals')
@AuditedInHandler()
export class ApprovalsController {
  constructor(
    private readonly approvals: ApprovalsService,
    private readonly repo: ApprovalsRepository,
  ) {}

  @Get()
  @Roles(...READERS)
  @ApiOkResponse({ type: ApprovalPage })
  async list(@Query() q: ListApprovalsQuery): Promise<Page<ApprovalV1>> {
    const { limit = 50, cursor, ...filter } = q;
    const rows = await this.repo.list(filter, limit + 1, checkedCursor(cursor, 'uuid'));
    const items = rows.slice(0, limit);
    const last = items[items.length - 1];
    return {
      items: items.map((a) => redact(a)),
      nextCursor: rows.length > limit && last ? encodeCursor(last.createdAt, last.id) : null,
    };
  }

  @Get(':id')
  @Roles(...READERS)
  @ApiOkResponse({ type: ApprovalV1 })
  async get(@Param('id', new ParseUUIDPipe()) id: string): Promise<ApprovalV1> {
    return redact(await this.approvals.get(id));
  }

  @Post()
  @Roles('admin', 'operator', 'agent')
  @ApiOkResponse({
    type: ApprovalV1,
    description: 'The same taskId, action and argsHash return the approval already requested.',
  })
  request(@Body() body: RequestApprovalV1, @CurrentCaller() caller: Caller): Promise<ApprovalV1> {
    return this.approvals.request(body, caller);
  }

  @Post(':id/approve')
  @HttpCode(200)
  @Roles('admin', 'operator')
  @ApiOkResponse({ type: ApprovalV1 })
  approve(
    @Param('id', new ParseUUIDPipe()) id: string,
    @Body() body: ApproveDto,
    @CurrentCaller() caller: Caller,
  ): Promise<ApprovalV1> {
    return this.approvals.decide(id, 'approved', caller, body.reason ?? null);
  }

  @Post(':id/reject')
  @HttpCode(200)
  @Roles('admin', 'operator')
  @ApiOkResponse({ type: ApprovalV1 })
  reject(
    @Param('id', new ParseUUIDPipe()) id: string,
    @Body() body: RejectDto,
    @CurrentCaller() caller: Caller,
  ): Promise<ApprovalV1> {
    return this.approvals.decide(id, 'rejected', caller, body.reason);
  }
}
