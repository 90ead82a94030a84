import type { LedgerPostedV1 } from '@juggernaut/contracts';

export interface LedgerAmount {
  kind: 'revenue' | 'cost';
  currency: string;
  /** Signed minor units: a reversal of revenue is negative revenue. */
  amountMinor: number;
}

const REVENUE_ROOTS = new Set(['revenue', 'revenues', 'income']);
const COST_ROOTS = new Set(['expenses', 'expense', 'costs', 'cost']);

/**
 * What a ledger transaction means for an experiment, read from its postings (debits positive,
 * credits negative): revenue is what was credited to revenue accounts (`revenue:*`), cost what was
 * debited to expense accounts (`expenses:*`), per currency. Reading the postings, not the kind, makes
 * reversals and manual corrections count with their sign. A transaction of kind revenue or cost
 * whose accounts follow no such naming counts its debits as the amount.
 */
export function ledgerAmounts(event: Pick<LedgerPostedV1, 'kind' | 'postings'>): LedgerAmount[] {
  const totals = new Map<string, LedgerAmount>();
  const add = (kind: 'revenue' | 'cost', currency: string, amount: number) => {
    const key = `${kind}:${currency}`;
    const cur = totals.get(key) ?? { kind, currency, amountMinor: 0 };
    cur.amountMinor += amount;
    totals.set(key, cur);
  };
  let classified = false;
  for (const p of event.postings) {
    const root = String(p.account).split(':')[0]!.toLowerCase();
    if (REVENUE_ROOTS.has(root)) {
      add('revenue', p.currency, -p.amountMinor);
      classified = true;
    } else if (COST_ROOTS.has(root)) {
      add('cost', p.currency, p.amountMinor);
      classified = true;
    }
  }
  if (!classified && (event.kind === 'revenue' || event.kind === 'cost')) {
    for (const p of event.postings) if (p.amountMinor > 0) add(event.kind, p.currency, p.amountMinor);
  }
  return [...totals.values()].filter((t) => t.amountMinor !== 0);
}
