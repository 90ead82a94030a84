import { Injectable } from '@nestjs/common';
import { Subjects } from '@juggernaut/contracts';
import { enqueueEvents, type Queryable } from '@juggernaut/persistence';
import type { Account } from '../accounts/accounts.repository';
import { type JournalEntry, postedEvent } from './journal-entry';

/**
 * The one place ledger transactions are written. A batch of entries goes in with one statement per
 * table (transactions, postings, outbox), inside the caller's database transaction:
 * - `event_id` is unique and inserted with ON CONFLICT DO NOTHING, so an event seen before is skipped
 *   and only the transactions actually inserted get postings, balance changes and an outbox event;
 * - the postings insert moves the kept balances (a statement trigger sums the batch per account and
 *   currency and applies it in a fixed order, see the migration), and the database checks at commit
 *   that every transaction balances.
 */
@Injectable()
export class PostingRepository {
  /** Writes the entries; returns the ids of those inserted (the others were already posted). */
  async insert(db: Queryable, entries: JournalEntry[], accounts: Map<string, Account>, correlationId?: string): Promise<Set<string>> {
    if (entries.length === 0) return new Set();
    const col = <K extends keyof JournalEntry>(k: K) => entries.map((e) => e[k] ?? null);
    const inserted = (await db.query(
      `INSERT INTO ledger.transactions (id, event_id, kind, occurred_at, description, source, experiment_id, variant_key, unit_id,
          goal_id, task_id, task_type, opportunity_id, customer_ref, created_by, reverses)
       SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::timestamptz[], $5::text[], $6::text[], $7::text[], $8::text[],
          $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::text[], $15::text[], $16::uuid[])
       ON CONFLICT (event_id) DO NOTHING
       RETURNING id`,
      [
        col('id'), col('eventId'), col('kind'), col('occurredAt'), col('description'), col('source'), col('experimentId'),
        col('variantKey'), col('unitId'), col('goalId'), col('taskId'), col('taskType'), col('opportunityId'),
        col('customerRef'), col('createdBy'), col('reverses'),
      ],
    )) as Array<{ id: string }>;
    const ids = new Set(inserted.map((r) => r.id));
    if (ids.size === 0) return ids;
    const posted = entries.filter((e) => ids.has(e.id));

    const txIds: string[] = [];
    const accountIds: string[] = [];
    const currencies: string[] = [];
    const amounts: string[] = [];
    const times: string[] = [];
    for (const e of posted) {
      for (const p of e.postings) {
        const account = accounts.get(p.account)!;
        txIds.push(e.id);
        accountIds.push(account.id);
        currencies.push(p.currency);
        amounts.push(String(p.amountMinor));
        times.push(e.occurredAt);
      }
    }
    await db.query(
      `INSERT INTO ledger.postings (transaction_id, account_id, currency, amount_minor, occurred_at)
       SELECT * FROM unnest($1::uuid[], $2::bigint[], $3::text[], $4::bigint[], $5::timestamptz[])`,
      [txIds, accountIds, currencies, amounts, times],
    );

    await enqueueEvents(db, 'ledger', posted.map((e) => ({
      subject: Subjects.ledgerPosted, payload: postedEvent(e), ...(correlationId ? { correlationId } : {}),
    })));
    return ids;
  }
}
