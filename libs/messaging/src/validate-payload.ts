import { plainToInstance } from 'class-transformer';
import { validateSync, type ValidationError } from 'class-validator';

export type Validated<T> = { ok: true; value: T } | { ok: false; reason: string };

/** Largest nesting accepted in a message body; deeper input is refused before it is parsed into classes. */
const MAX_DEPTH = 32;

/**
 * Parses and validates a message body against its payload class: unknown fields are refused,
 * every offending field is named in the reason.
 */
export function validatePayload<T extends object>(cls: new () => T, body: Uint8Array | string | unknown): Validated<T> {
  const parsed = parseBody(body);
  if (!parsed.ok) return parsed;
  return check(plainToInstance(cls, parsed.value));
}

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * `validatePayload` for flat payload classes (no class-transformer decorators such as `@Type` or
 * `@Transform`): the body's fields are copied onto a new instance instead of going through
 * `plainToInstance`, which costs about twice the validation itself. Same rules, same reasons; for
 * high-volume consumers (ledger ingestion).
 */
export function validateFlatPayload<T extends object>(cls: new () => T, body: Uint8Array | string | unknown): Validated<T> {
  const parsed = parseBody(body);
  if (!parsed.ok) return parsed;
  for (const key of Object.keys(parsed.value)) {
    if (FORBIDDEN_KEYS.has(key)) return { ok: false, reason: `body has a forbidden key "${key}"` };
  }
  return check(Object.assign(new cls(), parsed.value));
}

function parseBody(body: Uint8Array | string | unknown): { ok: true; value: object } | { ok: false; reason: string } {
  let plain: unknown = body;
  if (body instanceof Uint8Array || typeof body === 'string') {
    const text = typeof body === 'string' ? body : new TextDecoder().decode(body);
    try {
      plain = JSON.parse(text);
    } catch {
      return { ok: false, reason: 'body is not valid JSON' };
    }
  }
  if (plain === null || typeof plain !== 'object' || Array.isArray(plain)) {
    return { ok: false, reason: 'body must be a JSON object' };
  }
  if (depthOf(plain) > MAX_DEPTH) return { ok: false, reason: `body is nested deeper than ${MAX_DEPTH} levels` };
  return { ok: true, value: plain };
}

function check<T extends object>(instance: T): Validated<T> {
  // forbidUnknownValues stays off: it would refuse payload classes with no fields (an empty request).
  const errors = validateSync(instance, { whitelist: true, forbidNonWhitelisted: true, forbidUnknownValues: false });
  if (errors.length > 0) return { ok: false, reason: formatValidationErrors(errors).join('; ') };
  return { ok: true, value: instance };
}

export function formatValidationErrors(errors: ValidationError[], parent = ''): string[] {
  const out: string[] = [];
  for (const e of errors) {
    const path = parent ? `${parent}.${e.property}` : e.property;
    for (const message of Object.values(e.constraints ?? {})) {
      out.push(message.startsWith(e.property) && parent ? `${parent}.${message}` : message);
    }
    if (e.children?.length) out.push(...formatValidationErrors(e.children, path));
  }
  return out;
}

function depthOf(value: unknown, depth = 0): number {
  if (depth > MAX_DEPTH) return depth;
  if (value === null || typeof value !== 'object') return depth;
  let max = depth + 1;
  for (const v of Object.values(value as object)) max = Math.max(max, depthOf(v, depth + 1));
  return max;
}
