import type {
  ApprovalV1,
  LedgerTransactionPageV1,
  ReconciliationItemV1,
  ReconciliationPageV1,
  ScheduleViewV1,
} from '@juggernaut/contracts';
import { apiClient, eventually, FakeStripe, TestStack } from '@juggernaut/testing';
import Stripe from 'stripe';
import type { AlertPage } from '../apps/governance-api/src/alerts/alerts.controller';
import { governanceApi } from '../apps/governance-api/src/service';
import { revenueLedger } from '../apps/revenue-ledger/src/service';
import { taskDispatcher } from '../apps/task-dispatcher/src/service';
import { stripeEvent } from './stripe-fixtures';

const ADMIN = 'reconcile-admin-key-0123456789abcdef';
const WHSEC = 'whsec_test_reconcile_0123456789abcdef';
const API_KEY = 'sk_test_reconcile_0123456789';
const T = 1_764_900_000; // the fixtures' charge time
const stripe = new Stripe('sk_test_unused');

/**
 * `ledger.reconcile` against a local fake of Stripe's API (real HTTP, through the stripe SDK),
 * run by revenue-ledger as a worker of the real task queue, with differences planted on both sides:
 * the report names exactly those, the monitor raises an alert, and the missing entries are posted
 * only after an admin approved them.
 */
describe('reconciliation of Stripe with the ledger', () => {
  let stack: TestStack;
  let fake: FakeStripe;
  let url: string;
  const admin = () => apiClient(url, ADMIN);
  const byEvent = async (eventId: string) =>
    (await admin().get<LedgerTransactionPageV1>(`/api/v1/ledger/transactions?eventId=${encodeURIComponent(eventId)}`))
      .body.items;
  const send = async (event: Record<string, unknown>) => {
    const payload = JSON.stringify(event);
    const r = await apiClient(url).call('POST', '/api/v1/webhooks/stripe', payload, {
      'content-type': 'application/json',
      'stripe-signature': stripe.webhooks.generateTestHeaderString({ payload, secret: WHSEC }),
    });
    expect(r.status).toBe(200);
  };
  const charge = (id: string, pi: string, amount: number, fee: number, created = T) => ({
    id: `txn_${id}`,
    type: 'charge',
    amount,
    fee,
    currency: 'usd',
    created,
    source: { id, object: 'charge', payment_intent: pi },
  });

  beforeAll(async () => {
    fake = await new FakeStripe(API_KEY).start();
    stack = await TestStack.create('reconcile');
    url = (
      await stack.start(governanceApi, {
        JUGGERNAUT_ADMIN_KEY: ADMIN,
        STRIPE_WEBHOOK_SECRET: WHSEC,
        JUGGERNAUT_MONITOR_INTERVAL_MS: '300',
      })
    ).url;
    await stack.start(taskDispatcher);
    await stack.start(revenueLedger, {
      STRIPE_API_KEY: API_KEY,
      STRIPE_API_BASE_URL: fake.url,
      LEDGER_WORKER_POLL_INTERVAL_MS: '200',
    });
  });

  afterAll(async () => {
    await stack?.close();
    await fake?.stop();
  });

  it('schedules a daily run where a Stripe key is configured', async () => {
    const schedules = await eventually(async () => {
      const r = await admin().get<ScheduleViewV1[]>('/api/v1/schedules');
      return r.body.find?.((s) => s.name === 'ledger-reconcile-stripe-daily');
    });
    expect(schedules).toMatchObject({
      cron: '30 2 * * *',
      timezone: 'UTC',
      task: { type: 'ledger.reconcile', payload: { source: 'stripe' } },
    });
  });

  it('reports exactly the differences planted, alerts on them, and posts the missing ones only once approved', async () => {
    // In both, agreeing: a payment with its fee, a partial refund, a payout.
    await send(
      stripeEvent.chargeSucceeded({
        id: 'evt_r1',
        charge: 'ch_r1',
        paymentIntent: 'pi_r1',
        amount: 5_000,
        fee: 175,
        bt: 'txn_ch_r1',
      }),
    );
    await send(
      stripeEvent.refundCreated({
        id: 'evt_r1_ref',
        refund: 're_r1',
        charge: 'ch_r1',
        paymentIntent: 'pi_r1',
        amount: 1_000,
      }),
    );
    await send(stripeEvent.payoutPaid({ id: 'evt_r1_po', payout: 'po_r1', amount: 2_000 }));
    fake.add(
      charge('ch_r1', 'pi_r1', 5_000, 175),
      {
        id: 'txn_re_r1',
        type: 'refund',
        amount: -1_000,
        fee: 0,
        currency: 'usd',
        created: T + 30,
        source: { id: 're_r1', object: 'refund', charge: 'ch_r1', payment_intent: 'pi_r1' },
      },
      {
        id: 'txn_po_r1',
        type: 'payout',
        amount: -2_000,
        fee: 0,
        currency: 'usd',
        created: T,
        source: { id: 'po_r1', object: 'payout' },
      },
    );
    // Planted: extra (in the ledger only), mismatched (3,000 here, 3,100 at Stripe), missing (a charge with its fee, and a Stripe fee of its own).
    await send(stripeEvent.chargeSucceeded({ id: 'evt_r2', charge: 'ch_r2', paymentIntent: 'pi_r2', amount: 6_000 }));
    await send(stripeEvent.chargeSucceeded({ id: 'evt_r3', charge: 'ch_r3', paymentIntent: 'pi_r3', amount: 3_000 }));
    fake.add(
      charge('ch_r3', 'pi_r3', 3_100, 0, T + 5),
      charge('ch_r4', 'pi_r4', 4_000, 150, T + 10),
      { id: 'txn_sf', type: 'stripe_fee', amount: -500, fee: 0, currency: 'usd', created: T + 20, source: null },
      // outside the period: neither missing nor checked
      charge('ch_late', 'pi_late', 9_999, 0, T + 86_400),
    );
    // Stripe also lists, just before the period, a charge whose ledger entry is stamped inside it: within the margin, not extra.
    fake.add(charge('ch_r5', 'pi_r5', 800, 0, T - 1_900));
    await send(stripeEvent.chargeSucceeded({ id: 'evt_r5', charge: 'ch_r5', paymentIntent: 'pi_r5', amount: 800 }));
    await eventually(
      async () =>
        (await byEvent('stripe:payment:pi_r5')).length === 1 && (await byEvent('stripe:payout:po_r1')).length === 1,
    );

    const from = new Date((T - 1_800) * 1000).toISOString();
    const to = new Date((T + 1_800) * 1000).toISOString();
    const task = await admin().post('/api/v1/tasks', {
      type: 'ledger.reconcile',
      payload: { source: 'stripe', from, to },
    });
    expect(task.status).toBe(201);
    const rec = await eventually(
      async () =>
        (await admin().get<ReconciliationPageV1>('/api/v1/ledger/reconciliations?source=stripe')).body.items?.[0],
      20_000,
    );
    expect(rec).toMatchObject({
      source: 'stripe',
      from,
      to,
      status: 'differences',
      taskId: task.body.id,
      balanceTransactions: 6,
    });
    const ids = (items: ReconciliationItemV1[]) => items.map((i) => i.eventIds[0]).sort();
    expect(ids(rec.missing)).toEqual(['stripe:fee:txn_ch_r4', 'stripe:other:txn_sf', 'stripe:payment:pi_r4']);
    expect(ids(rec.extra)).toEqual(['stripe:payment:pi_r2']);
    expect(ids(rec.mismatched)).toEqual(['stripe:payment:pi_r3']);
    expect(rec.mismatched[0]).toMatchObject({
      balanceTransactionId: 'txn_ch_r3',
      providerNetMinor: 3_100,
      ledgerNetMinor: 3_000,
      currency: 'USD',
    });
    expect(rec.extra[0]).toMatchObject({ ledgerNetMinor: 6_000, ref: 'ch_r2' });
    expect(rec.missing.find((m) => m.eventIds[0] === 'stripe:payment:pi_r4')!.suggestedPostings).toEqual([
      { account: 'assets:clearing:stripe', currency: 'USD', amountMinor: 4_000 },
      { account: 'revenue:stripe', currency: 'USD', amountMinor: -4_000 },
    ]);
    expect((await admin().get(`/api/v1/ledger/reconciliations/${rec.id}`)).body.id).toBe(rec.id);
    expect(fake.requests.every((r) => r.headers['authorization'] === `Bearer ${API_KEY}`)).toBe(true);

    const alert = await eventually(
      async () =>
        (await admin().get<AlertPage>('/api/v1/alerts?kind=reconciliation_differences')).body.items?.find(
          (a) => a.status === 'active',
        ),
      10_000,
    );
    expect(alert).toMatchObject({
      key: 'stripe',
      severity: 'warning',
      details: { reconciliationId: rec.id, missing: 3, extra: 1, mismatched: 1 },
    });

    // Offered for approval, never posted on its own.
    const approval = await eventually(async () =>
      (await admin().get<{ items: ApprovalV1[] }>('/api/v1/approvals?status=pending')).body.items?.find(
        (a) => a.action === 'ledger:adjust',
      ),
    );
    expect((approval.args!.entries as Array<{ eventId: string }>).map((e) => e.eventId).sort()).toEqual(
      ids(rec.missing),
    );
    await eventually(async () => (await admin().get(`/api/v1/tasks/${task.body.id}`)).body.status === 'blocked');
    await new Promise((r) => setTimeout(r, 500));
    expect(await byEvent('stripe:payment:pi_r4')).toEqual([]);
    expect((await admin().get(`/api/v1/ledger/reconciliations/${rec.id}`)).body.adjustment).toEqual({
      status: 'awaiting_approval',
      approvalId: approval.id,
    });

    expect(
      (await admin().post(`/api/v1/approvals/${approval.id}/approve`, { reason: 'matches the Stripe dashboard' }))
        .status,
    ).toBe(200);
    await eventually(
      async () => (await admin().get(`/api/v1/tasks/${task.body.id}`)).body.status === 'succeeded',
      20_000,
    );
    const adjusted = (await admin().get(`/api/v1/ledger/reconciliations/${rec.id}`)).body.adjustment;
    expect(adjusted).toMatchObject({ status: 'posted', approvalId: approval.id });
    expect(adjusted.transactionIds).toHaveLength(3);
    expect((await byEvent('stripe:payment:pi_r4'))[0]).toMatchObject({
      kind: 'revenue',
      externalRef: 'ch_r4',
      createdBy: `reconciliation:${rec.id}`,
    });
    expect((await byEvent('stripe:fee:txn_ch_r4'))[0].postings).toEqual([
      { account: 'assets:clearing:stripe', amountMinor: -150, currency: 'USD' },
      { account: 'expense:payment-fees:stripe', amountMinor: 150, currency: 'USD' },
    ]);

    // Run again: only what is still planted remains (the extra and the mismatch are for a person to look at).
    const again = await admin().post('/api/v1/tasks', {
      type: 'ledger.reconcile',
      payload: { source: 'stripe', from, to },
    });
    const second = await eventually(
      async () =>
        (await admin().get<ReconciliationPageV1>('/api/v1/ledger/reconciliations?source=stripe')).body.items?.find(
          (r) => r.taskId === again.body.id,
        ),
      20_000,
    );
    expect({ missing: ids(second.missing), extra: ids(second.extra), mismatched: ids(second.mismatched) }).toEqual({
      missing: [],
      extra: ['stripe:payment:pi_r2'],
      mismatched: ['stripe:payment:pi_r3'],
    });
    await eventually(
      async () => (await admin().get(`/api/v1/tasks/${again.body.id}`)).body.status === 'succeeded',
      10_000,
    );
  });
});
