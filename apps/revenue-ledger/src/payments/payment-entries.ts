import { randomUUID } from 'node:crypto';
import { revenueAccount } from '../accounts/chart-of-accounts';
import type { EntryPosting, JournalEntry } from '../posting/journal-entry';
import { ATTRIBUTION_FIELDS, type Attribution, entryKey, type Movement } from './payment-movement';

/** The accounts a payment source's money moves through (docs/payments.md). */
export const paymentAccounts = {
  clearing: (source: string) => `assets:clearing:${source}`,
  disputes: (source: string) => `assets:disputes:${source}`,
  fees: (source: string) => `expense:payment-fees:${source}`,
  revenue: (source: string, product?: string) => revenueAccount(product ? `${source}:${product}` : source),
  exchange: 'equity:exchange',
};

/** Account prefixes the payment entries create on first use, whatever LEDGER_AUTO_CREATE says: they are the ledger's own. */
export function paymentAccountPrefixes(bankAccount: string): string[] {
  return ['assets:clearing', 'assets:disputes', 'expense:payment-fees', 'revenue', 'equity:exchange', bankAccount];
}

/** A posted transaction an entry builds on: the payment a refund belongs to, the hold a dispute ends, the payout that failed. */
export interface PostedOriginal extends Attribution {
  id: string;
  eventId: string;
  postings: EntryPosting[];
}

export class PaymentEntryError extends Error {}

/**
 * One side on revenue (in the currency the customer paid), the other on a balance-side account (in
 * the currency that reached the provider's balance): when the two differ, the difference in
 * currency goes through `equity:exchange`, one leg in each, so every currency balances.
 */
function across(
  revenueSide: { account: string; currency: string; amountMinor: number },
  cashSide: { account: string; currency: string; amountMinor: number },
): EntryPosting[] {
  if (revenueSide.currency === cashSide.currency) {
    if (revenueSide.amountMinor + cashSide.amountMinor !== 0)
      throw new PaymentEntryError('sides of one currency must be equal');
    return [cashSide, revenueSide];
  }
  return [
    cashSide,
    { account: paymentAccounts.exchange, currency: cashSide.currency, amountMinor: -cashSide.amountMinor },
    { account: paymentAccounts.exchange, currency: revenueSide.currency, amountMinor: -revenueSide.amountMinor },
    revenueSide,
  ];
}

/** The payment's revenue posting (a credit to a revenue account) and what reached the balance for it. */
function paymentSides(payment: PostedOriginal, source: string): { revenue: EntryPosting; cash: EntryPosting } {
  const revenue = payment.postings.find((p) => p.account.startsWith('revenue:') && p.amountMinor < 0);
  const cash = payment.postings.find((p) => p.account === paymentAccounts.clearing(source) && p.amountMinor > 0);
  if (!revenue || !cash) throw new PaymentEntryError(`transaction ${payment.id} is not a ${source} payment`);
  return { revenue, cash };
}

/**
 * What a part of the payment (`part` of its revenue, in the customer's currency) was on the
 * balance: the movement's own settlement when the provider said, else the same share of what the
 * payment settled at (exact integer arithmetic, rounded half up).
 */
function settledPart(payment: PostedOriginal, source: string, m: Movement): { currency: string; amountMinor: number } {
  if (m.settlement) return m.settlement;
  const { revenue, cash } = paymentSides(payment, source);
  if (revenue.currency !== m.currency)
    throw new PaymentEntryError(`${m.kind} ${m.ref} is in ${m.currency}, its payment in ${revenue.currency}`);
  if (cash.currency === revenue.currency) return { currency: m.currency, amountMinor: m.amountMinor };
  const num = BigInt(cash.amountMinor) * BigInt(m.amountMinor) * 2n + BigInt(-revenue.amountMinor);
  return { currency: cash.currency, amountMinor: Number(num / (2n * BigInt(-revenue.amountMinor))) };
}

function attributionOf(x: Attribution): Attribution {
  const out: Attribution = {};
  for (const f of ATTRIBUTION_FIELDS) if (x[f]) out[f] = x[f];
  return out;
}

function base(
  source: string,
  m: Movement,
  kind: JournalEntry['kind'],
  attribution: Attribution,
  originalId: string | null,
): JournalEntry {
  const who = attributionOf(attribution);
  return {
    id: randomUUID(),
    eventId: entryKey(source, m),
    kind,
    occurredAt: m.occurredAt,
    postings: [],
    description: m.description ?? `${source} ${m.kind.replace('_', ' ')} ${m.ref}`,
    externalRef: m.ref,
    originalId,
    experimentId: who.experimentId ?? null,
    variantKey: who.variantKey ?? null,
    unitId: who.unitId ?? who.customerRef ?? null,
    goalId: who.goalId ?? null,
    opportunityId: who.opportunityId ?? null,
    customerRef: who.customerRef ?? null,
    createdBy: source,
  };
}

/**
 * The journal entry of a movement. `requires` holds the posted transactions its `requiredKeys` name
 * (the payment for a refund, fee or dispute; the hold for a dispute's end; the payout for its failure).
 */
export function paymentEntry(
  source: string,
  m: Movement,
  requires: Map<string, PostedOriginal>,
  bankAccount: string,
): JournalEntry {
  const payment = m.paymentRef ? requires.get(`${source}:payment:${m.paymentRef}`) : undefined;
  const clearing = paymentAccounts.clearing(source);
  switch (m.kind) {
    case 'payment': {
      const cash = m.settlement ?? { currency: m.currency, amountMinor: m.amountMinor };
      const revenue = paymentAccounts.revenue(source, m.product);
      return {
        ...base(source, m, 'revenue', m, null),
        source: revenue.slice('revenue:'.length),
        amountMinor: m.amountMinor,
        currency: m.currency,
        postings: across(
          { account: revenue, currency: m.currency, amountMinor: -m.amountMinor },
          { account: clearing, ...cash },
        ),
      };
    }
    case 'fee':
      return {
        ...base(source, m, 'cost', payment ?? m, payment?.id ?? null),
        source: `payment-fees:${source}`,
        amountMinor: m.amountMinor,
        currency: m.currency,
        postings: [
          { account: paymentAccounts.fees(source), currency: m.currency, amountMinor: m.amountMinor },
          { account: clearing, currency: m.currency, amountMinor: -m.amountMinor },
        ],
      };
    case 'refund': {
      if (!payment) throw new PaymentEntryError(`refund ${m.ref} has no payment`);
      const { revenue } = paymentSides(payment, source);
      const settled = settledPart(payment, source, m);
      return {
        ...base(source, m, 'refund', payment, payment.id),
        source: revenue.account.slice('revenue:'.length),
        amountMinor: m.amountMinor,
        currency: m.currency,
        postings: across(
          { account: revenue.account, currency: m.currency, amountMinor: m.amountMinor },
          { account: clearing, currency: settled.currency, amountMinor: -settled.amountMinor },
        ),
      };
    }
    case 'dispute_opened': {
      if (!payment) throw new PaymentEntryError(`dispute ${m.ref} has no payment`);
      const held = settledPart(payment, source, m);
      return {
        ...base(source, m, 'dispute', payment, payment.id),
        postings: [
          { account: paymentAccounts.disputes(source), currency: held.currency, amountMinor: held.amountMinor },
          { account: clearing, currency: held.currency, amountMinor: -held.amountMinor },
        ],
      };
    }
    case 'dispute_won':
    case 'dispute_lost': {
      const hold = requires.get(`${source}:dispute:${m.ref}:opened`);
      if (!payment || !hold) throw new PaymentEntryError(`dispute ${m.ref} was not opened`);
      const held = hold.postings.find((p) => p.account === paymentAccounts.disputes(source) && p.amountMinor > 0)!;
      if (m.kind === 'dispute_won') {
        return {
          ...base(source, m, 'dispute', payment, payment.id),
          postings: [
            { account: clearing, currency: held.currency, amountMinor: held.amountMinor },
            { ...held, amountMinor: -held.amountMinor },
          ],
        };
      }
      const { revenue } = paymentSides(payment, source);
      return {
        ...base(source, m, 'dispute', payment, payment.id),
        source: revenue.account.slice('revenue:'.length),
        postings: across(
          { account: revenue.account, currency: m.currency, amountMinor: m.amountMinor },
          { ...held, amountMinor: -held.amountMinor },
        ),
      };
    }
    case 'payout':
      return {
        ...base(source, m, 'payout', {}, null),
        postings: [
          { account: bankAccount, currency: m.currency, amountMinor: m.amountMinor },
          { account: clearing, currency: m.currency, amountMinor: -m.amountMinor },
        ],
      };
    case 'payout_failed': {
      const payout = requires.get(`${source}:payout:${m.ref}`);
      if (!payout) throw new PaymentEntryError(`payout ${m.ref} was not posted`);
      return {
        ...base(source, m, 'payout', {}, payout.id),
        postings: payout.postings.map((p) => ({ ...p, amountMinor: -p.amountMinor })),
      };
    }
  }
}
