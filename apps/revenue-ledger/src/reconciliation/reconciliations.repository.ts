import { Injectable } from '@nestjs/common';
import {
  type AdjustmentStatus,
  type ListReconciliationsV1,
  type ReconciliationItemV1,
  type ReconciliationPageV1,
  type ReconciliationStatus,
  type ReconciliationV1,
  Subjects,
} from '@juggernaut/contracts';
import { decodeCursor, encodeCursor, enqueueEvent, type Narrow, SqlWhere } from '@juggernaut/persistence';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { LedgerError } from '../ledger-errors';
import type { ExpectedEntry, LedgerClearing, ReconciliationReport } from './reconcile';
import type { LedgerPostings, LedgerReconciliations, LedgerTransactions } from '../db/schema.generated';

type Row = Narrow<
  LedgerReconciliations,
  {
    status: ReconciliationStatus;
    missing: ReconciliationItemV1[];
    extra: ReconciliationItemV1[];
    mismatched: ReconciliationItemV1[];
    adjustment_status: AdjustmentStatus;
  }
>;

function view(r: Row): ReconciliationV1 {
  return {
    id: r.id,
    source: r.source,
    ...(r.task_id ? { taskId: r.task_id } : {}),
    from: r.period_from.toISOString(),
    to: r.period_to.toISOString(),
    status: r.status,
    balanceTransactions: r.balance_transactions,
    missing: r.missing,
    extra: r.extra,
    mismatched: r.mismatched,
    adjustment: {
      status: r.adjustment_status,
      ...(r.approval_id ? { approvalId: r.approval_id } : {}),
      ...(r.adjustment_transactions ? { transactionIds: r.adjustment_transactions } : {}),
    },
    createdAt: r.created_at.toISOString(),
  };
}

/** Reconciliations and the ledger's side of them (its clearing account, read by entry). */
@Injectable()
export class ReconciliationsRepository {
  constructor(private readonly db: DataSource) {}

  /**
   * The clearing postings, summed per entry and currency, of the entries named and of every entry
   * whose time is in [from, to).
   */
  async clearing(account: string, eventIds: string[], from: Date, to: Date): Promise<LedgerClearing[]> {
    const rows = (await this.db.query(
      `SELECT t.event_id, t.kind, t.external_ref, t.occurred_at, p.currency, sum(p.amount_minor)::text AS amount
       FROM ledger.transactions t
       JOIN ledger.postings p ON p.transaction_id = t.id
       JOIN ledger.accounts a ON a.id = p.account_id
       WHERE a.name = $1 AND (t.event_id = ANY($2::text[]) OR (t.occurred_at >= $3 AND t.occurred_at < $4))
       GROUP BY t.event_id, t.kind, t.external_ref, t.occurred_at, p.currency`,
      [account, eventIds, from, to],
    )) as Array<
      Pick<LedgerTransactions, 'event_id' | 'kind' | 'external_ref' | 'occurred_at'> &
        Pick<LedgerPostings, 'currency'> & { amount: string }
    >;
    return rows.map((r) => ({
      eventId: r.event_id,
      kind: r.kind,
      externalRef: r.external_ref,
      occurredAt: r.occurred_at.toISOString(),
      currency: r.currency,
      clearingMinor: Number(r.amount),
    }));
  }

  /**
   * Stores a reconciliation once per task (a task run again finds the one it made) and announces it
   * (`ledger.reconciled`, through the outbox in the same transaction).
   */
  async save(
    source: string,
    taskId: string | null,
    period: { from: Date; to: Date },
    listed: number,
    report: ReconciliationReport,
  ): Promise<{ view: ReconciliationV1; adjustments: ExpectedEntry[] }> {
    return this.db.transaction(async (em) => {
      if (taskId) {
        const [existing] = (await em.query(`SELECT * FROM ledger.reconciliations WHERE task_id = $1`, [
          taskId,
        ])) as Row[];
        if (existing) return { view: view(existing), adjustments: await this.adjustmentsOf(existing) };
      }
      const status: ReconciliationStatus =
        report.missing.length + report.extra.length + report.mismatched.length > 0 ? 'differences' : 'clean';
      const [row] = (await em.query(
        `INSERT INTO ledger.reconciliations (id, source, task_id, period_from, period_to, status, balance_transactions, missing, extra, mismatched)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9::jsonb, $10::jsonb) RETURNING *`,
        [
          randomUUID(),
          source,
          taskId,
          period.from,
          period.to,
          status,
          listed,
          JSON.stringify(report.missing),
          JSON.stringify(report.extra),
          JSON.stringify(report.mismatched),
        ],
      )) as Row[];
      await enqueueEvent(em, 'ledger', Subjects.ledgerReconciled, {
        reconciliationId: row!.id,
        source,
        status,
        from: period.from.toISOString(),
        to: period.to.toISOString(),
        missing: report.missing.length,
        extra: report.extra.length,
        mismatched: report.mismatched.length,
        at: new Date().toISOString(),
      });
      return { view: view(row!), adjustments: report.adjustments };
    });
  }

  /** The adjusting entries a stored reconciliation offers: its missing items, as they would be posted. */
  async adjustmentsOf(r: Pick<Row, 'missing'>): Promise<ExpectedEntry[]> {
    return r.missing
      .filter((m) => m.suggestedPostings?.length)
      .map((m) => ({
        eventId: m.eventIds[0]!,
        kind: kindOf(m.eventIds[0]!),
        clearingMinor: m.providerNetMinor ?? 0,
        currency: m.currency,
        ref: m.ref ?? m.balanceTransactionId ?? '',
        occurredAt: m.occurredAt ?? new Date().toISOString(),
        postings: m.suggestedPostings!,
        description: `Stripe ${m.type} ${m.ref ?? m.balanceTransactionId} (reconciliation)`,
      }));
  }

  async setAdjustment(
    id: string,
    status: AdjustmentStatus,
    approvalId?: string,
    transactionIds?: string[],
  ): Promise<void> {
    await this.db.query(
      `UPDATE ledger.reconciliations SET adjustment_status = $2, approval_id = coalesce($3, approval_id), adjustment_transactions = coalesce($4, adjustment_transactions) WHERE id = $1`,
      [id, status, approvalId ?? null, transactionIds ?? null],
    );
  }

  /** The adjustment a rejected or expired approval was for will not be posted. */
  async rejectByApproval(approvalId: string): Promise<void> {
    await this.db.query(
      `UPDATE ledger.reconciliations SET adjustment_status = 'rejected' WHERE approval_id = $1 AND adjustment_status = 'awaiting_approval'`,
      [approvalId],
    );
  }

  async get(id: string): Promise<ReconciliationV1> {
    const [row] = (await this.db.query(`SELECT * FROM ledger.reconciliations WHERE id = $1`, [id])) as Row[];
    if (!row) throw new LedgerError(404, `reconciliation ${id} not found`);
    return view(row);
  }

  async raw(id: string): Promise<Row | undefined> {
    return ((await this.db.query(`SELECT * FROM ledger.reconciliations WHERE id = $1`, [id])) as Row[])[0];
  }

  /** Newest first, keyset-paginated on the sequence. */
  async list(q: ListReconciliationsV1): Promise<ReconciliationPageV1> {
    const limit = q.limit ?? 50;
    const after = decodeCursor(q.cursor, 'bigint');
    const where = new SqlWhere();
    if (q.source) where.add('source = ?', q.source);
    if (q.status) where.add('status = ?', q.status);
    if (after) where.add('seq < ?::bigint', after.id);
    const rows = (await this.db.query(
      `SELECT * FROM ledger.reconciliations ${where.clause} ORDER BY seq DESC LIMIT ${where.bind(limit + 1)}`,
      where.params,
    )) as Row[];
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      items: page.map(view),
      nextCursor: rows.length > limit && last ? encodeCursor(last.created_at, last.seq) : null,
    };
  }
}

function kindOf(eventId: string): ExpectedEntry['kind'] {
  const part = eventId.split(':')[1];
  return part === 'payment'
    ? 'revenue'
    : part === 'fee'
      ? 'cost'
      : part === 'refund'
        ? 'refund'
        : part === 'dispute'
          ? 'dispute'
          : part === 'payout'
            ? 'payout'
            : 'manual';
}
