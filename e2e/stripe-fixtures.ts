/**
 * Stripe events shaped as Stripe sends them (API 2024+: `object: "event"`, `data.object`, ids with
 * their prefixes, lowercase currencies, Unix times), for the payment tests. Only what a test names
 * varies; the rest is what Stripe would send.
 */
type Md = Record<string, string>;
const CREATED = 1_764_900_000;

function event(id: string, type: string, object: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return {
    id,
    object: 'event',
    api_version: '2024-06-20',
    created: CREATED + 60,
    livemode: false,
    pending_webhooks: 1,
    type,
    data: { object, ...extra },
  };
}

function balanceTransaction(id: string, amount: number, fee: number, currency: string, source: string, type: string) {
  return {
    id,
    object: 'balance_transaction',
    amount,
    currency,
    fee,
    net: amount - fee,
    source,
    type,
    created: CREATED,
    reporting_category: type,
  };
}

function charge(o: {
  charge: string;
  paymentIntent?: string;
  amount: number;
  currency?: string;
  metadata?: Md;
  fee?: number;
  bt?: string;
  settled?: { amount: number; currency: string };
  refunded?: number;
}) {
  const currency = o.currency ?? 'usd';
  const bt = o.bt
    ? balanceTransaction(
        o.bt,
        o.settled?.amount ?? o.amount,
        o.fee ?? 0,
        o.settled?.currency ?? currency,
        o.charge,
        'charge',
      )
    : null;
  return {
    id: o.charge,
    object: 'charge',
    amount: o.amount,
    amount_captured: o.amount,
    amount_refunded: o.refunded ?? 0,
    currency,
    captured: true,
    paid: true,
    status: 'succeeded',
    created: CREATED,
    customer: 'cus_test',
    payment_intent: o.paymentIntent ?? null,
    invoice: null,
    balance_transaction: bt ?? (o.bt ? o.bt : 'txn_unexpanded'),
    metadata: o.metadata ?? {},
    refunded: false,
    description: null,
  };
}

export const stripeEvent = {
  chargeSucceeded: (o: { id: string } & Parameters<typeof charge>[0]) => event(o.id, 'charge.succeeded', charge(o)),

  chargeRefunded: (o: {
    id: string;
    charge: string;
    paymentIntent?: string;
    amount: number;
    currency?: string;
    metadata?: Md;
    refunds: Array<{ id: string; amount: number }>;
  }) => {
    const currency = o.currency ?? 'usd';
    const refunded = o.refunds.reduce((a, r) => a + r.amount, 0);
    return event(
      o.id,
      'charge.refunded',
      {
        ...charge({ ...o, refunded }),
        refunded: refunded === o.amount,
        refunds: {
          object: 'list',
          has_more: false,
          data: o.refunds.map((r) => ({
            id: r.id,
            object: 'refund',
            amount: r.amount,
            currency,
            charge: o.charge,
            payment_intent: o.paymentIntent ?? null,
            status: 'succeeded',
            created: CREATED + 30,
            balance_transaction: `txn_${r.id}`,
          })),
        },
      },
      { previous_attributes: { amount_refunded: 0 } },
    );
  },

  refundCreated: (o: {
    id: string;
    refund: string;
    charge: string;
    paymentIntent?: string;
    amount: number;
    currency?: string;
  }) =>
    event(o.id, 'refund.created', {
      id: o.refund,
      object: 'refund',
      amount: o.amount,
      currency: o.currency ?? 'usd',
      charge: o.charge,
      payment_intent: o.paymentIntent ?? null,
      status: 'succeeded',
      created: CREATED + 30,
      balance_transaction: `txn_${o.refund}`,
      metadata: {},
    }),

  checkoutCompleted: (o: {
    id: string;
    session: string;
    paymentIntent: string;
    amount: number;
    currency?: string;
    metadata?: Md;
  }) =>
    event(o.id, 'checkout.session.completed', {
      id: o.session,
      object: 'checkout.session',
      mode: 'payment',
      payment_status: 'paid',
      status: 'complete',
      amount_total: o.amount,
      currency: o.currency ?? 'usd',
      payment_intent: o.paymentIntent,
      customer: 'cus_test',
      created: CREATED,
      metadata: o.metadata ?? {},
      invoice: null,
    }),

  invoicePaid: (o: {
    id: string;
    invoice: string;
    paymentIntent: string;
    amount: number;
    currency?: string;
    metadata?: Md;
  }) =>
    event(o.id, 'invoice.paid', {
      id: o.invoice,
      object: 'invoice',
      amount_paid: o.amount,
      currency: o.currency ?? 'usd',
      payment_intent: o.paymentIntent,
      customer: 'cus_test',
      created: CREATED,
      status: 'paid',
      status_transitions: { paid_at: CREATED },
      metadata: o.metadata ?? {},
      lines: {
        object: 'list',
        data: [
          {
            id: 'il_1',
            object: 'line_item',
            amount: o.amount,
            price: { id: 'price_1', product: 'prod_basic' },
            metadata: {},
          },
        ],
      },
    }),

  dispute: (
    type: string,
    o: {
      id: string;
      dispute: string;
      charge: string;
      paymentIntent?: string;
      amount: number;
      status?: string;
      fee?: number;
      bt?: string;
    },
  ) =>
    event(o.id, type, {
      id: o.dispute,
      object: 'dispute',
      amount: o.amount,
      currency: 'usd',
      charge: o.charge,
      payment_intent: o.paymentIntent ?? null,
      status: o.status ?? 'needs_response',
      reason: 'fraudulent',
      created: CREATED + 100,
      balance_transactions: o.bt
        ? [balanceTransaction(o.bt, -o.amount, o.fee ?? 0, 'usd', o.dispute, 'adjustment')]
        : [],
    }),

  payoutPaid: (o: { id: string; payout: string; amount: number; currency?: string }) =>
    event(o.id, 'payout.paid', {
      id: o.payout,
      object: 'payout',
      amount: o.amount,
      currency: o.currency ?? 'usd',
      arrival_date: CREATED + 86_400,
      created: CREATED,
      status: 'paid',
      balance_transaction: `txn_${o.payout}`,
    }),
};
