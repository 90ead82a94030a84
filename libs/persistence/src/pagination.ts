/** Keyset pagination over (created_at, id): stable under inserts, no OFFSET scans. */
export interface Cursor {
  at: string;
  id: string;
}

/** What the id in a cursor must look like, per list: a uuid, or a bigint sequence. */
export type CursorIdShape = 'uuid' | 'bigint';

const ID_SHAPES: Record<CursorIdShape, RegExp> = {
  bigint: /^\d{1,18}$/,
  uuid: /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i,
};

export function encodeCursor(at: Date | string, id: string | number): string {
  const iso = typeof at === 'string' ? at : at.toISOString();
  return Buffer.from(JSON.stringify({ at: iso, id: String(id) })).toString('base64url');
}

/**
 * Returns undefined for a missing cursor and throws InvalidCursorError (a 400) for anything that is
 * not a cursor `encodeCursor` could have made: text that is not base64url (Node's decoder would
 * otherwise skip the characters it does not know and decode the rest), JSON of another shape, a
 * time that is not one, or, when the list says which, an id of the wrong shape — a forged cursor
 * is refused, never answered with an empty page.
 */
export function decodeCursor(cursor: string | undefined, idShape?: CursorIdShape): Cursor | undefined {
  if (cursor === undefined || cursor === '') return undefined;
  if (!/^[A-Za-z0-9_-]+$/.test(cursor) || cursor.length > 1_000) throw new InvalidCursorError();
  let parsed: Partial<Cursor>;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Partial<Cursor>;
  } catch {
    throw new InvalidCursorError();
  }
  if (parsed === null || typeof parsed !== 'object' || typeof parsed.at !== 'string' || typeof parsed.id !== 'string')
    throw new InvalidCursorError();
  const at = new Date(parsed.at);
  if (Number.isNaN(at.getTime()) || at.getUTCFullYear() < 1970 || at.getUTCFullYear() > 9999)
    throw new InvalidCursorError();
  if (idShape && !ID_SHAPES[idShape].test(parsed.id)) throw new InvalidCursorError();
  return { at: parsed.at, id: parsed.id };
}

export class InvalidCursorError extends Error {
  readonly status = 400;
  constructor() {
    super('cursor is not a cursor returned by this list');
  }
}
