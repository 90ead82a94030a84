import type { LedgerKind, ReconciliationItemV1, ReconciliationPostingV1 } from '@juggernaut/contracts';
import { paymentAccounts } from '../payments/payment-entries';
import { stripePaymentKey } from '../payments/stripe-event';

/** A Stripe balance transaction, as listed with `expand[]=data.source`. */
export interface BalanceTransaction {
  id: string;
  type: string;
  amount: number;
  fee: number;
  net: number;
  currency: string;
  created: number;
  source?: string | Record<string, unknown> | null;
}

/** One ledger entry a balance transaction calls for, with what it should do to the clearing account. */
export interface ExpectedEntry {
  eventId: string;
  kind: LedgerKind;
  /** Signed minor units on the clearing account, in `currency`. */
  clearingMinor: number;
  currency: string;
  ref: string;
  occurredAt: string;
  /** The entry to post if it is missing: the clearing leg and its counterpart. */
  postings: ReconciliationPostingV1[];
  description: string;
}

/** The ledger's clearing postings, summed per entry (event id) and currency. */
export interface LedgerClearing {
  eventId: string;
  kind: string;
  currency: string;
  clearingMinor: number;
  occurredAt: string;
  externalRef: string | null;
}

const sourceId = (s: BalanceTransaction['source']): string | undefined =>
  typeof s === 'string' ? s : typeof s?.['id'] === 'string' ? (s['id'] as string) : undefined;

/**
 * The entries one balance transaction should have in the ledger, under the keys the webhooks post
 * them with (payment-movement.ts): a charge is its payment (gross) and Stripe's fee; a refund, a
 * dispute's withdrawal or reinstatement, a payout or its failure are one entry each (and a fee when
 * Stripe took one). Anything else Stripe moved is one entry of its own (`stripe:other:<txn>`).
 */
export function expectedEntries(bt: BalanceTransaction, bankAccount: string): ExpectedEntry[] {
  const source = 'stripe';
  const currency = bt.currency.toUpperCase();
  const occurredAt = new Date(bt.created * 1000).toISOString();
  const clearing = paymentAccounts.clearing(source);
  const ref = sourceId(bt.source) ?? bt.id;
  const src = typeof bt.source === 'object' && bt.source ? bt.source : undefined;
  const entry = (
    eventId: string,
    kind: LedgerKind,
    amount: number,
    counter: string,
    description: string,
  ): ExpectedEntry => ({
    eventId,
    kind,
    clearingMinor: amount,
    currency,
    ref,
    occurredAt,
    description,
    postings: [
      { account: clearing, currency, amountMinor: amount },
      { account: counter, currency, amountMinor: -amount },
    ],
  });
  const fee =
    bt.fee > 0
      ? [entry(`${source}:fee:${bt.id}`, 'cost', -bt.fee, paymentAccounts.fees(source), `Stripe fee (${bt.id})`)]
      : [];
  const isDispute = ref.startsWith('dp_') || ref.startsWith('du_') || src?.['object'] === 'dispute';
  switch (bt.type) {
    case 'charge':
    case 'payment': {
      const key = (src ? stripePaymentKey(src) : undefined) ?? ref;
      return [
        entry(
          `${source}:payment:${key}`,
          'revenue',
          bt.amount,
          paymentAccounts.revenue(source),
          `Stripe payment ${ref}`,
        ),
        ...fee,
      ];
    }
    case 'refund':
    case 'payment_refund':
      return [
        entry(`${source}:refund:${ref}`, 'refund', bt.amount, paymentAccounts.revenue(source), `Stripe refund ${ref}`),
        ...fee,
      ];
    case 'payout':
      return [entry(`${source}:payout:${ref}`, 'payout', bt.amount, bankAccount, `Stripe payout ${ref}`), ...fee];
    case 'payout_failure':
    case 'payout_cancel':
      return [
        entry(`${source}:payout:${ref}:failed`, 'payout', bt.amount, bankAccount, `Stripe payout ${ref} failed`),
        ...fee,
      ];
    case 'adjustment':
    case 'dispute':
      if (isDispute) {
        const what = bt.amount < 0 ? 'opened' : 'won';
        return [
          entry(
            `${source}:dispute:${ref}:${what}`,
            'dispute',
            bt.amount,
            paymentAccounts.disputes(source),
            `Stripe dispute ${ref} ${what}`,
          ),
          ...fee,
        ];
      }
      break;
  }
  return [
    entry(`${source}:other:${bt.id}`, 'manual', bt.net, paymentAccounts.fees(source), `Stripe ${bt.type} ${bt.id}`),
  ];
}

export interface ReconciliationReport {
  missing: ReconciliationItemV1[];
  extra: ReconciliationItemV1[];
  mismatched: ReconciliationItemV1[];
  /** The entries a missing item would be posted as, by event id. */
  adjustments: ExpectedEntry[];
}

/**
 * Stripe's balance against the ledger's clearing account. `inPeriod` are the balance transactions
 * created in the period, `around` those of the period widened by a margin (an entry whose time is a
 * little off its balance transaction's is not extra), `ledger` the ledger's clearing postings by
 * entry: those for the expected entries, and those whose time is in the period.
 * - missing: an entry a balance transaction calls for that the ledger does not have (offered as an
 *   adjusting entry, never posted without approval);
 * - mismatched: the entry is there but moved the clearing account by another amount or currency;
 * - extra: an entry on the clearing account in the period that no balance transaction accounts for.
 */
export function reconcile(
  inPeriod: BalanceTransaction[],
  around: BalanceTransaction[],
  ledger: LedgerClearing[],
  period: { from: Date; to: Date },
  bankAccount: string,
): ReconciliationReport {
  const byEvent = new Map<string, LedgerClearing[]>();
  for (const l of ledger) byEvent.set(l.eventId, [...(byEvent.get(l.eventId) ?? []), l]);
  const report: ReconciliationReport = { missing: [], extra: [], mismatched: [], adjustments: [] };
  for (const bt of inPeriod) {
    for (const e of expectedEntries(bt, bankAccount)) {
      const rows = byEvent.get(e.eventId);
      const item = {
        balanceTransactionId: bt.id,
        type: bt.type,
        ref: e.ref,
        currency: e.currency,
        providerNetMinor: e.clearingMinor,
        eventIds: [e.eventId],
        occurredAt: e.occurredAt,
      };
      if (!rows) {
        report.missing.push({ ...item, suggestedPostings: e.postings });
        report.adjustments.push(e);
        continue;
      }
      const inCurrency = rows.filter((r) => r.currency === e.currency).reduce((a, r) => a + r.clearingMinor, 0);
      const otherCurrencies = rows.some((r) => r.currency !== e.currency && r.clearingMinor !== 0);
      if (inCurrency !== e.clearingMinor || otherCurrencies)
        report.mismatched.push({ ...item, ledgerNetMinor: inCurrency });
    }
  }
  const accounted = new Set(around.flatMap((bt) => expectedEntries(bt, bankAccount).map((e) => e.eventId)));
  const from = period.from.getTime();
  const to = period.to.getTime();
  for (const [eventId, rows] of byEvent) {
    if (accounted.has(eventId)) continue;
    for (const r of rows) {
      const t = Date.parse(r.occurredAt);
      if (t < from || t >= to || r.clearingMinor === 0) continue;
      report.extra.push({
        type: r.kind,
        ...(r.externalRef ? { ref: r.externalRef } : {}),
        currency: r.currency,
        ledgerNetMinor: r.clearingMinor,
        eventIds: [eventId],
        occurredAt: r.occurredAt,
      });
    }
  }
  return report;
}
