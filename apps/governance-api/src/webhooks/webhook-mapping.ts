import {
  PAYMENT_MOVEMENT_KINDS,
  type PaymentMovementKind,
  type PaymentMovementV1,
  type WebhookMappingV1,
} from '@juggernaut/contracts';

const ATTRIBUTION = ['experimentId', 'variantKey', 'unitId', 'goalId', 'opportunityId', 'customerRef'] as const;
const POINTERS = ['eventId', 'kind', 'amount', 'currency', 'occurredAt', 'ref', 'paymentRef', 'product'] as const;
const KNOWN = new Set<string>([...POINTERS, 'kinds', 'amountFormat', 'currencyConstant', 'attribution']);

/** A JSON pointer (RFC 6901): empty (the whole document) or `/`-separated tokens with `~0` and `~1` escapes. */
const isPointer = (p: unknown): p is string =>
  typeof p === 'string' && p.length <= 500 && (p === '' || (p.startsWith('/') && !/~[^01]/.test(p)));

/** What is wrong with a mapping, field by field (empty when it can be used). */
export function mappingProblems(m: unknown): string[] {
  if (typeof m !== 'object' || m === null || Array.isArray(m)) return ['mapping must be an object'];
  const o = m as Record<string, unknown>;
  const out: string[] = [];
  for (const k of Object.keys(o)) if (!KNOWN.has(k)) out.push(`mapping.${k} is not a mapping field`);
  for (const k of POINTERS)
    if (o[k] !== undefined && !isPointer(o[k])) out.push(`mapping.${k} must be a JSON pointer such as "/data/id"`);
  if (o['eventId'] === undefined) out.push('mapping.eventId is required');
  if (o['amount'] === undefined) out.push('mapping.amount is required');
  if (o['currency'] === undefined && o['currencyConstant'] === undefined)
    out.push('mapping.currency or mapping.currencyConstant is required');
  if (
    o['currencyConstant'] !== undefined &&
    (typeof o['currencyConstant'] !== 'string' || !/^[A-Z]{3}$/.test(o['currencyConstant']))
  ) {
    out.push('mapping.currencyConstant must be an ISO 4217 code such as USD');
  }
  if (o['amountFormat'] !== undefined && o['amountFormat'] !== 'minor' && o['amountFormat'] !== 'major')
    out.push('mapping.amountFormat must be minor or major');
  if (o['kinds'] !== undefined) {
    if (typeof o['kinds'] !== 'object' || o['kinds'] === null || Array.isArray(o['kinds']))
      out.push('mapping.kinds must map event kinds to payment, refund, fee, payout …');
    else {
      for (const [k, v] of Object.entries(o['kinds'] as Record<string, unknown>)) {
        if (!(PAYMENT_MOVEMENT_KINDS as readonly unknown[]).includes(v))
          out.push(`mapping.kinds.${k} must be one of ${PAYMENT_MOVEMENT_KINDS.join(', ')}`);
      }
    }
  }
  if (o['attribution'] !== undefined) {
    if (typeof o['attribution'] !== 'object' || o['attribution'] === null || Array.isArray(o['attribution']))
      out.push('mapping.attribution must be an object of JSON pointers');
    else {
      for (const [k, v] of Object.entries(o['attribution'] as Record<string, unknown>)) {
        if (!(ATTRIBUTION as readonly string[]).includes(k))
          out.push(`mapping.attribution.${k} is not an attribution field (${ATTRIBUTION.join(', ')})`);
        else if (!isPointer(v)) out.push(`mapping.attribution.${k} must be a JSON pointer`);
      }
    }
  }
  return out;
}

/** The value at a JSON pointer, or undefined. */
export function readPointer(doc: unknown, pointer: string): unknown {
  if (pointer === '') return doc;
  let cur: unknown = doc;
  for (const raw of pointer.slice(1).split('/')) {
    const token = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(cur) && /^(0|[1-9]\d*)$/.test(token)) cur = cur[Number(token)];
    else if (typeof cur === 'object' && cur !== null && Object.prototype.hasOwnProperty.call(cur, token))
      cur = (cur as Record<string, unknown>)[token];
    else return undefined;
  }
  return cur;
}

export class MappingError extends Error {}

/** A webhook body as a document: JSON, or a form-encoded body as an object of its fields (Gumroad sends those). */
export function parseBody(body: Buffer, contentType: string | undefined): unknown {
  const text = body.toString('utf8');
  if (/application\/x-www-form-urlencoded/i.test(contentType ?? ''))
    return Object.fromEntries(new URLSearchParams(text));
  try {
    return JSON.parse(text);
  } catch {
    throw new MappingError('the body is neither JSON nor a form');
  }
}

/** Digits after the decimal point of a currency (USD 2, JPY 0, KWD 3). */
function minorDigits(currency: string): number {
  try {
    return new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
  } catch {
    throw new MappingError(`${currency} is not a currency`);
  }
}

/** An amount as positive integer minor units: `1250` as it is, or `"12.50"` in major units read exactly (no floating point). */
export function minorUnits(value: unknown, format: 'minor' | 'major', currency: string): number {
  const text = typeof value === 'number' ? String(value) : typeof value === 'string' ? value.trim() : '';
  if (format === 'minor') {
    if (!/^\d{1,15}$/.test(text) || Number(text) <= 0)
      throw new MappingError(`amount ${JSON.stringify(value)} is not a positive whole number of minor units`);
    return Number(text);
  }
  const digits = minorDigits(currency);
  const m = /^(\d{1,15})(?:\.(\d+))?$/.exec(text);
  if (!m) throw new MappingError(`amount ${JSON.stringify(value)} is not a decimal amount`);
  const frac = (m[2] ?? '').replace(/0+$/, '');
  if (frac.length > digits) throw new MappingError(`amount ${text} has more decimals than ${currency} has`);
  const minor = Number(m[1]) * 10 ** digits + Number((frac || '0').padEnd(digits, '0').slice(0, digits) || '0');
  if (!Number.isSafeInteger(minor) || minor <= 0) throw new MappingError(`amount ${text} is not a positive amount`);
  return minor;
}

const text = (v: unknown): string | undefined =>
  typeof v === 'string' && v.trim() !== ''
    ? v.trim()
    : typeof v === 'number' && Number.isFinite(v)
      ? String(v)
      : undefined;

export interface MappedEvent {
  eventId: string;
  eventType: string;
  /** Null when the event's kind is not one the mapping names: acknowledged and counted, not posted. */
  movement: PaymentMovementV1 | null;
}

/** Reads a generic source's event through its mapping; MappingError when a field it needs is missing or malformed. */
export function applyMapping(mapping: WebhookMappingV1, doc: unknown, receivedAt: Date): MappedEvent {
  const eventId = text(readPointer(doc, mapping.eventId));
  if (!eventId || eventId.length > 200) throw new MappingError(`no event id at ${mapping.eventId}`);
  const rawKind = mapping.kind !== undefined ? text(readPointer(doc, mapping.kind)) : undefined;
  const eventType = (rawKind ?? 'payment').slice(0, 200);
  let kind: PaymentMovementKind | undefined;
  if (mapping.kinds)
    kind = rawKind !== undefined ? (mapping.kinds[rawKind] as PaymentMovementKind | undefined) : undefined;
  else
    kind =
      rawKind === undefined
        ? 'payment'
        : (PAYMENT_MOVEMENT_KINDS as readonly string[]).includes(rawKind)
          ? (rawKind as PaymentMovementKind)
          : undefined;
  if (!kind) return { eventId, eventType, movement: null };
  const currency = (
    mapping.currencyConstant ??
    text(readPointer(doc, mapping.currency ?? '/currency')) ??
    ''
  ).toUpperCase();
  if (!/^[A-Z]{3}$/.test(currency)) throw new MappingError(`no currency at ${mapping.currency}`);
  const amountMinor = minorUnits(readPointer(doc, mapping.amount), mapping.amountFormat ?? 'minor', currency);
  let occurredAt = receivedAt.toISOString();
  if (mapping.occurredAt !== undefined) {
    const v = readPointer(doc, mapping.occurredAt);
    const t =
      typeof v === 'number' || (typeof v === 'string' && /^\d{9,11}$/.test(v))
        ? Number(v) * 1000
        : typeof v === 'string'
          ? Date.parse(v)
          : NaN;
    if (!Number.isFinite(t)) throw new MappingError(`no time at ${mapping.occurredAt} (ISO 8601 or Unix seconds)`);
    occurredAt = new Date(t).toISOString();
  }
  const ref = (mapping.ref !== undefined ? text(readPointer(doc, mapping.ref)) : eventId) ?? eventId;
  const paymentRef = mapping.paymentRef !== undefined ? text(readPointer(doc, mapping.paymentRef)) : undefined;
  if (kind !== 'payment' && kind !== 'payout' && kind !== 'payout_failed' && !paymentRef)
    throw new MappingError(`a ${kind} needs the payment it belongs to (mapping.paymentRef)`);
  const movement: PaymentMovementV1 = { kind, ref: ref.slice(0, 200), amountMinor, currency, occurredAt };
  if (paymentRef) movement.paymentRef = paymentRef.slice(0, 200);
  const product = mapping.product !== undefined ? text(readPointer(doc, mapping.product)) : undefined;
  if (product) movement.product = product.slice(0, 64);
  for (const f of ATTRIBUTION) {
    const p = mapping.attribution?.[f];
    const v = p !== undefined ? text(readPointer(doc, p)) : undefined;
    if (v) movement[f] = v.slice(0, 200);
  }
  return { eventId, eventType, movement };
}
