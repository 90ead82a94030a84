import type {
  CostRecordedV1,
  LedgerKind,
  LedgerPostedV1,
  LedgerTransactionViewV1,
  PostLedgerTransactionV1,
  RevenueRecordedV1,
} from '@juggernaut/contracts';
import { randomUUID } from 'node:crypto';
import { cashAccount, describeAccount, expenseAccount, revenueAccount } from '../accounts/chart-of-accounts';
import { LedgerError } from '../ledger-errors';

export interface EntryPosting {
  account: string;
  currency: string;
  /** Signed minor units: debits positive, credits negative. */
  amountMinor: number;
}

/** A transaction about to be posted: what the posting engine writes, and what `ledger.posted` announces. */
export interface JournalEntry {
  id: string;
  eventId: string;
  kind: LedgerKind;
  occurredAt: string;
  postings: EntryPosting[];
  description?: string | null;
  source?: string | null;
  experimentId?: string | null;
  variantKey?: string | null;
  unitId?: string | null;
  goalId?: string | null;
  taskId?: string | null;
  taskType?: string | null;
  opportunityId?: string | null;
  customerRef?: string | null;
  createdBy?: string | null;
  reverses?: string | null;
  /** A payment provider's refund, fee or dispute: the payment transaction it belongs to. */
  originalId?: string | null;
  /** A payment provider's id of what moved the money (a charge, refund, payout, dispute). */
  externalRef?: string | null;
  /** Headline amount of a revenue or cost event (positive). */
  amountMinor?: number;
  currency?: string;
}

/** Revenue received: cash up (debit), the source's revenue account up (credit). */
export function revenueEntry(e: RevenueRecordedV1): JournalEntry {
  return {
    id: randomUUID(),
    eventId: e.eventId,
    kind: 'revenue',
    occurredAt: e.occurredAt,
    postings: [
      { account: cashAccount(e.currency), currency: e.currency, amountMinor: e.amountMinor },
      { account: revenueAccount(e.source), currency: e.currency, amountMinor: -e.amountMinor },
    ],
    description: e.description ?? null,
    source: e.source,
    experimentId: e.experimentId ?? null,
    variantKey: e.variantKey ?? null,
    unitId: e.unitId ?? e.customerRef ?? null,
    goalId: e.goalId ?? null,
    opportunityId: e.opportunityId ?? null,
    customerRef: e.customerRef ?? null,
    amountMinor: e.amountMinor,
    currency: e.currency,
  };
}

/** Money spent: the category's expense account up (debit), cash down (credit). */
export function costEntry(e: CostRecordedV1): JournalEntry {
  return {
    id: randomUUID(),
    eventId: e.eventId,
    kind: 'cost',
    occurredAt: e.occurredAt,
    postings: [
      { account: expenseAccount(e.category), currency: e.currency, amountMinor: e.amountMinor },
      { account: cashAccount(e.currency), currency: e.currency, amountMinor: -e.amountMinor },
    ],
    description: e.description ?? null,
    source: e.category,
    experimentId: e.experimentId ?? null,
    goalId: e.goalId ?? null,
    taskId: e.taskId ?? null,
    taskType: e.taskType ?? null,
    createdBy: e.source,
    amountMinor: e.amountMinor,
    currency: e.currency,
  };
}

/** An adjusting entry written by an admin, checked to balance before it reaches the database. */
export function manualEntry(dto: PostLedgerTransactionV1, now = new Date()): JournalEntry {
  for (const p of dto.postings) describeAccount(p.account);
  assertBalanced(dto.postings);
  return {
    id: randomUUID(),
    eventId: `manual:${dto.idempotencyKey ?? randomUUID()}`,
    kind: 'manual',
    occurredAt: dto.occurredAt ?? now.toISOString(),
    postings: dto.postings.map((p) => ({ account: p.account, currency: p.currency, amountMinor: p.amountMinor })),
    description: dto.description,
    experimentId: dto.experimentId ?? null,
    variantKey: dto.variantKey ?? null,
    goalId: dto.goalId ?? null,
    taskId: dto.taskId ?? null,
    taskType: dto.taskType ?? null,
    createdBy: dto.createdBy ?? null,
  };
}

/**
 * The correction of a posted transaction: the same postings with the signs flipped, carrying the
 * original's attribution so reports by experiment, goal or task type net to zero.
 */
export function reversalEntry(
  original: LedgerTransactionViewV1,
  reason: string,
  createdBy: string | null,
  now = new Date(),
): JournalEntry {
  return {
    id: randomUUID(),
    eventId: `reversal:${original.id}`,
    kind: 'reversal',
    occurredAt: now.toISOString(),
    postings: original.postings.map((p) => ({ account: p.account, currency: p.currency, amountMinor: -p.amountMinor })),
    description: reason,
    source: original.source,
    experimentId: original.experimentId,
    variantKey: original.variantKey,
    goalId: original.goalId,
    taskId: original.taskId,
    taskType: original.taskType,
    createdBy,
    reverses: original.id,
  };
}

/** Two or more postings summing to zero in every currency; a transfer between currencies needs an exchange account leg in each. */
export function assertBalanced(postings: ReadonlyArray<{ currency: string; amountMinor: number }>): void {
  if (postings.length < 2) throw new LedgerError(400, 'postings: a transaction needs at least two postings');
  const sums = new Map<string, number>();
  for (const p of postings) {
    if (!Number.isSafeInteger(p.amountMinor) || p.amountMinor === 0) {
      throw new LedgerError(400, 'postings: every amountMinor must be a non-zero integer');
    }
    sums.set(p.currency, (sums.get(p.currency) ?? 0) + p.amountMinor);
  }
  const off = [...sums].filter(([, s]) => s !== 0);
  if (off.length > 0) {
    throw new LedgerError(
      400,
      `postings do not balance: ${off.map(([c, s]) => `${c} is off by ${s}`).join(', ')}; ` +
        'debits and credits must sum to zero in each currency (currencies never mix without an exchange posting in each)',
    );
  }
}

/** The `juggernaut.ledger.posted.v1` event of an entry. */
export function postedEvent(e: JournalEntry): LedgerPostedV1 {
  const event: LedgerPostedV1 = {
    transactionId: e.id,
    kind: e.kind,
    occurredAt: e.occurredAt,
    postings: e.postings.map((p) => ({ account: p.account, amountMinor: p.amountMinor, currency: p.currency })),
  };
  // Only the optional fields that have a value (one event per posted transaction: no temporaries).
  for (const k of POSTED_OPTIONAL) {
    const v = e[k];
    if (v !== null && v !== undefined) (event as unknown as Record<string, unknown>)[k] = v;
  }
  return event;
}

const POSTED_OPTIONAL = [
  'eventId',
  'source',
  'experimentId',
  'variantKey',
  'unitId',
  'goalId',
  'taskId',
  'taskType',
  'amountMinor',
  'currency',
  'reverses',
] as const satisfies ReadonlyArray<keyof JournalEntry & keyof LedgerPostedV1>;
