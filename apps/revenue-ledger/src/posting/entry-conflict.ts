import { type LedgerFieldDifference, ledgerConflictReason, ledgerConflictValue } from '@juggernaut/contracts';
import { LedgerError } from '../ledger-errors';
import type { EntryPosting, JournalEntry } from './journal-entry';

/** Attribution kept on a transaction: what reports group by, so it is part of what an entry is. */
const ATTRIBUTION = [
  'experimentId',
  'variantKey',
  'unitId',
  'goalId',
  'taskId',
  'taskType',
  'opportunityId',
  'customerRef',
] as const;

/** The fields of an entry that say what it is; the rest (description, occurredAt) only describe it. */
export type DefiningFields = Pick<
  JournalEntry,
  'kind' | 'postings' | 'source' | 'createdBy' | (typeof ATTRIBUTION)[number]
>;

/** A transaction as posted, to compare with an entry that arrives under its event id. */
export interface PostedEntry extends DefiningFields {
  id: string;
  eventId: string;
}

/**
 * The fields in which `received` differs from the entry posted under the same event id, named as
 * the event names them; empty when it is the same entry again. Compared: the kind, the money
 * (revenue and cost: `amountMinor`, `currency`, and the account they name, `source` for revenue,
 * `category` for cost, plus the reporting `source` of a cost; other entries: their postings), and
 * the attribution. Not compared: `description` and `occurredAt`, which a producer may restamp when it
 * sends the same event again.
 */
export function entryDifferences(posted: DefiningFields, received: DefiningFields): LedgerFieldDifference[] {
  const out: LedgerFieldDifference[] = [];
  const compare = (field: string, a: string | number | null | undefined, b: string | number | null | undefined) => {
    if ((a ?? null) !== (b ?? null))
      out.push({ field, posted: ledgerConflictValue(a), received: ledgerConflictValue(b) });
  };
  compare('kind', posted.kind, received.kind);
  if (received.kind === 'revenue' || received.kind === 'cost') {
    const [p, r] = [headline(posted.postings), headline(received.postings)];
    compare('amountMinor', p.amountMinor, r.amountMinor);
    compare('currency', p.currency, r.currency);
    // Across kinds, `source` means different things (an account, a reporter): the kind says enough.
    if (posted.kind === received.kind && received.kind === 'revenue') compare('source', posted.source, received.source);
    if (posted.kind === received.kind && received.kind === 'cost') {
      compare('category', posted.source, received.source);
      compare('source', posted.createdBy, received.createdBy);
    }
  } else {
    const [p, r] = [postingsText(posted.postings), postingsText(received.postings)];
    if (sorted(posted.postings) !== sorted(received.postings)) out.push({ field: 'postings', posted: p, received: r });
  }
  for (const f of ATTRIBUTION) compare(f, posted[f], received[f]);
  return out;
}

/** The 409 an entry gets when its event id was posted with other content (dead-lettered when it came as an event). */
export function conflictError(
  posted: PostedEntry,
  received: JournalEntry,
  differences: LedgerFieldDifference[],
): LedgerError {
  const manualKey =
    received.kind === 'manual' && received.eventId.startsWith('manual:')
      ? received.eventId.slice('manual:'.length)
      : undefined;
  return new LedgerError(
    409,
    ledgerConflictReason({
      eventId: received.eventId,
      transactionId: posted.id,
      differences,
      ...(manualKey !== undefined ? { idempotencyKey: manualKey } : {}),
    }),
  );
}

/** A revenue or cost event's amount and currency, read from its postings (the debit is the amount). */
function headline(postings: EntryPosting[]): { amountMinor: number | null; currency: string | null } {
  const debit = postings.find((p) => p.amountMinor > 0);
  return { amountMinor: debit?.amountMinor ?? null, currency: debit?.currency ?? null };
}

function postingsText(postings: EntryPosting[]): string {
  return `[${postings.map((p) => `${p.account} ${p.amountMinor} ${p.currency}`).join(', ')}]`;
}

/** Postings compared as a set of lines: the same lines in another order are the same entry. */
function sorted(postings: EntryPosting[]): string {
  return postings
    .map((p) => `${p.account}\u0000${p.currency}\u0000${p.amountMinor}`)
    .sort()
    .join('\u0001');
}
