import { plainToInstance } from 'class-transformer';
import {
  getMetadataStorage,
  validateSync,
  type ValidationArguments,
  type ValidationError,
  ValidationTypes,
} from 'class-validator';
import { findUnstorableText, jsonMayHoldUnstorableText, unstorableTextMessage } from './storable-text';
import { cacheValidationMetadata } from './validation-metadata-cache';

cacheValidationMetadata();

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

const decoder = new TextDecoder();
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * `validatePayload` for flat payload classes (no class-transformer decorators such as `@Type` or
 * `@Transform`): the body's fields are copied onto a new instance instead of going through
 * `plainToInstance`, which costs about twice the validation itself, and a valid body is recognised
 * by the class's compiled checks (see `compileChecks`) without class-validator's per-call metadata
 * walk. Same rules, same reasons; for high-volume consumers (ledger ingestion).
 */
export function validateFlatPayload<T extends object>(
  cls: new () => T,
  body: Uint8Array | string | unknown,
): Validated<T> {
  const parsed = parseBody(body);
  if (!parsed.ok) return parsed;
  for (const key of Object.keys(parsed.value)) {
    if (FORBIDDEN_KEYS.has(key)) return { ok: false, reason: `body has a forbidden key "${key}"` };
  }
  const instance = Object.assign(new cls(), parsed.value);
  let compiled = compiledChecks.get(cls);
  if (compiled === undefined) {
    compiled = compileChecks(cls);
    compiledChecks.set(cls, compiled);
  }
  // Only a pass is taken from the compiled checks; a failure is explained by class-validator itself.
  if (compiled && compiled(instance)) return { ok: true, value: instance };
  return check(instance);
}

type CompiledCheck = (instance: object) => boolean;
const compiledChecks = new WeakMap<object, CompiledCheck | null>();

/**
 * The class's validation rules as one function that answers "valid or not" the way `check` would
 * (whitelist with forbidNonWhitelisted, no groups), calling the very same constraint functions with
 * the same arguments, but reading the metadata once instead of on every call. Returns null when the
 * class uses anything it does not reproduce exactly (nested or promise validation, `@IsDefined`,
 * `each`, `validateIf`, groups, `always`, async constraints); such classes always go to class-validator.
 */
export function compileChecks(cls: new () => object): CompiledCheck | null {
  const storage = getMetadataStorage();
  const metadatas = storage.getTargetValidationMetadatas(cls, undefined as unknown as string, false, false, undefined);
  if (metadatas.length === 0) return null;
  interface Rule {
    condition: Array<(o: object, v: unknown) => boolean>;
    custom: Array<{ constraints: unknown[]; validate: (v: unknown, a: ValidationArguments) => unknown }>;
  }
  const rules = new Map<string, Rule>();
  for (const m of metadatas) {
    if (m.each || m.validateIf || m.always !== undefined || (m.groups && m.groups.length > 0)) return null;
    const rule = rules.get(m.propertyName) ?? { condition: [], custom: [] };
    rules.set(m.propertyName, rule);
    if (m.type === ValidationTypes.WHITELIST) continue;
    if (m.type === ValidationTypes.CONDITIONAL_VALIDATION) {
      rule.condition.push(m.constraints[0] as (o: object, v: unknown) => boolean);
    } else if (m.type === ValidationTypes.CUSTOM_VALIDATION) {
      const constraintMetas = storage.getTargetValidatorConstraints(m.constraintCls);
      for (const c of constraintMetas) {
        if (c.async) return null;
        const instance = c.instance as { validate: (v: unknown, a: ValidationArguments) => unknown };
        rule.custom.push({ constraints: m.constraints, validate: instance.validate.bind(instance) });
      }
    } else {
      return null;
    }
  }
  const properties = [...rules];
  const targetName = cls.name;
  return (instance) => {
    for (const key of Object.keys(instance)) if (!rules.has(key)) return false;
    const o = instance as Record<string, unknown>;
    // One arguments object per check, updated per constraint: the constraints are synchronous and
    // do not keep it (a constraint answering with a promise sends the body to class-validator).
    const args: ValidationArguments = { targetName, property: '', object: instance, value: undefined, constraints: [] };
    for (const [property, rule] of properties) {
      const value = o[property];
      let applies = true;
      for (const c of rule.condition) applies = c(instance, value) && applies;
      if (!applies) continue;
      args.property = property;
      args.value = value;
      for (const c of rule.custom) {
        args.constraints = c.constraints;
        const verdict = c.validate(value, args);
        if (!verdict || typeof (verdict as { then?: unknown }).then === 'function') return false;
      }
    }
    return true;
  };
}

function parseBody(body: Uint8Array | string | unknown): { ok: true; value: object } | { ok: false; reason: string } {
  let plain: unknown = body;
  // Only strings Postgres can store are accepted (see storable-text.ts). In a text body only JSON
  // escapes (or, in a JS string, raw surrogates) can carry the others: walk the parsed body only then.
  let mayHoldUnstorable = true;
  if (body instanceof Uint8Array || typeof body === 'string') {
    const text = typeof body === 'string' ? body : decoder.decode(body);
    try {
      plain = JSON.parse(text);
    } catch {
      return { ok: false, reason: 'body is not valid JSON' };
    }
    mayHoldUnstorable = jsonMayHoldUnstorableText(text);
  }
  if (plain === null || typeof plain !== 'object' || Array.isArray(plain)) {
    return { ok: false, reason: 'body must be a JSON object' };
  }
  if (depthOf(plain) > MAX_DEPTH) return { ok: false, reason: `body is nested deeper than ${MAX_DEPTH} levels` };
  const unstorable = mayHoldUnstorable ? findUnstorableText(plain) : undefined;
  if (unstorable) return { ok: false, reason: unstorableTextMessage(unstorable) };
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
