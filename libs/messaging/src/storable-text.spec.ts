import { RevenueRecordedV1 } from '@juggernaut/contracts';
import { findUnstorableText, jsonMayHoldUnstorableText, toStorable, unstorableReason } from './storable-text';
import { validateFlatPayload, validatePayload } from './validate-payload';

describe('text every service can store', () => {
  it('accepts ordinary text, emoji (a surrogate pair) and the escape sequences spelled out', () => {
    for (const ok of ['', 'plain', 'Ω≈ç√', '😀', '𝕏'.repeat(20), 'C:\\ud800', 'a\\u0000b'])
      expect(unstorableReason(ok)).toBeUndefined();
  });

  it('refuses NUL, a lone high surrogate, a lone low surrogate and a pair in the wrong order', () => {
    expect(unstorableReason('a\u0000b')).toContain('NUL');
    for (const bad of ['\ud800', 'x\ud83d', '\udfff', 'a\ude00b', '\ude00\ud83d', '😀\ud800']) {
      expect({ bad: JSON.stringify(bad), reason: unstorableReason(bad) }).toEqual({
        bad: JSON.stringify(bad),
        reason: expect.stringContaining('lone UTF-16 surrogate'),
      });
    }
  });

  it('names the field where the text is, at any depth, in keys too', () => {
    expect(findUnstorableText({ title: 'ok', payload: { items: [{ name: 'fine' }, { name: '\ud800' }] } })).toEqual({
      path: 'payload.items.1.name',
      reason: expect.stringContaining('surrogate'),
    });
    expect(findUnstorableText({ payload: { ['k\udc00']: 1 } })?.path).toBe('payload.k\\udc00');
    expect(findUnstorableText('\ud800')?.path).toBe('body');
    expect(findUnstorableText({ a: [1, null, true, { b: '😀' }] })).toBeUndefined();
  });

  it('makes a storable copy for records that must be written whatever they quote', () => {
    const ok = { a: ['😀'] };
    expect(toStorable(ok)).toBe(ok);
    expect(toStorable({ body: { t: 'a\ud800b\u0000', ['k\udc00']: ['😀\udfff'] } })).toEqual({
      body: { t: 'a\ufffdb\ufffd', 'k\ufffd': ['😀\ufffd'] },
    });
    expect(findUnstorableText(toStorable({ x: '\ud83d' }))).toBeUndefined();
  });

  it('looks for escapes first, so most JSON texts are not walked', () => {
    expect(jsonMayHoldUnstorableText('{"a":"plain"}')).toBe(false);
    expect(jsonMayHoldUnstorableText('{"a":"\\ud800"}')).toBe(true);
    expect(jsonMayHoldUnstorableText('{"a":"\\uDBFF"}')).toBe(true);
    expect(jsonMayHoldUnstorableText('{"a":"\\u0000"}')).toBe(true);
    expect(jsonMayHoldUnstorableText('{"a":"\ud800"}')).toBe(true);
  });
});

describe('NATS payloads with lone surrogates', () => {
  const good = {
    eventId: 'e1',
    amountMinor: 1250,
    currency: 'USD',
    source: 'stripe',
    occurredAt: '2026-11-25T10:00:00Z',
  };

  it('are refused naming the field, whether the surrogate arrives as a JSON escape or in a string body', () => {
    const escaped = JSON.stringify({ ...good, description: 'caf\ud800' });
    expect(escaped).toContain('\\ud800');
    for (const validate of [validatePayload, validateFlatPayload]) {
      expect(validate(RevenueRecordedV1, escaped)).toEqual({
        ok: false,
        reason: 'description must not contain a lone UTF-16 surrogate (such as \\ud800)',
      });
      expect(validate(RevenueRecordedV1, new TextEncoder().encode(escaped))).toMatchObject({
        ok: false,
        reason: expect.stringMatching(/^description /),
      });
      expect(validate(RevenueRecordedV1, { ...good, description: '\udfff' })).toMatchObject({
        ok: false,
        reason: expect.stringMatching(/^description /),
      });
    }
    // a real pair, escaped, is fine
    expect(
      validatePayload(
        RevenueRecordedV1,
        JSON.stringify({ ...good, description: '\\ud83d\\ude00 is not a pair, 😀 is' }),
      ),
    ).toMatchObject({ ok: true });
    expect(
      validatePayload(
        RevenueRecordedV1,
        '{"eventId":"e1","amountMinor":1,"currency":"USD","source":"s","occurredAt":"2026-11-25T10:00:00Z","description":"\\ud83d\\ude00"}',
      ),
    ).toMatchObject({ ok: true });
  });
});
