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

/**
 * Whether a presented token could be a key at all: keys this service issues are 46 characters and a
 * configured bootstrap key at least 24 (JUGGERNAUT_ADMIN_KEY), all printable ASCII without spaces.
 * Anything else is refused without a database lookup.
 */
export function isWellFormedKey(presented: string): boolean {
  return presented.length >= 24 && presented.length <= 512 && /^[\x21-\x7e]+$/.test(presented);
}

export function sameHash(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
