import { type Cursor, type CursorIdShape, decodeCursor } from '@juggernaut/persistence';

/**
 * Decodes a list cursor and checks it can be bound as (timestamptz, id): a forged cursor is a
 * 400 naming the cursor, never a database error and never an empty page. Lists owned by other
 * services are checked here too, before the request is forwarded.
 */
export function checkedCursor(cursor: string | undefined, idShape: CursorIdShape): Cursor | undefined {
  const c = decodeCursor(cursor, idShape);
  return c && { at: new Date(c.at).toISOString(), id: c.id };
}
