import Stripe from 'stripe';
import { signGeneric, verifyGeneric, verifyStripe, WebhookRejected } from './webhook-signature';

const secret = 'whsec_unit_0123456789abcdefghij';
const stripe = new Stripe('sk_test_unused');
const reason = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    return e instanceof WebhookRejected ? e.reason : `other: ${(e as Error).message}`;
  }
  return 'accepted';
};

describe('webhook signatures', () => {
  const body = Buffer.from(
    JSON.stringify({ id: 'evt_1', object: 'event', type: 'charge.succeeded', data: { object: {} } }),
  );
  const now = 1_765_000_000;

  it('accepts a Stripe signature made by the stripe package, and tells unsigned, wrong and stale apart', () => {
    const header = (timestamp = now, s = secret) =>
      stripe.webhooks.generateTestHeaderString({ payload: body.toString(), secret: s, timestamp });
    expect(verifyStripe(body, header(), secret, 300, now * 1000)).toMatchObject({
      id: 'evt_1',
      type: 'charge.succeeded',
    });
    expect(reason(() => verifyStripe(body, undefined, secret, 300, now * 1000))).toBe('unsigned');
    expect(reason(() => verifyStripe(body, header(now, 'whsec_other_0123456789'), secret, 300, now * 1000))).toBe(
      'bad_signature',
    );
    expect(
      reason(() =>
        verifyStripe(Buffer.from(body.toString().replace('evt_1', 'evt_2')), header(), secret, 300, now * 1000),
      ),
    ).toBe('bad_signature');
    expect(reason(() => verifyStripe(body, header(now - 301), secret, 300, now * 1000))).toBe('stale');
    expect(reason(() => verifyStripe(body, header(now + 301), secret, 300, now * 1000))).toBe('stale');
    expect(reason(() => verifyStripe(body, 'garbage', secret, 300, now * 1000))).toBe('bad_signature');
  });

  it('checks the generic schemes over the timestamp and the raw body, in constant time, within the tolerance', () => {
    for (const scheme of ['juggernaut', 'paddle'] as const) {
      const headers = signGeneric(secret, now, body, scheme);
      expect(reason(() => verifyGeneric(scheme, headers, body, secret, 300, now))).toBe('accepted');
      expect(reason(() => verifyGeneric(scheme, headers, Buffer.from(`${body} `), secret, 300, now))).toBe(
        'bad_signature',
      );
      expect(
        reason(() =>
          verifyGeneric(scheme, signGeneric('another-secret-0123456789abc', now, body, scheme), body, secret, 300, now),
        ),
      ).toBe('bad_signature');
      expect(reason(() => verifyGeneric(scheme, headers, body, secret, 300, now + 301))).toBe('stale');
      expect(reason(() => verifyGeneric(scheme, {}, body, secret, 300, now))).toBe('unsigned');
    }
    // one of several signatures matching is enough (a secret being rotated)
    const h = signGeneric(secret, now, body);
    expect(
      reason(() =>
        verifyGeneric(
          'juggernaut',
          { ...h, 'webhook-signature': `v1=${'0'.repeat(64)} ${h['webhook-signature']}` },
          body,
          secret,
          300,
          now,
        ),
      ),
    ).toBe('accepted');
  });
});
