import { Injectable, NotFoundException } from '@nestjs/common';
import type { CreateOpportunityDto, OpportunityV1, Page } from '@juggernaut/contracts';
import { encodeCursor, type Queryable } from '@juggernaut/persistence';
import type { AuditTrail } from '../audit/audit-trail';
import { checkedCursor } from '../http/checked-cursor';
import {
  OpportunitiesRepository,
  type OpportunityFilter,
  type OpportunityRow,
  toOpportunity,
} from './opportunities.repository';

@Injectable()
export class OpportunitiesService {
  constructor(private readonly repo: OpportunitiesRepository) {}

  /** Records an opportunity; through HTTP (`trail`) with its audit entry in the same transaction. */
  async create(input: CreateOpportunityDto, trail?: AuditTrail): Promise<OpportunityV1> {
    const audited = trail && ((tx: Queryable, row: OpportunityRow) => trail.inTransaction(tx, toOpportunity(row)));
    return toOpportunity((await this.repo.create(input, audited)).row);
  }

  async list(filter: OpportunityFilter, limit = 50, cursor?: string): Promise<Page<OpportunityV1>> {
    const rows = await this.repo.list(filter, limit + 1, checkedCursor(cursor, 'uuid'));
    const last = rows.length > limit ? rows[limit - 1] : undefined;
    return {
      items: rows.slice(0, limit).map(toOpportunity),
      nextCursor: last ? encodeCursor(last.created_at, last.id) : null,
    };
  }

  async get(id: string): Promise<OpportunityV1> {
    const row = await this.repo.get(id);
    if (!row) throw new NotFoundException(`opportunity ${id} not found`);
    return toOpportunity(row);
  }
}
