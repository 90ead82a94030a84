import type { Attribution, Movement } from './payment-movement';

/* Stripe's objects as they arrive in a webhook: read defensively, since an API version may leave out
   or expand any of them. */
type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);
const int = (v: unknown): number | undefined => (typeof v === 'number' && Number.isSafeInteger(v) ? v : undefined);
/** An id, whether Stripe sent the id or expanded the object. */
const idOf = (v: unknown): string | undefined => str(v) ?? (isObj(v) ? str(v['id']) : undefined);
const iso = (unixSeconds: unknown, fallback: string): string => {
  const s = int(unixSeconds);
  return s !== undefined ? new Date(s * 1000).toISOString() : fallback;
};

/**
 * The payment a charge, session, invoice, refund or dispute belongs to, by the same key whichever of
 * them reported it: its PaymentIntent, else its invoice, else its own id. So `charge.succeeded`,
 * `checkout.session.completed` and `invoice.paid` of one payment post its revenue once.
 */
export function stripePaymentKey(o: Obj): string | undefined {
  const kind = str(o['object']);
  if (kind === 'refund' || kind === 'dispute') return idOf(o['payment_intent']) ?? idOf(o['charge']);
  return idOf(o['payment_intent']) ?? invoicePaymentIntent(o) ?? idOf(o['invoice']) ?? idOf(o['id']);
}

/** Newer API versions keep an invoice's PaymentIntent under `payments.data[0].payment.payment_intent`. */
function invoicePaymentIntent(o: Obj): string | undefined {
  const payments = isObj(o['payments']) ? o['payments']['data'] : undefined;
  const first = Array.isArray(payments) && isObj(payments[0]) ? (payments[0] as Obj) : undefined;
  return first && isObj(first['payment']) ? idOf(first['payment']['payment_intent']) : undefined;
}

/** Attribution from metadata, under camelCase or snake_case keys; later sources fill only what earlier ones left out. */
function attributionOf(...metadatas: unknown[]): Attribution & { product?: string } {
  const out: Attribution & { product?: string } = {};
  const fields: Array<[keyof (Attribution & { product?: string }), string[]]> = [
    ['experimentId', ['experimentId', 'experiment_id']],
    ['variantKey', ['variantKey', 'variant_key', 'variant']],
    ['unitId', ['unitId', 'unit_id']],
    ['goalId', ['goalId', 'goal_id']],
    ['opportunityId', ['opportunityId', 'opportunity_id']],
    ['product', ['product', 'product_id']],
  ];
  for (const md of metadatas) {
    if (!isObj(md)) continue;
    for (const [field, keys] of fields) {
      if (out[field] !== undefined) continue;
      for (const k of keys) {
        const v = str(md[k]);
        if (v) {
          out[field] = v.slice(0, field === 'product' ? 64 : 200);
          break;
        }
      }
    }
  }
  return out;
}

/** Settlement in the balance's currency, when Stripe expanded the balance transaction and it is another currency. */
function settlementOf(bt: unknown, currency: string): Movement['settlement'] {
  if (!isObj(bt)) return undefined;
  const amount = int(bt['amount']);
  const cur = str(bt['currency'])?.toUpperCase();
  if (amount === undefined || !cur || cur === currency) return undefined;
  return { amountMinor: Math.abs(amount), currency: cur };
}

/** Stripe's fee from an expanded balance transaction, as a fee movement of the payment. */
function feeOf(bt: unknown, paymentRef: string, occurredAt: string, attribution: Attribution): Movement[] {
  if (!isObj(bt)) return [];
  const fee = int(bt['fee']);
  const currency = str(bt['currency'])?.toUpperCase();
  const id = str(bt['id']);
  if (!fee || fee <= 0 || !currency || !id) return [];
  return [
    {
      kind: 'fee',
      ref: id,
      paymentRef,
      amountMinor: fee,
      currency,
      occurredAt,
      ...attribution,
      description: `Stripe fee (${id})`,
    },
  ];
}

function chargePayment(charge: Obj, at: string, extraMetadata: unknown[] = []): Movement[] {
  if (
    charge['paid'] === false ||
    charge['captured'] === false ||
    (str(charge['status']) && charge['status'] !== 'succeeded')
  )
    return [];
  const amount = int(charge['amount_captured']) || int(charge['amount']);
  const currency = str(charge['currency'])?.toUpperCase();
  const key = stripePaymentKey(charge);
  if (!amount || amount <= 0 || !currency || !key || !str(charge['id'])) return [];
  const occurredAt = iso(charge['created'], at);
  const { product, ...attribution } = attributionOf(charge['metadata'], ...extraMetadata);
  const customerRef = idOf(charge['customer']);
  const who: Attribution = { ...attribution, ...(customerRef ? { customerRef } : {}) };
  const settlement = settlementOf(charge['balance_transaction'], currency);
  return [
    {
      kind: 'payment',
      ref: str(charge['id'])!,
      paymentRef: key,
      amountMinor: amount,
      currency,
      occurredAt,
      ...who,
      ...(settlement ? { settlement } : {}),
      ...(product ? { product } : {}),
      ...(str(charge['description']) ? { description: str(charge['description'])!.slice(0, 500) } : {}),
    },
    ...feeOf(charge['balance_transaction'], key, occurredAt, who),
  ];
}

function refundMovement(
  refund: Obj,
  paymentRef: string | undefined,
  currencyOfCharge: string | undefined,
  at: string,
  attribution: Attribution,
): Movement[] {
  const status = str(refund['status']);
  if (status === 'failed' || status === 'canceled') return [];
  const id = str(refund['id']);
  const amount = int(refund['amount']);
  const currency = (str(refund['currency']) ?? currencyOfCharge)?.toUpperCase();
  const key = paymentRef ?? stripePaymentKey(refund);
  if (!id || !amount || amount <= 0 || !currency || !key) return [];
  const occurredAt = iso(refund['created'], at);
  const settlement = settlementOf(refund['balance_transaction'], currency);
  return [
    {
      kind: 'refund',
      ref: id,
      paymentRef: key,
      amountMinor: amount,
      currency,
      occurredAt,
      ...attribution,
      ...(settlement ? { settlement } : {}),
    },
    ...feeOf(refund['balance_transaction'], key, occurredAt, attribution),
  ];
}

function disputeMovements(dispute: Obj, type: string, at: string): Movement[] {
  const id = str(dispute['id']);
  const amount = int(dispute['amount']);
  const currency = str(dispute['currency'])?.toUpperCase();
  const key = stripePaymentKey(dispute);
  if (!id || !amount || amount <= 0 || !currency || !key) return [];
  const status = str(dispute['status']);
  const occurredAt = iso(dispute['created'], at);
  const bts = Array.isArray(dispute['balance_transactions']) ? (dispute['balance_transactions'] as unknown[]) : [];
  const base = { ref: id, paymentRef: key, amountMinor: amount, currency, occurredAt };
  if (type === 'charge.dispute.created' || type === 'charge.dispute.funds_withdrawn') {
    const withdrawn = bts.find((b) => isObj(b) && (int(b['amount']) ?? 0) < 0);
    const settlement = settlementOf(withdrawn, currency);
    return [
      { kind: 'dispute_opened', ...base, ...(settlement ? { settlement } : {}) },
      ...feeOf(withdrawn, key, occurredAt, {}),
    ];
  }
  if ((type === 'charge.dispute.closed' && status === 'won') || type === 'charge.dispute.funds_reinstated') {
    // when the money came back (the event's time), not when the dispute opened
    return [{ kind: 'dispute_won', ...base, occurredAt: at }];
  }
  if (type === 'charge.dispute.closed' && status === 'lost') return [{ kind: 'dispute_lost', ...base, occurredAt: at }];
  return [];
}

function payoutMovements(payout: Obj, type: string, at: string): Movement[] {
  const id = str(payout['id']);
  const amount = int(payout['amount']);
  const currency = str(payout['currency'])?.toUpperCase();
  if (!id || !amount || amount <= 0 || !currency) return [];
  // The time it left the balance (the balance transaction's), so reconciliation finds it in the same period.
  const occurredAt = iso(payout['created'] ?? payout['arrival_date'], at);
  if (type === 'payout.paid')
    return [{ kind: 'payout', ref: id, amountMinor: amount, currency, occurredAt, description: `Stripe payout ${id}` }];
  if (type === 'payout.failed')
    return [
      {
        kind: 'payout_failed',
        ref: id,
        amountMinor: amount,
        currency,
        occurredAt,
        description: `Stripe payout ${id} failed`,
      },
    ];
  return [];
}

/** The Stripe event types the ledger reads; every other type is acknowledged and counted as ignored. */
export const STRIPE_EVENT_TYPES = [
  'charge.succeeded',
  'charge.captured',
  'checkout.session.completed',
  'checkout.session.async_payment_succeeded',
  'invoice.paid',
  'invoice.payment_succeeded',
  'charge.refunded',
  'refund.created',
  'refund.updated',
  'charge.refund.updated',
  'charge.dispute.created',
  'charge.dispute.funds_withdrawn',
  'charge.dispute.funds_reinstated',
  'charge.dispute.closed',
  'payout.paid',
  'payout.failed',
] as const;

/**
 * What a Stripe event does to the money, as movements; none for an event type the ledger does not
 * use or an object that moved nothing (an unpaid session, an uncaptured charge, a failed refund).
 */
export function stripeMovements(event: Obj): Movement[] {
  const type = str(event['type']) ?? '';
  const data = isObj(event['data']) ? event['data'] : {};
  const o = isObj(data['object']) ? data['object'] : undefined;
  if (!o) return [];
  const at = iso(event['created'], new Date(0).toISOString());
  switch (type) {
    case 'charge.succeeded':
    case 'charge.captured':
      return chargePayment(o, at);
    case 'checkout.session.completed':
    case 'checkout.session.async_payment_succeeded': {
      if (o['payment_status'] !== 'paid' || o['mode'] === 'setup') return [];
      const amount = int(o['amount_total']);
      const currency = str(o['currency'])?.toUpperCase();
      const key = stripePaymentKey(o);
      if (!amount || amount <= 0 || !currency || !key) return [];
      const { product, ...attribution } = attributionOf(o['metadata']);
      const customerRef = idOf(o['customer']) ?? str(o['client_reference_id']);
      return [
        {
          kind: 'payment',
          ref: key,
          paymentRef: key,
          amountMinor: amount,
          currency,
          occurredAt: iso(o['created'], at),
          ...attribution,
          ...(customerRef ? { customerRef } : {}),
          ...(product ? { product } : {}),
        },
      ];
    }
    case 'invoice.paid':
    case 'invoice.payment_succeeded': {
      const amount = int(o['amount_paid']);
      const currency = str(o['currency'])?.toUpperCase();
      const key = stripePaymentKey(o);
      if (!amount || amount <= 0 || !currency || !key) return [];
      const lines = isObj(o['lines']) && Array.isArray(o['lines']['data']) ? (o['lines']['data'] as unknown[]) : [];
      const line = isObj(lines[0]) ? (lines[0] as Obj) : {};
      const price = isObj(line['price']) ? line['price'] : {};
      const subscription = isObj(o['subscription_details']) ? o['subscription_details']['metadata'] : undefined;
      const { product, ...attribution } = attributionOf(o['metadata'], subscription, line['metadata']);
      const customerRef = idOf(o['customer']);
      const productId = product ?? idOf(price['product']);
      return [
        {
          kind: 'payment',
          ref: idOf(o['charge']) ?? key,
          paymentRef: key,
          amountMinor: amount,
          currency,
          occurredAt: iso(isObj(o['status_transitions']) ? o['status_transitions']['paid_at'] : o['created'], at),
          ...attribution,
          ...(customerRef ? { customerRef } : {}),
          ...(productId ? { product: productId.slice(0, 64) } : {}),
        },
      ];
    }
    case 'charge.refunded': {
      const key = stripePaymentKey(o);
      const currency = str(o['currency'])?.toUpperCase();
      const { product: _p, ...attribution } = attributionOf(o['metadata']);
      const refunds =
        isObj(o['refunds']) && Array.isArray(o['refunds']['data']) ? (o['refunds']['data'] as unknown[]) : undefined;
      if (refunds) return refunds.filter(isObj).flatMap((r) => refundMovement(r, key, currency, at, attribution));
      // Without the refunds list (newer API versions leave it out), the step is the change in amount_refunded.
      const now = int(o['amount_refunded']) ?? 0;
      const prev = isObj(data['previous_attributes']) ? (int(data['previous_attributes']['amount_refunded']) ?? 0) : 0;
      if (!key || !currency || now - prev <= 0 || !str(o['id'])) return [];
      return [
        {
          kind: 'refund',
          ref: `${str(o['id'])}@${now}`,
          paymentRef: key,
          amountMinor: now - prev,
          currency,
          occurredAt: at,
          ...attribution,
        },
      ];
    }
    case 'refund.created':
    case 'refund.updated':
    case 'charge.refund.updated':
      return refundMovement(o, undefined, undefined, at, attributionOf(o['metadata']));
    case 'charge.dispute.created':
    case 'charge.dispute.funds_withdrawn':
    case 'charge.dispute.funds_reinstated':
    case 'charge.dispute.closed':
      return disputeMovements(o, type, at);
    case 'payout.paid':
    case 'payout.failed':
      return payoutMovements(o, type, at);
    default:
      return [];
  }
}
