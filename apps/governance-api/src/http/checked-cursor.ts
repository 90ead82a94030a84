import { type Cursor, decodeCursor, InvalidCursorError } from '@juggernaut/persistence';

const ID_SHAPES = {
  bigint: /^\d{1,18}$/,
  uuid: /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i,
} as const;

/**
 * Decodes a list cursor and checks it can be bound as (timestamptz, id): a forged cursor is a
 * 400 naming the cursor, never a database error.
 */
export function checkedCursor(cursor: string | undefined, idShape: keyof typeof ID_SHAPES): Cursor | undefined {
  const c = decodeCursor(cursor);
  if (!c) return undefined;
  const at = new Date(c.at);
  if (!ID_SHAPES[idShape].test(c.id) || Number.isNaN(at.getTime()) || at.getUTCFullYear() < 1970 || at.getUTCFullYear() > 9999) {
    throw new InvalidCursorError();
  }
  return { at: at.toISOString(), id: c.id };
}
