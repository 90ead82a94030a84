import type { PaymentMovementKind } from '@juggernaut/contracts';

/** Who the money is attributed to, read from the payment's metadata; carried onto every entry of the payment. */
export const ATTRIBUTION_FIELDS = [
  'experimentId',
  'variantKey',
  'unitId',
  'goalId',
  'opportunityId',
  'customerRef',
] as const;
export type Attribution = Partial<Record<(typeof ATTRIBUTION_FIELDS)[number], string>>;

/**
 * One money movement of a provider's event, in the ledger's terms (see PaymentMovementV1). `settlement`
 * is what reached the provider's balance when that was another currency than the customer paid in.
 */
export interface Movement extends Attribution {
  kind: PaymentMovementKind;
  /** The provider's id of the object that moved the money. */
  ref: string;
  /** The payment a refund, fee or dispute belongs to (for a payment: its own key). */
  paymentRef?: string;
  amountMinor: number;
  currency: string;
  occurredAt: string;
  settlement?: { amountMinor: number; currency: string };
  product?: string;
  description?: string;
}

/** The ledger event id of a movement's entry: the key that makes it post once, whichever event reported it. */
export function entryKey(source: string, m: Pick<Movement, 'kind' | 'ref' | 'paymentRef'>): string {
  switch (m.kind) {
    case 'payment':
      return `${source}:payment:${m.paymentRef ?? m.ref}`;
    case 'fee':
      return `${source}:fee:${m.ref}`;
    case 'refund':
      return `${source}:refund:${m.ref}`;
    case 'dispute_opened':
      return `${source}:dispute:${m.ref}:opened`;
    case 'dispute_won':
      return `${source}:dispute:${m.ref}:won`;
    case 'dispute_lost':
      return `${source}:dispute:${m.ref}:lost`;
    case 'payout':
      return `${source}:payout:${m.ref}`;
    case 'payout_failed':
      return `${source}:payout:${m.ref}:failed`;
  }
}

/** The entries a movement needs posted before it can be: a refund, fee or dispute its payment; a dispute's end its opening; a failed payout the payout. */
export function requiredKeys(source: string, m: Movement): string[] {
  const payment = m.paymentRef ? [`${source}:payment:${m.paymentRef}`] : [];
  switch (m.kind) {
    case 'payment':
    case 'payout':
      return [];
    case 'fee':
    case 'refund':
    case 'dispute_opened':
      return payment;
    case 'dispute_won':
    case 'dispute_lost':
      return [...payment, `${source}:dispute:${m.ref}:opened`];
    case 'payout_failed':
      return [`${source}:payout:${m.ref}`];
  }
}

/** The serialisation a movement is compared by (key order fixed, absent fields left out). */
export function canonicalMovement(m: Movement): Record<string, unknown> {
  const keys = [
    'kind',
    'ref',
    'paymentRef',
    'amountMinor',
    'currency',
    'settlement',
    'product',
    ...ATTRIBUTION_FIELDS,
  ] as const;
  const out: Record<string, unknown> = {};
  for (const k of keys) {
    const v = m[k];
    if (v !== undefined && v !== null && v !== '')
      out[k] = k === 'settlement' ? { amountMinor: m.settlement!.amountMinor, currency: m.settlement!.currency } : v;
  }
  return out;
}
