/**
 * Text every service can store and pass on: Postgres text cannot hold NUL, and jsonb refuses a
 * lone UTF-16 surrogate (`"\ud800"`, a high surrogate without its low half or a low one alone),
 * which JSON.parse accepts. Such a value would be accepted by one write and refused by the next
 * (the audit entry, the outbox event), so it is refused at every edge instead: HTTP bodies
 * (governance-api's BodyShapePipe) and NATS payloads (`validatePayload`) use this one check.
 */

/** A code unit of a surrogate pair that is not part of a pair. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
/** Any surrogate code unit: a cheap pre-check before the exact one above. */
const ANY_SURROGATE = /[\uD800-\uDFFF]/;

/** Why a string cannot be stored, or undefined when it can. */
export function unstorableReason(text: string): string | undefined {
  if (text.includes('\u0000')) return 'must not contain NUL characters (\\u0000)';
  if (ANY_SURROGATE.test(text) && LONE_SURROGATE.test(text))
    return 'must not contain a lone UTF-16 surrogate (such as \\ud800)';
  return undefined;
}

/** The first string or key in `value` that cannot be stored, with its path (`payload.items.0.name`), or undefined. */
export function findUnstorableText(value: unknown, path = ''): { path: string; reason: string } | undefined {
  if (typeof value === 'string') {
    const reason = unstorableReason(value);
    return reason ? { path: path || 'body', reason } : undefined;
  }
  if (value === null || typeof value !== 'object') return undefined;
  for (const [key, v] of Object.entries(value as object)) {
    const keyReason = unstorableReason(key);
    const name = keyReason ? printable(key) : key;
    const at = path ? `${path}.${name}` : name;
    if (keyReason) return { path: at, reason: keyReason };
    const found = findUnstorableText(v, at);
    if (found) return found;
  }
  return undefined;
}

/** The text with NUL and surrogates written as escapes, so a path naming a bad key can itself be stored and logged. */
function printable(text: string): string {
  return text.replace(/[\u0000\uD800-\uDFFF]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * A copy of `value` with every NUL and lone surrogate (in strings and keys) replaced by U+FFFD, for
 * records that must be written whatever they quote: an audit entry of a refused request still
 * commits. Values that are already storable come back as they are.
 */
export function toStorable<T>(value: T): T {
  if (findUnstorableText(value) === undefined) return value;
  return scrub(value) as T;
}

const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

function scrub(value: unknown): unknown {
  if (typeof value === 'string') return value.replace(UNSTORABLE, '\uFFFD');
  if (value === null || typeof value !== 'object' || value instanceof Date) return value;
  if (Array.isArray(value)) return value.map(scrub);
  return Object.fromEntries(Object.entries(value as object).map(([k, v]) => [scrub(k) as string, scrub(v)]));
}

/** The refusal a caller reads: the field named first, as class-validator names fields. */
export function unstorableTextMessage(found: { path: string; reason: string }): string {
  return `${found.path} ${found.reason}`;
}

/**
 * Whether a JSON text may hold unstorable strings once parsed. A raw NUL is not valid JSON and a
 * decoded UTF-8 buffer cannot hold a lone surrogate, so only the escapes can carry either; most
 * messages have none and skip the walk.
 */
export function jsonMayHoldUnstorableText(text: string): boolean {
  return /\\u(0000|[dD][89abcdefABCDEF])/.test(text) || ANY_SURROGATE.test(text);
}
