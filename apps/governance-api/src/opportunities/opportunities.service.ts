import { Injectable, NotFoundException } from '@nestjs/common';
import type { CreateOpportunityDto, OpportunityV1, Page } from '@juggernaut/contracts';
import { encodeCursor } from '@juggernaut/persistence';
import { checkedCursor } from '../http/checked-cursor';
import { OpportunitiesRepository, type OpportunityFilter, toOpportunity } from './opportunities.repository';

@Injectable()
export class OpportunitiesService {
  constructor(private readonly repo: OpportunitiesRepository) {}

  async create(input: CreateOpportunityDto): Promise<OpportunityV1> {
    return toOpportunity((await this.repo.create(input)).row);
  }

  async list(filter: OpportunityFilter, limit = 50, cursor?: string): Promise<Page<OpportunityV1>> {
    const rows = await this.repo.list(filter, limit + 1, checkedCursor(cursor, 'uuid'));
    const last = rows.length > limit ? rows[limit - 1] : undefined;
    return { items: rows.slice(0, limit).map(toOpportunity), nextCursor: last ? encodeCursor(last.created_at, last.id) : null };
  }

  async get(id: string): Promise<OpportunityV1> {
    const row = await this.repo.get(id);
    if (!row) throw new NotFoundException(`opportunity ${id} not found`);
    return toOpportunity(row);
  }
}
