import { Injectable } from '@nestjs/common';
import { type CreateOpportunityDto, type OpportunityV1, Subjects } from '@juggernaut/contracts';
import { currentCorrelationId } from '@juggernaut/observability';
import { type Cursor, enqueueEvent, type Queryable, SqlWhere } from '@juggernaut/persistence';
import { DataSource } from 'typeorm';
import type { GovernanceOpportunities } from '../db/schema.generated';

export type OpportunityRow = GovernanceOpportunities;

export interface OpportunityFilter {
  opportunityType?: string;
  category?: string;
  status?: string;
  minConfidence?: number;
}

export function toOpportunity(r: OpportunityRow): OpportunityV1 {
  return {
    id: r.id,
    opportunityType: r.opportunity_type,
    category: r.category,
    description: r.description,
    estimatedValueMinor: Number(r.estimated_value_minor),
    currency: r.currency,
    confidenceScore: Number(r.confidence_score),
    ...(r.source !== null ? { source: r.source } : {}),
    ...(r.dedupe_key !== null ? { dedupeKey: r.dedupe_key } : {}),
    ...(r.worker_id !== null ? { workerId: r.worker_id } : {}),
    ...(r.task_id !== null ? { taskId: r.task_id } : {}),
    status: r.status,
    createdAt: r.created_at.toISOString(),
  };
}

@Injectable()
export class OpportunitiesRepository {
  constructor(private readonly db: DataSource) {}

  /**
   * Inserts an opportunity and its `opportunity.created` event in one transaction. A repeated
   * dedupe key returns the existing row and announces nothing. `alsoInTx` runs last in the same
   * transaction (the audit entry of an HTTP call): if it fails, nothing is stored.
   */
  async create(
    input: CreateOpportunityDto,
    alsoInTx?: (tx: Queryable, row: OpportunityRow) => Promise<void>,
  ): Promise<{ row: OpportunityRow; created: boolean }> {
    return this.db.transaction(async (em) => {
      const result = await this.insertOrFind(em, input);
      await alsoInTx?.(em, result.row);
      return result;
    });
  }

  private async insertOrFind(
    em: Queryable,
    input: CreateOpportunityDto,
  ): Promise<{ row: OpportunityRow; created: boolean }> {
    const inserted = (await em.query(
      `INSERT INTO governance.opportunities
         (opportunity_type, category, description, estimated_value_minor, currency, confidence_score, source, dedupe_key, worker_id, task_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
       ON CONFLICT (dedupe_key) DO NOTHING RETURNING *`,
      [
        input.opportunityType,
        input.category,
        input.description,
        input.estimatedValueMinor,
        input.currency ?? 'USD',
        input.confidenceScore,
        input.source ?? null,
        input.dedupeKey ?? null,
        input.workerId ?? null,
        input.taskId ?? null,
      ],
    )) as OpportunityRow[];
    if (inserted[0]) {
      await enqueueEvent(
        em,
        'governance',
        Subjects.opportunityCreated,
        toOpportunity(inserted[0]),
        currentCorrelationId(),
      );
      return { row: inserted[0], created: true };
    }
    const existing = (await em.query(`SELECT * FROM governance.opportunities WHERE dedupe_key = $1`, [
      input.dedupeKey,
    ])) as OpportunityRow[];
    return { row: existing[0]!, created: false };
  }

  async list(filter: OpportunityFilter, limit: number, after?: Cursor): Promise<OpportunityRow[]> {
    const where = new SqlWhere();
    if (filter.opportunityType) where.add('opportunity_type = ?', filter.opportunityType);
    if (filter.category) where.add('category = ?', filter.category);
    if (filter.status) where.add('status = ?', filter.status);
    if (filter.minConfidence !== undefined) where.add('confidence_score >= ?', filter.minConfidence);
    if (after) where.add('(created_at, id) < (?::timestamptz, ?::uuid)', after.at, after.id);
    return this.db.query(
      `SELECT * FROM governance.opportunities ${where.clause}
       ORDER BY created_at DESC, id DESC LIMIT ${where.bind(limit)}`,
      where.params,
    );
  }

  async get(id: string): Promise<OpportunityRow | undefined> {
    const rows: OpportunityRow[] = await this.db.query(`SELECT * FROM governance.opportunities WHERE id = $1`, [id]);
    return rows[0];
  }
}
