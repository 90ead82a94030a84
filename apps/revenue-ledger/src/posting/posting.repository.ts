import { Injectable } from '@nestjs/common';
import { Subjects } from '@juggernaut/contracts';
import { enqueueEvents, type Queryable } from '@juggernaut/persistence';
import type { Account } from '../accounts/accounts.repository';
import type { PostedEntry } from './entry-conflict';
import { type JournalEntry, postedEvent } from './journal-entry';
import type { LedgerTransactions } from '../db/schema.generated';

/**
 * The one place ledger transactions are written. A batch of entries goes in with one statement per
 * table (transactions, postings, outbox), inside the caller's database transaction:
 * - `event_id` is unique and inserted with ON CONFLICT DO NOTHING, so an event seen before is skipped
 *   and only the transactions actually inserted get postings, balance changes and an outbox event;
 * - the postings insert moves the kept balances (a statement trigger sums the batch per account and
 *   currency and applies it in a fixed order, see the migration), and the database checks at commit
 *   that every transaction balances.
 * The entries skipped as seen before are compared with what was posted (`posted`), one query for all
 * of them, so a batch without repeats pays nothing for it.
 */
/** The journal entry fields stored on a transaction row (JSON.stringify keeps only these). */
const TRANSACTION_FIELDS: Array<keyof JournalEntry> = [
  'id',
  'eventId',
  'kind',
  'occurredAt',
  'description',
  'source',
  'experimentId',
  'variantKey',
  'unitId',
  'goalId',
  'taskId',
  'taskType',
  'opportunityId',
  'customerRef',
  'createdBy',
  'reverses',
  'originalId',
  'externalRef',
];

@Injectable()
export class PostingRepository {
  /** Writes the entries; returns the ids of those inserted (the others were already posted). */
  async insert(
    db: Queryable,
    entries: JournalEntry[],
    accounts: Map<string, Account>,
    correlationId?: string,
  ): Promise<Set<string>> {
    if (entries.length === 0) return new Set();
    // Rows go as one JSON array per table: serialised natively in one call, where array parameters
    // were built and escaped element by element (the largest allocation of the ingestion path).
    const inserted = (await db.query(
      `INSERT INTO ledger.transactions (id, event_id, kind, occurred_at, description, source, experiment_id, variant_key, unit_id,
          goal_id, task_id, task_type, opportunity_id, customer_ref, created_by, reverses, original_id, external_ref)
       SELECT id, "eventId", kind, "occurredAt", description, source, "experimentId", "variantKey", "unitId",
          "goalId", "taskId", "taskType", "opportunityId", "customerRef", "createdBy", reverses, "originalId", "externalRef"
       FROM json_to_recordset($1::json) AS t(id uuid, "eventId" text, kind text, "occurredAt" timestamptz, description text,
          source text, "experimentId" text, "variantKey" text, "unitId" text, "goalId" text, "taskId" text, "taskType" text,
          "opportunityId" text, "customerRef" text, "createdBy" text, reverses uuid, "originalId" uuid, "externalRef" text)
       ON CONFLICT (event_id) DO NOTHING
       RETURNING id`,
      [JSON.stringify(entries, TRANSACTION_FIELDS)],
    )) as Array<Pick<LedgerTransactions, 'id'>>;
    const ids = new Set(inserted.map((r) => r.id));
    if (ids.size === 0) return ids;
    const posted = entries.filter((e) => ids.has(e.id));
    // The announcements go in before the postings: the postings statement takes the balance rows'
    // locks, which are held until commit, so the less that follows it the sooner the next batch can post.
    await enqueueEvents(
      db,
      'ledger',
      posted.map((e) => ({
        subject: Subjects.ledgerPosted,
        payload: postedEvent(e),
        ...(correlationId ? { correlationId } : {}),
      })),
    );

    const postings: Array<{ t: string; a: string; c: string; m: number; o: string }> = [];
    for (const e of posted) {
      for (const p of e.postings)
        postings.push({ t: e.id, a: accounts.get(p.account)!.id, c: p.currency, m: p.amountMinor, o: e.occurredAt });
    }
    await db.query(
      `INSERT INTO ledger.postings (transaction_id, account_id, currency, amount_minor, occurred_at)
       SELECT t, a, c, m, o FROM json_to_recordset($1::json) AS p(t uuid, a bigint, c text, m bigint, o timestamptz)`,
      [JSON.stringify(postings)],
    );
    return ids;
  }

  /** The transactions posted under these event ids, with their postings, by event id. */
  async posted(db: Queryable, eventIds: string[]): Promise<Map<string, PostedEntry>> {
    const rows = (await db.query(
      `SELECT t.id, t.event_id AS "eventId", t.kind, t.source, t.created_by AS "createdBy", t.experiment_id AS "experimentId",
          t.variant_key AS "variantKey", t.unit_id AS "unitId", t.goal_id AS "goalId", t.task_id AS "taskId", t.task_type AS "taskType",
          t.opportunity_id AS "opportunityId", t.customer_ref AS "customerRef",
          (SELECT json_agg(json_build_object('account', a.name, 'currency', p.currency, 'amountMinor', p.amount_minor) ORDER BY p.id)
           FROM ledger.postings p JOIN ledger.accounts a ON a.id = p.account_id WHERE p.transaction_id = t.id) AS postings
       FROM ledger.transactions t WHERE t.event_id = ANY($1::text[])`,
      [eventIds],
    )) as PostedEntry[];
    return new Map(
      rows.map((r) => [
        r.eventId,
        { ...r, postings: (r.postings ?? []).map((p) => ({ ...p, amountMinor: Number(p.amountMinor) })) },
      ]),
    );
  }
}
