import { decodeCursor, encodeCursor, InvalidCursorError } from './pagination';

describe('list cursors', () => {
  const at = '2026-01-01T00:00:00.000Z';

  it('decode what encodeCursor made, and nothing for no cursor', () => {
    expect(decodeCursor(encodeCursor(at, 42), 'bigint')).toEqual({ at, id: '42' });
    expect(decodeCursor(encodeCursor(new Date(at), '7d1f0c9e-5a57-4c39-9c3e-0a6cf0c5a001'), 'uuid')).toEqual({
      at,
      id: '7d1f0c9e-5a57-4c39-9c3e-0a6cf0c5a001',
    });
    expect(decodeCursor(undefined)).toBeUndefined();
    expect(decodeCursor('')).toBeUndefined();
  });

  it.each([
    ['text that is not base64url', 'garbage!!'],
    ['a real cursor with characters the decoder would skip', `${encodeCursor(at, 1)}%%`],
    ['base64url that is not JSON', Buffer.from('hello').toString('base64url')],
    ['JSON of another shape', Buffer.from(JSON.stringify({ at, id: 1 })).toString('base64url')],
    ['JSON null', Buffer.from('null').toString('base64url')],
    ['a time that is not one', Buffer.from(JSON.stringify({ at: 'yesterday', id: '1' })).toString('base64url')],
    [
      'a time past year 9999',
      Buffer.from(JSON.stringify({ at: '+275760-01-01T00:00:00Z', id: '1' })).toString('base64url'),
    ],
  ])('refuses %s', (_, cursor) => {
    expect(() => decodeCursor(cursor)).toThrow(InvalidCursorError);
  });

  it('refuses an id of the wrong shape for the list, as a forged cursor would carry', () => {
    const forged = encodeCursor(at, 'x; DROP TABLE');
    expect(() => decodeCursor(forged, 'bigint')).toThrow(InvalidCursorError);
    expect(() => decodeCursor(forged, 'uuid')).toThrow(InvalidCursorError);
    expect(() => decodeCursor(encodeCursor(at, '12'), 'uuid')).toThrow(InvalidCursorError);
    expect(() => decodeCursor(encodeCursor(at, '7d1f0c9e-5a57-4c39-9c3e-0a6cf0c5a001'), 'bigint')).toThrow(
      InvalidCursorError,
    );
    expect(new InvalidCursorError().status).toBe(400);
  });
});
