import type { NatsConnection } from '@nats-io/transport-node';
import type { ExperimentResultsV1, LedgerTransactionPageV1, PnlReportV1 } from '@juggernaut/contracts';
import { apiClient, connectTestNats, eventually, readStream, TestStack } from '@juggernaut/testing';
import Stripe from 'stripe';
import { experimentTracker } from '../apps/experiment-tracker/src/service';
import { governanceApi } from '../apps/governance-api/src/service';
import { signGeneric } from '../apps/governance-api/src/webhooks/webhook-signature';
import { revenueLedger } from '../apps/revenue-ledger/src/service';
import { stripeEvent } from './stripe-fixtures';

const ADMIN = 'payments-admin-key-0123456789abcdef';
const WHSEC = 'whsec_test_payments_0123456789abcdef';
const WEBHOOK_KEY = 'a'.repeat(64);
const stripe = new Stripe('sk_test_unused');

/**
 * Money in from payment providers, end to end on the real Postgres and NATS: signed Stripe and
 * generic webhooks into governance-api (signatures made with the stripe package's test-header
 * helper), JetStream, revenue-ledger's entries, the experiment tracker's results.
 */
describe('payments: signed webhooks into the ledger, once', () => {
  let stack: TestStack;
  let nc: NatsConnection;
  let url: string;
  let ledgerMetrics: string;
  const admin = () => apiClient(url, ADMIN);

  /** Posts an event as Stripe does: the raw JSON with a Stripe-Signature made by the stripe package. */
  async function send(
    event: Record<string, unknown>,
    opts: { secret?: string; timestamp?: number; header?: string | null } = {},
  ) {
    const payload = JSON.stringify(event);
    const header =
      opts.header !== undefined
        ? opts.header
        : stripe.webhooks.generateTestHeaderString({
            payload,
            secret: opts.secret ?? WHSEC,
            ...(opts.timestamp ? { timestamp: opts.timestamp } : {}),
          });
    return apiClient(url).call('POST', '/api/v1/webhooks/stripe', payload, {
      'content-type': 'application/json',
      ...(header !== null ? { 'stripe-signature': header } : {}),
    });
  }
  const ok = async (event: Record<string, unknown>) => {
    const r = await send(event);
    if (r.status !== 200) throw new Error(`webhook answered ${r.status}: ${JSON.stringify(r.body)}`);
    return r.body;
  };
  const balance = async (account: string) => {
    const r = await admin().get(`/api/v1/ledger/balances?account=${encodeURIComponent(account)}`);
    return Object.fromEntries(
      ((r.body.balances ?? []) as Array<{ currency: string; balanceMinor: number }>).map((b) => [
        b.currency,
        b.balanceMinor,
      ]),
    );
  };
  const byEvent = async (eventId: string) =>
    (await admin().get<LedgerTransactionPageV1>(`/api/v1/ledger/transactions?eventId=${encodeURIComponent(eventId)}`))
      .body.items;
  const posted = (eventId: string, timeoutMs = 10_000) =>
    eventually(async () => (await byEvent(eventId))[0], timeoutMs);
  const metric = async (name: string, labels: string) => {
    const text = await (await fetch(`${ledgerMetrics}/metrics`)).text();
    const line = text
      .split('\n')
      .find((l) => l.startsWith(`${name}{`) && labels.split(',').every((p) => l.includes(p)));
    return line ? Number(line.split(' ').pop()) : 0;
  };

  beforeAll(async () => {
    stack = await TestStack.create('payments');
    url = (
      await stack.start(governanceApi, {
        JUGGERNAUT_ADMIN_KEY: ADMIN,
        STRIPE_WEBHOOK_SECRET: WHSEC,
        JUGGERNAUT_WEBHOOK_KEY: WEBHOOK_KEY,
        // the walk below sends its bad signatures from one address: let them all be heard
        JUGGERNAUT_RATE_LIMIT_UNAUTH_BURST: '1000',
      })
    ).url;
    const ledger = await stack.start(revenueLedger);
    ledgerMetrics = ledger.metricsUrl;
    await stack.start(experimentTracker);
    nc = await connectTestNats();
  });

  afterAll(async () => {
    await nc?.close();
    await stack?.close();
  });

  it('refuses unsigned, badly signed, stale and unparseable deliveries with 400, counts them, and captures none', async () => {
    const event = stripeEvent.chargeSucceeded({ id: 'evt_refused', charge: 'ch_refused', amount: 999 });
    const unsigned = await send(event, { header: null });
    expect(unsigned.status).toBe(400);
    expect(unsigned.body.reason).toBe('unsigned');
    const wrongSecret = await send(event, { secret: 'whsec_somebody_else_0123456789' });
    expect(wrongSecret).toMatchObject({ status: 400, body: { reason: 'bad_signature' } });
    const stale = await send(event, { timestamp: Math.floor(Date.now() / 1000) - 3_600 });
    expect(stale).toMatchObject({ status: 400, body: { reason: 'stale' } });
    // a body changed after signing
    const payload = JSON.stringify(event);
    const header = stripe.webhooks.generateTestHeaderString({ payload, secret: WHSEC });
    const tampered = await apiClient(url).call('POST', '/api/v1/webhooks/stripe', payload.replace('999', '99900'), {
      'content-type': 'application/json',
      'stripe-signature': header,
    });
    expect(tampered).toMatchObject({ status: 400, body: { reason: 'bad_signature' } });
    // an API key does not stand in for a signature
    expect(
      (
        await apiClient(url, ADMIN).call('POST', '/api/v1/webhooks/stripe', payload, {
          'content-type': 'application/json',
        })
      ).status,
    ).toBe(400);

    const metrics = await (await fetch(`${stack.services[0]!.metricsUrl}/metrics`)).text();
    for (const reason of ['unsigned', 'bad_signature', 'stale']) {
      expect(metrics).toMatch(
        new RegExp(`juggernaut_webhooks_rejected_total\\{[^}]*source="stripe"[^}]*reason="${reason}"[^}]*\\} [1-9]`),
      );
    }
    const captured = await readStream(
      nc,
      `${stack.namespace}_JUGGERNAUT_INBOUND`,
      `${stack.namespace}.juggernaut.payment.event.v1`,
    );
    expect(captured).toEqual([]);
    expect(await byEvent('stripe:payment:pi_refused')).toEqual([]);
  });

  it('puts a signed payment, its fee, a partial refund and a payout in balances, P&L by experiment and the experiment results once; a replay changes nothing', async () => {
    const exp = await admin().post('/api/v1/experiments', {
      name: 'Checkout copy',
      hypothesis: 'Plain words sell more.',
      primaryMetric: 'revenue_per_unit',
      budgetMinor: 100_000,
      variants: [
        { key: 'control', weight: 50, control: true },
        { key: 'plain', weight: 50 },
      ],
      decisionRule: { minUnitsPerVariant: 1000 },
    });
    expect(exp.status).toBe(201);
    const experimentId = exp.body.id as string;
    expect((await admin().post(`/api/v1/experiments/${experimentId}/start`)).status).toBe(200);
    const metadata = { experimentId, variantKey: 'plain', unitId: 'visitor-42', goalId: 'goal-revenue' };

    const events = [
      stripeEvent.chargeSucceeded({
        id: 'evt_pay_1',
        charge: 'ch_1',
        paymentIntent: 'pi_1',
        amount: 10_000,
        metadata,
        fee: 320,
        bt: 'txn_ch_1',
      }),
      stripeEvent.chargeRefunded({
        id: 'evt_ref_1',
        charge: 'ch_1',
        paymentIntent: 'pi_1',
        amount: 10_000,
        refunds: [{ id: 're_1', amount: 2_500 }],
        metadata,
      }),
      stripeEvent.payoutPaid({ id: 'evt_po_1', payout: 'po_1', amount: 5_000 }),
    ];
    for (const e of events) expect((await ok(e)).duplicate).toBe(false);
    await posted('stripe:payout:po_1');
    const refund = await posted('stripe:refund:re_1');
    const payment = await posted('stripe:payment:pi_1');

    expect(payment).toMatchObject({
      kind: 'revenue',
      source: 'stripe',
      experimentId,
      variantKey: 'plain',
      goalId: 'goal-revenue',
      externalRef: 'ch_1',
    });
    expect(refund).toMatchObject({ kind: 'refund', originalId: payment.id, experimentId, externalRef: 're_1' });
    expect(refund.postings).toEqual(
      expect.arrayContaining([
        { account: 'revenue:stripe', amountMinor: 2_500, currency: 'USD' },
        { account: 'assets:clearing:stripe', amountMinor: -2_500, currency: 'USD' },
      ]),
    );
    const fee = await posted('stripe:fee:txn_ch_1');
    expect(fee).toMatchObject({ kind: 'cost', originalId: payment.id, experimentId });

    const check = async () => {
      expect(await balance('assets:clearing:stripe')).toEqual({ USD: 10_000 - 320 - 2_500 - 5_000 });
      expect(await balance('revenue:stripe')).toEqual({ USD: -(10_000 - 2_500) });
      expect(await balance('expense:payment-fees:stripe')).toEqual({ USD: 320 });
      expect(await balance('assets:bank')).toEqual({ USD: 5_000 });
      const pnl = (await admin().get<PnlReportV1>('/api/v1/ledger/pnl?groupBy=experiment')).body.rows.filter(
        (r) => r.key === experimentId,
      );
      expect(pnl).toEqual([
        { key: experimentId, currency: 'USD', revenueMinor: 7_500, costMinor: 320, netMinor: 7_180 },
      ]);
      const goal = (await admin().get<PnlReportV1>('/api/v1/ledger/pnl?groupBy=goal')).body.rows.filter(
        (r) => r.key === 'goal-revenue',
      );
      expect(goal).toEqual([
        { key: 'goal-revenue', currency: 'USD', revenueMinor: 7_500, costMinor: 320, netMinor: 7_180 },
      ]);
      const results = await eventually(async () => {
        const r = (await admin().get<ExperimentResultsV1>(`/api/v1/experiments/${experimentId}/results`)).body;
        return r.revenueMinor === 7_500 ? r : undefined;
      });
      expect(results.variants.find((v) => v.key === 'plain')!.revenueMinor).toBe(7_500);
      expect(results.variants.find((v) => v.key === 'control')!.revenueMinor).toBe(0);
    };
    await check();

    // Stripe retries every delivery (a new signature each time); and a replay long after, past JetStream's window, reaches the ledger.
    for (const e of events) expect((await ok(e)).duplicate).toBe(true);
    const duplicatesBefore = await metric('juggernaut_payment_events_total', 'outcome="duplicate"');
    const js = (await import('@nats-io/jetstream')).jetstream(nc);
    for (const e of events) {
      await js.publish(
        `${stack.namespace}.juggernaut.payment.event.v1`,
        JSON.stringify({
          source: 'stripe',
          eventId: e['id'],
          eventType: e['type'],
          receivedAt: new Date().toISOString(),
          stripe: e,
        }),
      );
    }
    await eventually(
      async () =>
        (await metric('juggernaut_payment_events_total', 'outcome="duplicate"')) >= duplicatesBefore + events.length,
    );
    await check();
    for (const id of ['stripe:payment:pi_1', 'stripe:refund:re_1', 'stripe:fee:txn_ch_1', 'stripe:payout:po_1'])
      expect(await byEvent(id)).toHaveLength(1);
  });

  it('counts one payment once when Stripe reports it as a checkout session, a charge and an invoice', async () => {
    const metadata = { experimentId: 'exp-once' };
    await ok(
      stripeEvent.checkoutCompleted({
        id: 'evt_cs_2',
        session: 'cs_2',
        paymentIntent: 'pi_2',
        amount: 4_200,
        metadata,
      }),
    );
    await ok(
      stripeEvent.chargeSucceeded({ id: 'evt_ch_2', charge: 'ch_2', paymentIntent: 'pi_2', amount: 4_200, metadata }),
    );
    await ok(
      stripeEvent.invoicePaid({ id: 'evt_in_2', invoice: 'in_2', paymentIntent: 'pi_2', amount: 4_200, metadata }),
    );
    await posted('stripe:payment:pi_2');
    await eventually(async () => (await metric('juggernaut_payment_events_total', 'outcome="applied"')) >= 1);
    await new Promise((r) => setTimeout(r, 500));
    const pnl = (await admin().get<PnlReportV1>('/api/v1/ledger/pnl?groupBy=experiment')).body.rows.filter(
      (r) => r.key === 'exp-once',
    );
    expect(pnl).toEqual([{ key: 'exp-once', currency: 'USD', revenueMinor: 4_200, costMinor: 0, netMinor: 4_200 }]);
  });

  it('keeps a refund that arrives before its charge and applies it when the charge comes, never dropping it', async () => {
    await ok(
      stripeEvent.refundCreated({
        id: 'evt_early_ref',
        refund: 're_early',
        charge: 'ch_3',
        paymentIntent: 'pi_3',
        amount: 700,
      }),
    );
    const waiting = async () => {
      const text = await (await fetch(`${ledgerMetrics}/metrics`)).text();
      return Number(/^juggernaut_payment_movements_waiting(?:\{[^}]*\})? (\d+)/m.exec(text)?.[1] ?? -1);
    };
    await eventually(async () => (await waiting()) === 1);
    expect(await byEvent('stripe:refund:re_early')).toEqual([]);
    await ok(
      stripeEvent.chargeSucceeded({
        id: 'evt_late_charge',
        charge: 'ch_3',
        paymentIntent: 'pi_3',
        amount: 3_000,
        metadata: { experimentId: 'exp-late' },
      }),
    );
    const refund = await posted('stripe:refund:re_early');
    const payment = await posted('stripe:payment:pi_3');
    expect(refund).toMatchObject({ kind: 'refund', originalId: payment.id, experimentId: 'exp-late' });
    expect(await waiting()).toBe(0);
    const pnl = (await admin().get<PnlReportV1>('/api/v1/ledger/pnl?groupBy=experiment')).body.rows.filter(
      (r) => r.key === 'exp-late',
    );
    expect(pnl).toEqual([{ key: 'exp-late', currency: 'USD', revenueMinor: 2_300, costMinor: 0, netMinor: 2_300 }]);
  });

  it('calls a redelivery of an event id with other content a conflict: not posted, dead-lettered naming what differs', async () => {
    await ok(stripeEvent.chargeSucceeded({ id: 'evt_conflict', charge: 'ch_4', paymentIntent: 'pi_4', amount: 1_000 }));
    const first = await posted('stripe:payment:pi_4');
    expect(
      (
        await ok(
          stripeEvent.chargeSucceeded({ id: 'evt_conflict', charge: 'ch_4', paymentIntent: 'pi_4', amount: 1_700 }),
        )
      ).duplicate,
    ).toBe(false);
    const letter = await eventually(async () => {
      const letters = await readStream<{ subject: string; reason: string }>(
        nc,
        `${stack.namespace}_JUGGERNAUT_DEADLETTER`,
        `${stack.namespace}.juggernaut.deadletter.v1`,
      );
      return letters.find((l) => l.reason.includes('stripe:evt_conflict'));
    });
    expect(letter.subject).toBe('juggernaut.payment.event.v1');
    expect(letter.reason).toContain(
      `conflict: eventId stripe:evt_conflict was posted as transaction ${first.id} with movements.0.amountMinor 1000`,
    );
    expect(letter.reason).toContain('this event has movements.0.amountMinor 1700');
    expect(await byEvent('stripe:payment:pi_4')).toHaveLength(1);
    expect((await byEvent('stripe:payment:pi_4'))[0].postings).toEqual(first.postings);
    expect(await metric('juggernaut_payment_events_total', 'outcome="conflict"')).toBe(1);
  });

  it('posts a payment in another currency at what reached the balance, through equity:exchange, and its refund at the same rate', async () => {
    await ok(
      stripeEvent.chargeSucceeded({
        id: 'evt_eur',
        charge: 'ch_eur',
        paymentIntent: 'pi_eur',
        amount: 10_000,
        currency: 'eur',
        fee: 330,
        bt: 'txn_eur',
        settled: { amount: 10_800, currency: 'usd' },
      }),
    );
    const payment = await posted('stripe:payment:pi_eur');
    expect(payment.postings).toEqual([
      { account: 'assets:clearing:stripe', amountMinor: 10_800, currency: 'USD' },
      { account: 'equity:exchange', amountMinor: -10_800, currency: 'USD' },
      { account: 'equity:exchange', amountMinor: 10_000, currency: 'EUR' },
      { account: 'revenue:stripe', amountMinor: -10_000, currency: 'EUR' },
    ]);
    expect((await posted('stripe:fee:txn_eur')).postings).toEqual([
      { account: 'expense:payment-fees:stripe', amountMinor: 330, currency: 'USD' },
      { account: 'assets:clearing:stripe', amountMinor: -330, currency: 'USD' },
    ]);
    await ok(
      stripeEvent.chargeRefunded({
        id: 'evt_eur_ref',
        charge: 'ch_eur',
        paymentIntent: 'pi_eur',
        amount: 10_000,
        currency: 'eur',
        refunds: [{ id: 're_eur', amount: 2_500 }],
      }),
    );
    const refund = await posted('stripe:refund:re_eur');
    expect(refund.postings).toEqual(
      expect.arrayContaining([
        { account: 'revenue:stripe', amountMinor: 2_500, currency: 'EUR' },
        { account: 'assets:clearing:stripe', amountMinor: -2_700, currency: 'USD' },
      ]),
    );
    expect(await balance('revenue:stripe')).toMatchObject({ EUR: -7_500 });
  });

  it('holds a disputed payment, gives it back when the dispute is won and takes the revenue back when it is lost', async () => {
    await ok(
      stripeEvent.chargeSucceeded({
        id: 'evt_dpay_1',
        charge: 'ch_d1',
        paymentIntent: 'pi_d1',
        amount: 2_000,
        metadata: { experimentId: 'exp-dispute' },
      }),
    );
    await ok(
      stripeEvent.chargeSucceeded({
        id: 'evt_dpay_2',
        charge: 'ch_d2',
        paymentIntent: 'pi_d2',
        amount: 3_000,
        metadata: { experimentId: 'exp-dispute' },
      }),
    );
    await ok(
      stripeEvent.dispute('charge.dispute.created', {
        id: 'evt_dp1_open',
        dispute: 'dp_1',
        charge: 'ch_d1',
        paymentIntent: 'pi_d1',
        amount: 2_000,
        fee: 1_500,
        bt: 'txn_dp_1',
      }),
    );
    // the end of the second dispute comes before its opening: it waits for it
    await ok(
      stripeEvent.dispute('charge.dispute.closed', {
        id: 'evt_dp2_lost',
        dispute: 'dp_2',
        charge: 'ch_d2',
        paymentIntent: 'pi_d2',
        amount: 3_000,
        status: 'lost',
      }),
    );
    await ok(
      stripeEvent.dispute('charge.dispute.created', {
        id: 'evt_dp2_open',
        dispute: 'dp_2',
        charge: 'ch_d2',
        paymentIntent: 'pi_d2',
        amount: 3_000,
      }),
    );
    await ok(
      stripeEvent.dispute('charge.dispute.closed', {
        id: 'evt_dp1_won',
        dispute: 'dp_1',
        charge: 'ch_d1',
        paymentIntent: 'pi_d1',
        amount: 2_000,
        status: 'won',
      }),
    );
    await posted('stripe:dispute:dp_1:won');
    const lost = await posted('stripe:dispute:dp_2:lost');
    expect(lost).toMatchObject({ kind: 'dispute', experimentId: 'exp-dispute' });
    expect((await balance('assets:disputes:stripe'))['USD'] ?? 0).toBe(0);
    expect((await posted('stripe:fee:txn_dp_1')).postings[0]).toEqual({
      account: 'expense:payment-fees:stripe',
      amountMinor: 1_500,
      currency: 'USD',
    });
    const pnl = (await admin().get<PnlReportV1>('/api/v1/ledger/pnl?groupBy=experiment')).body.rows.filter(
      (r) => r.key === 'exp-dispute',
    );
    expect(pnl).toEqual([
      { key: 'exp-dispute', currency: 'USD', revenueMinor: 2_000, costMinor: 1_500, netMinor: 500 },
    ]);
  });

  it('acknowledges and counts event types the ledger does not use', async () => {
    const before = await metric('juggernaut_payment_events_total', 'outcome="ignored"');
    await ok({
      id: 'evt_customer',
      object: 'event',
      type: 'customer.created',
      created: 1_765_000_000,
      data: { object: { id: 'cus_1', object: 'customer' } },
    });
    await eventually(async () => (await metric('juggernaut_payment_events_total', 'outcome="ignored"')) === before + 1);
  });

  it('takes a generic source signed with HMAC-SHA256, read through its mapping, and keeps its secret to itself', async () => {
    const created = await admin().post('/api/v1/webhook-sources', {
      name: 'my-shop',
      mapping: {
        eventId: '/id',
        kind: '/type',
        kinds: { 'order.paid': 'payment', 'order.refunded': 'refund' },
        amount: '/order/total',
        amountFormat: 'major',
        currency: '/order/currency',
        occurredAt: '/created',
        ref: '/order/id',
        paymentRef: '/order/id',
        product: '/order/sku',
        attribution: { experimentId: '/order/meta/exp', variantKey: '/order/meta/variant' },
      },
    });
    expect(created.status).toBe(201);
    const secret = created.body.secret as string;
    expect(secret).toMatch(/^whsec_/);
    expect(JSON.stringify((await admin().get('/api/v1/webhook-sources/my-shop')).body)).not.toContain(secret);
    expect(JSON.stringify((await admin().get('/api/v1/webhook-sources')).body)).not.toContain(secret);
    expect((await admin().post('/api/v1/webhook-sources', { name: 'bad', mapping: { eventId: 'id' } })).status).toBe(
      400,
    );

    const deliver = async (body: unknown, sign = secret, ts = Math.floor(Date.now() / 1000)) => {
      const raw = JSON.stringify(body);
      return apiClient(url).call('POST', '/api/v1/webhooks/my-shop', raw, {
        'content-type': 'application/json',
        ...signGeneric(sign, ts, raw),
      });
    };
    const paid = {
      id: 'ord-evt-1',
      type: 'order.paid',
      created: '2026-12-01T10:00:00Z',
      order: { id: 'ord-1', total: '49.90', currency: 'eur', sku: 'ebook', meta: { exp: 'exp-shop', variant: 'b' } },
    };
    expect((await deliver(paid)).status).toBe(200);
    expect((await deliver(paid, 'whsec_wrong_wrong_wrong_wrong')).status).toBe(400);
    expect((await deliver(paid, secret, Math.floor(Date.now() / 1000) - 1_000)).body.reason).toBe('stale');
    expect((await deliver({ id: 'ord-evt-0', type: 'order.created', order: { id: 'ord-1' } })).body).toMatchObject({
      ignored: true,
    });
    const payment = await posted('my-shop:payment:ord-1');
    expect(payment).toMatchObject({
      kind: 'revenue',
      source: 'my-shop:ebook',
      experimentId: 'exp-shop',
      variantKey: 'b',
    });
    expect(payment.postings).toEqual([
      { account: 'assets:clearing:my-shop', amountMinor: 4_990, currency: 'EUR' },
      { account: 'revenue:my-shop:ebook', amountMinor: -4_990, currency: 'EUR' },
    ]);
    expect(
      (await deliver({ ...paid, id: 'ord-evt-2', type: 'order.refunded', order: { ...paid.order, total: '10' } }))
        .status,
    ).toBe(200);
    expect(await posted('my-shop:refund:ord-1')).toMatchObject({ kind: 'refund', originalId: payment.id });
    expect(await balance('revenue:my-shop')).toEqual({ EUR: -3_990 });

    expect((await admin().delete('/api/v1/webhook-sources/no-such-source')).status).toBe(404);
    expect((await admin().delete('/api/v1/webhook-sources/my-shop')).status).toBe(200);
    expect((await deliver({ ...paid, id: 'ord-evt-3' })).status).toBe(404);
  });
});

describe('payments: the webhooks are limited per address', () => {
  let stack: TestStack;
  let url: string;

  beforeAll(async () => {
    stack = await TestStack.create('paylimits');
    url = (
      await stack.start(governanceApi, {
        JUGGERNAUT_ADMIN_KEY: ADMIN,
        STRIPE_WEBHOOK_SECRET: WHSEC,
        JUGGERNAUT_RATE_LIMIT_UNAUTH_BURST: '3',
        JUGGERNAUT_WEBHOOK_RATE_BURST: '8',
        JUGGERNAUT_WEBHOOK_RATE_PER_SECOND: '1',
      })
    ).url;
  });

  afterAll(async () => {
    await stack?.close();
  });

  it('slows an address that sends bad signatures to the pace of bad API keys, and caps deliveries per address', async () => {
    const event = stripeEvent.payoutPaid({ id: 'evt_limit', payout: 'po_limit', amount: 100 });
    const payload = JSON.stringify(event);
    const post = (signature: string) =>
      apiClient(url).call('POST', '/api/v1/webhooks/stripe', payload, {
        'content-type': 'application/json',
        'stripe-signature': signature,
      });
    const good = () => stripe.webhooks.generateTestHeaderString({ payload, secret: WHSEC });
    expect((await post(good())).status).toBe(200);
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++)
      statuses.push((await post(`t=${Math.floor(Date.now() / 1000)},v1=${'0'.repeat(64)}`)).status);
    expect(statuses).toEqual([400, 400, 400, 429]);
    // the address spent its budget for bad credentials: even a good signature waits now
    const locked = await post(good());
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0);
    // and deliveries per address are capped whatever their signature (8 at once here, then 1 a second)
    const flood: number[] = [];
    for (let i = 0; i < 6; i++) flood.push((await post(good())).status);
    expect(flood.filter((s) => s === 429).length).toBeGreaterThan(0);
    const metrics = await (await fetch(`${stack.services[0]!.metricsUrl}/metrics`)).text();
    expect(metrics).toMatch(/juggernaut_http_rate_limited_total\{[^}]*limit="webhook"[^}]*\} [1-9]/);
  });
});
