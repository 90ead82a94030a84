import { type ArgumentMetadata, BadRequestException, Injectable, type PipeTransform } from '@nestjs/common';

/** Deepest nesting accepted in a request body (the same bound NATS payloads have). */
export const MAX_BODY_DEPTH = 32;
/** Keys that only ever serve prototype pollution; no DTO or payload uses them. */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Runs before validation on request bodies: refuses nesting deeper than MAX_BODY_DEPTH (which
 * would otherwise reach recursive transformers), prototype-pollution keys at any depth, and NUL
 * characters, which Postgres text cannot store.
 */
@Injectable()
export class BodyShapePipe implements PipeTransform {
  transform(value: unknown, metadata: ArgumentMetadata): unknown {
    if (metadata.type !== 'body') return value;
    const problem = inspect(value, 0);
    if (problem) throw new BadRequestException([problem]);
    return value;
  }
}

function inspect(value: unknown, depth: number): string | undefined {
  // Postgres text cannot hold NUL: refuse it here with a message instead of at the database.
  if (typeof value === 'string') return value.includes('\u0000') ? 'body strings must not contain NUL (\\u0000) characters' : undefined;
  if (value === null || typeof value !== 'object') return undefined;
  if (depth >= MAX_BODY_DEPTH) return `body is nested deeper than ${MAX_BODY_DEPTH} levels`;
  for (const key of Object.keys(value)) {
    if (FORBIDDEN_KEYS.has(key)) return `body must not contain the key "${key}"`;
    if (key.includes('\u0000')) return 'body keys must not contain NUL (\\u0000) characters';
    const problem = inspect((value as Record<string, unknown>)[key], depth + 1);
    if (problem) return problem;
  }
  return undefined;
}
