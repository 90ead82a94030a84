/**
 * Removes secrets from anything about to be logged or shown to a model: registered secret values
 * (env secrets, API keys), credentials in URLs, bearer tokens and common key formats.
 */
const registered = new Set<string>();

export function registerSecret(value: string | undefined | null): void {
  if (value && value.length >= 4) registered.add(value);
}

const PATTERNS: Array<[RegExp, string]> = [
  [/(\b[a-z][a-z0-9+.-]*:\/\/[^\s:/@]*:)[^\s@/]+@/gi, '$1[REDACTED]@'],
  [/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/g, '$1 [REDACTED]'],
  [/\bsk-[A-Za-z0-9_-]{16,}/g, '[REDACTED]'],
  [/\bjg_[A-Za-z0-9_-]{16,}/g, '[REDACTED]'],
  [/\bgh[pousr]_[A-Za-z0-9]{20,}/g, '[REDACTED]'],
  [/\bAKIA[0-9A-Z]{16}\b/g, '[REDACTED]'],
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g, '[REDACTED]'],
];

const SECRET_FIELD = /pass(word)?|secret|token|api[-_]?key|authorization|credential|private[-_]?key/i;

export function redactString(input: string): string {
  let out = input;
  for (const value of registered) {
    if (out.includes(value)) out = out.split(value).join('[REDACTED]');
  }
  for (const [pattern, replacement] of PATTERNS) out = out.replace(pattern, replacement);
  return out;
}

/** Deep copy with secret-looking fields and values redacted. Cycles and depth are bounded. */
export function redact<T>(value: T, depth = 0): T {
  if (typeof value === 'string') return redactString(value) as T;
  if (value === null || typeof value !== 'object' || depth > 8) return value;
  if (value instanceof Error) {
    return { name: value.name, message: redactString(value.message), stack: value.stack && redactString(value.stack) } as T;
  }
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1)) as T;
  if (value instanceof Date) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    out[k] = SECRET_FIELD.test(k) && (typeof v === 'string' || typeof v === 'number') ? '[REDACTED]' : redact(v, depth + 1);
  }
  return out as T;
}
