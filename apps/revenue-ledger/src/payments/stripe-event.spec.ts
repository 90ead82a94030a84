import { entryKey, requiredKeys } from './payment-movement';
import { stripeMovements, stripePaymentKey } from './stripe-event';

const ev = (type: string, object: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  id: 'evt_1',
  type,
  created: 1_764_900_060,
  data: { object, ...extra },
});

describe('reading Stripe events as money movements', () => {
  it('keys a payment on its PaymentIntent whichever object reports it, so one payment counts once', () => {
    expect(stripePaymentKey({ object: 'charge', id: 'ch_1', payment_intent: 'pi_1', invoice: 'in_1' })).toBe('pi_1');
    expect(stripePaymentKey({ object: 'checkout.session', id: 'cs_1', payment_intent: { id: 'pi_1' } })).toBe('pi_1');
    expect(
      stripePaymentKey({
        object: 'invoice',
        id: 'in_1',
        payments: { data: [{ payment: { payment_intent: 'pi_1' } }] },
      }),
    ).toBe('pi_1');
    expect(stripePaymentKey({ object: 'invoice', id: 'in_2' })).toBe('in_2');
    expect(stripePaymentKey({ object: 'refund', id: 're_1', charge: 'ch_9' })).toBe('ch_9');
  });

  it('reads a charge with its expanded balance transaction as a payment, its settlement and its fee, with attribution from metadata', () => {
    const [payment, fee] = stripeMovements(
      ev('charge.succeeded', {
        object: 'charge',
        id: 'ch_1',
        payment_intent: 'pi_1',
        amount: 10_000,
        currency: 'eur',
        paid: true,
        captured: true,
        status: 'succeeded',
        created: 1_764_900_000,
        customer: 'cus_1',
        metadata: { experiment_id: 'e1', variantKey: 'b', product: 'pro' },
        balance_transaction: { id: 'txn_1', amount: 10_800, fee: 330, currency: 'usd' },
      }),
    );
    expect(payment).toEqual({
      kind: 'payment',
      ref: 'ch_1',
      paymentRef: 'pi_1',
      amountMinor: 10_000,
      currency: 'EUR',
      occurredAt: '2025-12-05T02:00:00.000Z',
      experimentId: 'e1',
      variantKey: 'b',
      customerRef: 'cus_1',
      product: 'pro',
      settlement: { amountMinor: 10_800, currency: 'USD' },
    });
    expect(fee).toMatchObject({
      kind: 'fee',
      ref: 'txn_1',
      paymentRef: 'pi_1',
      amountMinor: 330,
      currency: 'USD',
      experimentId: 'e1',
    });
  });

  it('reads nothing from what moved no money: an uncaptured charge, an unpaid session, a failed refund, an unused type', () => {
    expect(
      stripeMovements(
        ev('charge.succeeded', { object: 'charge', id: 'ch_1', amount: 100, currency: 'usd', captured: false }),
      ),
    ).toEqual([]);
    expect(
      stripeMovements(
        ev('checkout.session.completed', {
          object: 'checkout.session',
          id: 'cs_1',
          payment_status: 'unpaid',
          amount_total: 100,
          currency: 'usd',
        }),
      ),
    ).toEqual([]);
    expect(
      stripeMovements(
        ev('refund.created', {
          object: 'refund',
          id: 're_1',
          amount: 100,
          currency: 'usd',
          charge: 'ch_1',
          status: 'failed',
        }),
      ),
    ).toEqual([]);
    expect(stripeMovements(ev('customer.created', { object: 'customer', id: 'cus_1' }))).toEqual([]);
  });

  it('reads each refund of a charge by its id, or the step in amount_refunded when the list is left out', () => {
    const charge = { object: 'charge', id: 'ch_1', payment_intent: 'pi_1', currency: 'usd', amount: 5_000 };
    expect(
      stripeMovements(
        ev('charge.refunded', {
          ...charge,
          refunds: {
            data: [
              { object: 'refund', id: 're_1', amount: 1_000, status: 'succeeded' },
              { object: 'refund', id: 're_2', amount: 500, status: 'pending' },
            ],
          },
        }),
      ).map((m) => [m.kind, m.ref, m.amountMinor]),
    ).toEqual([
      ['refund', 're_1', 1_000],
      ['refund', 're_2', 500],
    ]);
    expect(
      stripeMovements(
        ev(
          'charge.refunded',
          { ...charge, amount_refunded: 1_500 },
          { previous_attributes: { amount_refunded: 1_000 } },
        ),
      ),
    ).toEqual([expect.objectContaining({ kind: 'refund', ref: 'ch_1@1500', paymentRef: 'pi_1', amountMinor: 500 })]);
  });

  it('reads disputes as a hold, then a win or a loss that needs the hold and the payment first', () => {
    const dispute = {
      object: 'dispute',
      id: 'dp_1',
      charge: 'ch_1',
      payment_intent: 'pi_1',
      amount: 2_000,
      currency: 'usd',
      created: 1_764_900_100,
    };
    const [opened] = stripeMovements(ev('charge.dispute.created', dispute));
    const [lost] = stripeMovements(ev('charge.dispute.closed', { ...dispute, status: 'lost' }));
    expect(stripeMovements(ev('charge.dispute.closed', { ...dispute, status: 'warning_closed' }))).toEqual([]);
    expect(entryKey('stripe', opened!)).toBe('stripe:dispute:dp_1:opened');
    expect(requiredKeys('stripe', lost!)).toEqual(['stripe:payment:pi_1', 'stripe:dispute:dp_1:opened']);
  });
});
