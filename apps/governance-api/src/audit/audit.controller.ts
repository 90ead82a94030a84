import { Controller, Get, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiOkResponse, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { type Page, PageQuery } from '@juggernaut/contracts';
import { redact } from '@juggernaut/observability';
import { encodeCursor } from '@juggernaut/persistence';
import { IsISO8601, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { Roles } from '../auth/roles';
import { type AuditRow, AuditRepository } from './audit.repository';
import { checkedCursor } from '../http/checked-cursor';

export class ListAuditQuery extends PageQuery {
  @ApiPropertyOptional({ description: 'API key name, or system:<component>.' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  actor?: string;

  @ApiPropertyOptional({ description: 'An action (policy.update) or a prefix of one (policy, approval, http).' })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  @Matches(/^[a-z_.]+$/, { message: 'action must be lowercase letters, "_" and "."' })
  action?: string;

  @ApiPropertyOptional({ example: 'policies' })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  resourceType?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(200)
  resourceId?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsISO8601({ strict: true })
  since?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsISO8601({ strict: true })
  until?: string;
}

export class AuditEntryView {
  @ApiProperty() id!: string;
  @ApiProperty() at!: string;
  @ApiProperty({ description: 'API key name, or system:<component>.' }) actor!: string;
  @ApiProperty({ nullable: true, type: String }) actorKeyId!: string | null;
  @ApiProperty({ nullable: true, type: String }) actorRole!: string | null;
  @ApiProperty() action!: string;
  @ApiProperty() resourceType!: string;
  @ApiProperty({ nullable: true, type: String }) resourceId!: string | null;
  @ApiProperty({ nullable: true, type: 'object', additionalProperties: true }) before!: unknown;
  @ApiProperty({ nullable: true, type: 'object', additionalProperties: true }) after!: unknown;
  @ApiProperty({ nullable: true, type: 'object', additionalProperties: true }) details!: unknown;
  @ApiProperty({ nullable: true, type: String }) correlationId!: string | null;
}

export class AuditPage {
  @ApiProperty({ type: [AuditEntryView] }) items!: AuditEntryView[];
  @ApiProperty({ nullable: true, type: String }) nextCursor!: string | null;
}

/** An entry as readers see it: its values redacted again, so entries stored before a redaction rule existed do not show what it hides. */
function toView(r: AuditRow): AuditEntryView {
  return {
    id: r.id,
    at: r.at.toISOString(),
    actor: r.actor,
    actorKeyId: r.actor_key_id,
    actorRole: r.actor_role,
    action: r.action,
    resourceType: r.resource_type,
    resourceId: r.resource_id,
    before: redact(r.before),
    after: redact(r.after),
    details: redact(r.details),
    correlationId: r.correlation_id,
  };
}

/** The audit log, read-only: there is no route that changes or removes an entry. */
@ApiTags('audit')
@Controller('audit')
export class AuditController {
  constructor(private readonly repo: AuditRepository) {}

  @Get()
  @Roles('admin', 'operator')
  @ApiOkResponse({
    type: AuditPage,
    description:
      'Newest first; values redacted. A mutation forwarded to another service has an `http.<method>.intent` entry written before it was sent and an outcome entry (`http.<method>`, `.refused` or `.failed`) whose details.intentId points at it.',
  })
  @ApiBadRequestResponse({ description: 'A filter is invalid, or the cursor is not one this list returned.' })
  async list(@Query() q: ListAuditQuery): Promise<Page<AuditEntryView>> {
    const { limit = 50, cursor, ...filter } = q;
    const rows = await this.repo.list(filter, limit + 1, checkedCursor(cursor, 'bigint'));
    const items = rows.slice(0, limit);
    const last = items[items.length - 1];
    return {
      items: items.map(toView),
      nextCursor: rows.length > limit && last ? encodeCursor(last.at, last.id) : null,
    };
  }
}
