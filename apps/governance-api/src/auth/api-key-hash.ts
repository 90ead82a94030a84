import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** API keys are 256 random bits; storing their SHA-256 is enough (no salt needed for random secrets). */
export function hashKey(key: string): Buffer {
  return createHash('sha256').update(key, 'utf8').digest();
}

export function generateKey(): string {
  return `jg_${randomBytes(32).toString('base64url')}`;
}

/** What may be shown of a key after creation: enough to recognise it, never enough to use it. */
export function keyPrefix(key: string): string {
  return `${key.slice(0, 7)}…`;
}

export function sameHash(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
