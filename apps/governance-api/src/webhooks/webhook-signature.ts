import type { WebhookScheme } from '@juggernaut/contracts';
import { createHmac, timingSafeEqual } from 'node:crypto';
import Stripe from 'stripe';

/** Why a delivery was refused; the label of `juggernaut_webhooks_rejected_total{reason}`. */
export type RejectReason = 'unsigned' | 'bad_signature' | 'stale' | 'malformed' | 'unknown_source';

export class WebhookRejected extends Error {
  constructor(
    readonly reason: RejectReason,
    message: string,
  ) {
    super(message);
  }
}

// Signature checks need no API key; the client is never used to call Stripe.
const stripe = new Stripe('sk_unused_for_signature_checks');

/**
 * A Stripe delivery, verified with the official package against the endpoint secret with its
 * timestamp tolerance: the event, or WebhookRejected saying why not. A signature that matches but
 * is older than the tolerance (or from the future by more) is `stale`: a replay, or a clock off.
 */
export function verifyStripe(
  body: Buffer,
  header: string | undefined,
  secret: string,
  toleranceS: number,
  nowMs = Date.now(),
): Record<string, unknown> {
  if (!header) throw new WebhookRejected('unsigned', 'missing Stripe-Signature header');
  let event: Record<string, unknown>;
  try {
    event = stripe.webhooks.constructEvent(body, header, secret, toleranceS, undefined, nowMs) as unknown as Record<
      string,
      unknown
    >;
  } catch (e) {
    if (e instanceof SyntaxError) throw new WebhookRejected('malformed', 'the signed body is not JSON');
    let matchesAtAnyAge = false;
    try {
      matchesAtAnyAge = stripe.webhooks.signature!.verifyHeader(body, header, secret, 0, undefined, nowMs);
    } catch {
      // a wrong signature, whatever its age
    }
    if (matchesAtAnyAge)
      throw new WebhookRejected('stale', `Stripe signature timestamp is older than the tolerance of ${toleranceS} s`);
    throw new WebhookRejected(
      'bad_signature',
      `Stripe signature does not match: ${(e as Error).message.split('\n')[0]!.slice(0, 200)}`,
    );
  }
  const t = Number(/(?:^|,)\s*t=(\d+)/.exec(header)?.[1]);
  if (t * 1000 - nowMs > toleranceS * 1000)
    throw new WebhookRejected(
      'stale',
      `Stripe signature timestamp is ahead of this clock by more than ${toleranceS} s`,
    );
  if (typeof event['id'] !== 'string' || typeof event['type'] !== 'string')
    throw new WebhookRejected('malformed', 'not a Stripe event (no id or type)');
  return event;
}

/** The `juggernaut` scheme's header value for a body (`v1=<hex>`), for senders and tests. */
export function signGeneric(
  secret: string,
  timestamp: number,
  body: string | Buffer,
  scheme: WebhookScheme = 'juggernaut',
): Record<string, string> {
  const text = Buffer.isBuffer(body) ? body.toString('utf8') : body;
  if (scheme === 'paddle') {
    return {
      'paddle-signature': `ts=${timestamp};h1=${createHmac('sha256', secret).update(`${timestamp}:${text}`).digest('hex')}`,
    };
  }
  return {
    'webhook-timestamp': String(timestamp),
    'webhook-signature': `v1=${createHmac('sha256', secret).update(`${timestamp}.${text}`).digest('hex')}`,
  };
}

/**
 * A generic source's delivery: HMAC-SHA256 with the source's secret over the timestamp and the raw
 * body, compared in constant time, with the timestamp within the tolerance. Several `v1=`/`h1=`
 * values may be sent (during a secret rotation); one matching is enough.
 */
export function verifyGeneric(
  scheme: WebhookScheme,
  headers: Record<string, string | string[] | undefined>,
  body: Buffer,
  secret: string,
  toleranceS: number,
  nowS = Math.floor(Date.now() / 1000),
): void {
  const header = (name: string) => {
    const v = headers[name];
    return Array.isArray(v) ? v.join(',') : v;
  };
  let timestamp: string | undefined;
  let signatures: string[];
  let signed: Buffer;
  if (scheme === 'paddle') {
    const h = header('paddle-signature');
    if (!h) throw new WebhookRejected('unsigned', 'missing Paddle-Signature header');
    const parts = h.split(';').map((p) => p.trim().split('='));
    timestamp = parts.find(([k]) => k === 'ts')?.[1];
    signatures = parts.filter(([k]) => k === 'h1').map(([, v]) => v ?? '');
    signed = Buffer.concat([Buffer.from(`${timestamp}:`), body]);
  } else {
    const h = header('webhook-signature');
    timestamp = header('webhook-timestamp');
    if (!h) throw new WebhookRejected('unsigned', 'missing Webhook-Signature header');
    signatures = h
      .split(/[\s,]+/)
      .filter((s) => s.startsWith('v1='))
      .map((s) => s.slice(3));
    signed = Buffer.concat([Buffer.from(`${timestamp}.`), body]);
  }
  if (!timestamp || !/^\d{1,12}$/.test(timestamp))
    throw new WebhookRejected('malformed', 'the signature has no valid timestamp');
  if (signatures.length === 0) throw new WebhookRejected('malformed', 'no signature of a known version in the header');
  const expected = createHmac('sha256', secret).update(signed).digest();
  const ok = signatures.some((s) => /^[0-9a-f]{64}$/i.test(s) && timingSafeEqual(Buffer.from(s, 'hex'), expected));
  if (!ok) throw new WebhookRejected('bad_signature', 'the signature does not match');
  if (Math.abs(nowS - Number(timestamp)) > toleranceS)
    throw new WebhookRejected('stale', `the signature timestamp is outside the tolerance of ${toleranceS} s`);
}
