import { Controller, Get, NotFoundException, Param, ParseUUIDPipe, Query } from '@nestjs/common';
import { ApiOkResponse, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { ALERT_KINDS, ALERT_SEVERITIES, type AlertKind, type Page, PageQuery } from '@juggernaut/contracts';
import { encodeCursor } from '@juggernaut/persistence';
import { IsIn, IsOptional } from 'class-validator';
import { READERS, Roles } from '../auth/roles';
import { checkedCursor } from '../http/checked-cursor';
import { type AlertRow, AlertsRepository } from './alerts.repository';

const ALERT_STATUSES = ['active', 'resolved'] as const;

export class ListAlertsQuery extends PageQuery {
  @ApiPropertyOptional({ enum: ALERT_STATUSES })
  @IsOptional()
  @IsIn(ALERT_STATUSES)
  status?: (typeof ALERT_STATUSES)[number];

  @ApiPropertyOptional({ enum: ALERT_KINDS })
  @IsOptional()
  @IsIn(ALERT_KINDS)
  kind?: AlertKind;
}

export class AlertView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ enum: ALERT_KINDS }) kind!: string;
  @ApiProperty({ description: 'What the alert is about within its kind (a worker id); empty when one per kind.' })
  key!: string;
  @ApiProperty({ enum: ALERT_SEVERITIES }) severity!: string;
  @ApiProperty() message!: string;
  @ApiProperty({ nullable: true, type: 'object', additionalProperties: true }) details!: Record<string, unknown> | null;
  @ApiProperty({ enum: ALERT_STATUSES }) status!: string;
  @ApiProperty() raisedAt!: string;
  @ApiProperty({ description: 'Last evaluation that still saw the condition.' }) lastSeenAt!: string;
  @ApiProperty({ nullable: true, type: String }) resolvedAt!: string | null;
}

export class AlertPage {
  @ApiProperty({ type: [AlertView] }) items!: AlertView[];
  @ApiProperty({ nullable: true, type: String }) nextCursor!: string | null;
}

function toView(r: AlertRow): AlertView {
  return {
    id: r.id,
    kind: r.kind,
    key: r.key,
    severity: r.severity,
    message: r.message,
    details: r.details,
    status: r.status,
    raisedAt: r.raised_at.toISOString(),
    lastSeenAt: r.last_seen_at.toISOString(),
    resolvedAt: r.resolved_at?.toISOString() ?? null,
  };
}

/** Alerts the monitor raised; they resolve themselves when their condition clears. */
@ApiTags('alerts')
@Controller('alerts')
export class AlertsController {
  constructor(private readonly repo: AlertsRepository) {}

  @Get()
  @Roles(...READERS)
  @ApiOkResponse({ type: AlertPage })
  async list(@Query() q: ListAlertsQuery): Promise<Page<AlertView>> {
    const { limit = 50, cursor, ...filter } = q;
    const rows = await this.repo.list(filter, limit + 1, checkedCursor(cursor, 'uuid'));
    const items = rows.slice(0, limit);
    const last = items[items.length - 1];
    return {
      items: items.map(toView),
      nextCursor: rows.length > limit && last ? encodeCursor(last.raised_at, last.id) : null,
    };
  }

  @Get(':id')
  @Roles(...READERS)
  @ApiOkResponse({ type: AlertView })
  async get(@Param('id', new ParseUUIDPipe()) id: string): Promise<AlertView> {
    const row = await this.repo.get(id);
    if (!row) throw new NotFoundException(`alert ${id} not found`);
    return toView(row);
  }
}
