import { Injectable } from '@nestjs/common';
import type {
  LedgerKind,
  LedgerTransactionPageV1,
  LedgerTransactionViewV1,
  ListLedgerTransactionsV1,
} from '@juggernaut/contracts';
import { decodeCursor, encodeCursor, type Narrow, SqlWhere } from '@juggernaut/persistence';
import { DataSource } from 'typeorm';
import type { LedgerTransactions } from '../db/schema.generated';

type TransactionRow = Narrow<
  Pick<
    LedgerTransactions,
    | 'id'
    | 'seq'
    | 'event_id'
    | 'kind'
    | 'occurred_at'
    | 'posted_at'
    | 'description'
    | 'source'
    | 'experiment_id'
    | 'variant_key'
    | 'goal_id'
    | 'task_id'
    | 'task_type'
    | 'created_by'
    | 'reverses'
    | 'original_id'
    | 'external_ref'
  >,
  { kind: LedgerKind }
> & {
  reversed_by: string | null;
  postings: Array<{ account: string; amountMinor: number | string; currency: string }>;
};

const SELECT_VIEW = `
  SELECT t.*, r.id AS reversed_by,
         (SELECT json_agg(json_build_object('account', a.name, 'amountMinor', p.amount_minor, 'currency', p.currency) ORDER BY p.id)
          FROM ledger.postings p JOIN ledger.accounts a ON a.id = p.account_id WHERE p.transaction_id = t.id) AS postings
  FROM ledger.transactions t LEFT JOIN ledger.transactions r ON r.reverses = t.id`;

/** Reading posted transactions with their postings (writing is posting/, and only there). */
@Injectable()
export class TransactionsRepository {
  constructor(private readonly db: DataSource) {}

  async get(id: string): Promise<LedgerTransactionViewV1 | undefined> {
    const rows = (await this.db.query(`${SELECT_VIEW} WHERE t.id = $1`, [id])) as TransactionRow[];
    return rows[0] ? view(rows[0]) : undefined;
  }

  async getByEventId(eventId: string): Promise<LedgerTransactionViewV1 | undefined> {
    const rows = (await this.db.query(`${SELECT_VIEW} WHERE t.event_id = $1`, [eventId])) as TransactionRow[];
    return rows[0] ? view(rows[0]) : undefined;
  }

  /** Newest first, keyset-paginated on the posting sequence. */
  async list(q: ListLedgerTransactionsV1): Promise<LedgerTransactionPageV1> {
    const limit = q.limit ?? 50;
    // A cursor that is not one this list made (its id is the posting sequence) is a 400, never an empty page.
    const after = decodeCursor(q.cursor, 'bigint');
    const where = new SqlWhere();
    if (q.kind) where.add('t.kind = ?', q.kind);
    if (q.experimentId) where.add('t.experiment_id = ?', q.experimentId);
    if (q.goalId) where.add('t.goal_id = ?', q.goalId);
    if (q.taskId) where.add('t.task_id = ?', q.taskId);
    if (q.eventId) where.add('t.event_id = ?', q.eventId);
    if (q.account) {
      where.add(
        `EXISTS (SELECT 1 FROM ledger.postings p JOIN ledger.accounts a ON a.id = p.account_id
                   WHERE p.transaction_id = t.id AND (a.name = ? OR a.name LIKE ?))`,
        q.account,
        `${q.account.replace(/[\\%_]/g, (c) => `\\${c}`)}:%`,
      );
    }
    if (after) where.add('t.seq < ?::bigint', after.id);
    const rows = (await this.db.query(
      `${SELECT_VIEW} ${where.clause} ORDER BY t.seq DESC LIMIT ${where.bind(limit + 1)}`,
      where.params,
    )) as TransactionRow[];
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      items: page.map(view),
      nextCursor: rows.length > limit && last ? encodeCursor(last.posted_at, last.seq) : null,
    };
  }
}

function view(r: TransactionRow): LedgerTransactionViewV1 {
  return {
    id: r.id,
    eventId: r.event_id,
    kind: r.kind,
    occurredAt: r.occurred_at.toISOString(),
    postedAt: r.posted_at.toISOString(),
    description: r.description,
    source: r.source,
    experimentId: r.experiment_id,
    variantKey: r.variant_key,
    goalId: r.goal_id,
    taskId: r.task_id,
    taskType: r.task_type,
    createdBy: r.created_by,
    reverses: r.reverses,
    reversedBy: r.reversed_by,
    originalId: r.original_id,
    externalRef: r.external_ref,
    postings: (r.postings ?? []).map((p) => ({
      account: p.account,
      amountMinor: Number(p.amountMinor),
      currency: p.currency,
    })),
  };
}
