/**
 * Removes secrets from anything about to be logged, stored, shown to a reader or to a model:
 * registered secret values (env secrets, API keys), credentials in URLs, bearer tokens, common
 * token formats, `NAME=value` assignments with a secret-sounding name, and whole values (strings,
 * numbers, objects, arrays) under secret-named fields, at any depth.
 */
const registered = new Set<string>();

export function registerSecret(value: string | undefined | null): void {
  if (value && value.length >= 4) registered.add(value);
}

export const REDACTED = '[REDACTED]';

/**
 * Field and variable names whose value is a secret: passwords, secrets, tokens, API keys,
 * authorization headers, credentials, private keys, cookies and session ids.
 */
const SECRET_NAME =
  /pass(word|wd|phrase)?|secret|token|api[-_]?key|authorization|credential|private[-_]?key|cookie|session[-_]?id/i;
/**
 * Names that match the above but hold counts or verdicts, not secrets: token usage reported by
 * model providers (`tokens`, `maxTokens`, `prompt_tokens`, `tokenCount`) and `passed`/`bypass`.
 */
const NOT_SECRET_NAME =
  /^(max|prompt|completion|input|output|total|cached|reasoning)?[-_]?tokens$|^(max|prompt|completion|input|output|total|cached|reasoning)[-_]?tokens?$|tokens?[-_]?(count|used|usage|limit)s?$|^(passed|passes|passing|bypass(ed)?|compass)$/i;

/** Whether a field (or `NAME=` variable) of this name holds a secret. */
export function isSecretName(name: string): boolean {
  return SECRET_NAME.test(name) && !NOT_SECRET_NAME.test(name);
}

const PATTERNS: Array<[RegExp, string]> = [
  // credentials in URLs: scheme://user:password@host
  [/(\b[a-z][a-z0-9+.-]*:\/\/[^\s:/@]*:)[^\s@/]+@/gi, `$1${REDACTED}@`],
  // Authorization header values ("bearer" in any case; "Basic" as written, since "basic" is a common word)
  [/\b(bearer)(\s+)[A-Za-z0-9._~+/=-]{8,}/gi, `$1$2${REDACTED}`],
  [/\b(Basic)(\s+)[A-Za-z0-9._~+/=-]{8,}/g, `$1$2${REDACTED}`],
  // JSON Web Tokens: header.payload.signature, the first two base64url JSON objects
  [/\beyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g, REDACTED],
  // OpenAI and Anthropic keys (sk-…, sk-proj-…, sk-ant-…)
  [/\bsk-[A-Za-z0-9_-]{16,}/g, REDACTED],
  // Juggernaut API keys
  [/\bjg_[A-Za-z0-9_-]{16,}/g, REDACTED],
  // GitHub: classic (ghp_, gho_, ghu_, ghs_, ghr_) and fine-grained personal access tokens
  [/\bgh[pousr]_[A-Za-z0-9]{20,}/g, REDACTED],
  [/\bgithub_pat_[A-Za-z0-9_]{20,}/g, REDACTED],
  // Slack bot, user, app and refresh tokens (xoxb-, xoxp-, xoxa-, xoxr-, xoxs-, xoxe-, xapp-)
  [/\bxox[abeoprs]-[A-Za-z0-9-]{10,}/g, REDACTED],
  [/\bxapp-[A-Za-z0-9-]{10,}/g, REDACTED],
  // Stripe secret and restricted keys
  [/\b[rs]k_(live|test)_[A-Za-z0-9]{16,}/g, REDACTED],
  // AWS access key ids; Google API keys
  [/\b(AKIA|ASIA)[0-9A-Z]{16}\b/g, REDACTED],
  [/\bAIza[0-9A-Za-z_-]{35}\b/g, REDACTED],
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g, REDACTED],
];

/**
 * `NAME=value` (shell, .env, query strings, log text) and `"name": "value"` (JSON inside text)
 * where the name is secret-sounding: the value is replaced, the name kept. Values already
 * redacted by a pattern above are left alone.
 */
// The look-behind makes a match start only at the start of a name, which keeps the scan linear.
const ASSIGNMENT = /(?<![A-Za-z0-9_.-])([A-Za-z_][A-Za-z0-9_.-]*)(\s*=\s*)(?:"([^"]*)"|'([^']*)'|([^\s"'&;,]+))/g;
const JSON_MEMBER = /"([A-Za-z_][A-Za-z0-9_.-]*)"(\s*:\s*)"((?:[^"\\]|\\.)*)"/g;

export function redactString(input: string): string {
  let out = input;
  for (const value of registered) {
    if (out.includes(value)) out = out.split(value).join(REDACTED);
  }
  for (const [pattern, replacement] of PATTERNS) out = out.replace(pattern, replacement);
  if (out.includes('=')) {
    out = out.replace(ASSIGNMENT, (whole, name: string, eq: string, dq?: string, sq?: string, bare?: string) => {
      const value = dq ?? sq ?? bare ?? '';
      if (!isSecretName(name) || value === REDACTED || value === '') return whole;
      const quote = dq !== undefined ? '"' : sq !== undefined ? "'" : '';
      return `${name}${eq}${quote}${REDACTED}${quote}`;
    });
  }
  if (out.includes('":')) {
    out = out.replace(JSON_MEMBER, (whole, name: string, colon: string, value: string) =>
      isSecretName(name) && value !== REDACTED ? `"${name}"${colon}"${REDACTED}"` : whole,
    );
  }
  return out;
}

/**
 * Nesting beyond which a value is replaced whole rather than walked: far past anything the
 * services accept (32 levels), and shallow enough that the walk cannot exhaust the stack.
 */
const MAX_WALK_DEPTH = 1_000;

/**
 * Deep copy with secret-looking fields and values redacted, at any depth: a value under a
 * secret-named field is replaced whole (whatever its type), strings everywhere else are redacted
 * by pattern. Cycles are cut; anything nested deeper than MAX_WALK_DEPTH is replaced, never shown.
 */
export function redact<T>(value: T): T {
  return walk(value, 0, new WeakSet()) as T;
}

function walk(value: unknown, depth: number, seen: WeakSet<object>): unknown {
  if (typeof value === 'string') return redactString(value);
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof Date) return value;
  if (depth >= MAX_WALK_DEPTH) return REDACTED;
  if (seen.has(value)) return '[Circular]';
  seen.add(value);
  try {
    if (value instanceof Error) {
      return {
        name: value.name,
        message: redactString(value.message),
        stack: value.stack && redactString(value.stack),
      };
    }
    if (Array.isArray(value)) return value.map((v) => walk(v, depth + 1, seen));
    if (ArrayBuffer.isView(value)) return value;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      // A boolean or null under a secret name says only whether there is one; anything else is the secret.
      out[k] =
        isSecretName(k) && v !== null && v !== undefined && typeof v !== 'boolean'
          ? REDACTED
          : walk(v, depth + 1, seen);
    }
    return out;
  } finally {
    // Only ancestors count as cycles: the same object twice side by side is shown twice.
    seen.delete(value);
  }
}
