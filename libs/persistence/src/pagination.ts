/** Keyset pagination over (created_at, id): stable under inserts, no OFFSET scans. */
export interface Cursor {
  at: string;
  id: string;
}

export function encodeCursor(at: Date | string, id: string | number): string {
  const iso = typeof at === 'string' ? at : at.toISOString();
  return Buffer.from(JSON.stringify({ at: iso, id: String(id) })).toString('base64url');
}

/** Returns undefined for a missing cursor; throws a message naming the field for a malformed one. */
export function decodeCursor(cursor: string | undefined): Cursor | undefined {
  if (!cursor) return undefined;
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Partial<Cursor>;
    if (typeof parsed.at === 'string' && typeof parsed.id === 'string' && !Number.isNaN(Date.parse(parsed.at))) {
      return { at: parsed.at, id: parsed.id };
    }
  } catch {
    // fall through
  }
  throw new InvalidCursorError();
}

export class InvalidCursorError extends Error {
  readonly status = 400;
  constructor() {
    super('cursor is not a cursor returned by this list');
  }
}
