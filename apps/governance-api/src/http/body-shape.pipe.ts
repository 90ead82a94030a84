import { type ArgumentMetadata, BadRequestException, Injectable, type PipeTransform } from '@nestjs/common';
import { findUnstorableText, unstorableTextMessage } from '@juggernaut/messaging';

/** Deepest nesting accepted in a request body (the same bound NATS payloads have). */
export const MAX_BODY_DEPTH = 32;
/** Keys that only ever serve prototype pollution; no DTO or payload uses them. */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Runs before validation on request bodies: refuses nesting deeper than MAX_BODY_DEPTH (which
 * would otherwise reach recursive transformers), prototype-pollution keys at any depth, and text
 * Postgres cannot store (NUL, lone UTF-16 surrogates), naming the field — the same check NATS
 * payloads get (`findUnstorableText` in @juggernaut/messaging). Such text would be accepted by
 * one write and refused by the next (the audit entry), so it never reaches a handler.
 */
@Injectable()
export class BodyShapePipe implements PipeTransform {
  transform(value: unknown, metadata: ArgumentMetadata): unknown {
    if (metadata.type !== 'body') return value;
    const problem = inspect(value, 0);
    if (problem) throw new BadRequestException([problem]);
    const unstorable = findUnstorableText(value);
    if (unstorable) throw new BadRequestException([unstorableTextMessage(unstorable)]);
    return value;
  }
}

function inspect(value: unknown, depth: number): string | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  if (depth >= MAX_BODY_DEPTH) return `body is nested deeper than ${MAX_BODY_DEPTH} levels`;
  for (const key of Object.keys(value)) {
    if (FORBIDDEN_KEYS.has(key)) return `body must not contain the key "${key}"`;
    const problem = inspect((value as Record<string, unknown>)[key], depth + 1);
    if (problem) return problem;
  }
  return undefined;
}
