import { BadRequestException } from '@nestjs/common';
import { BodyShapePipe, MAX_BODY_DEPTH } from './body-shape.pipe';

const pipe = new BodyShapePipe();
const asBody = (v: unknown) => () => pipe.transform(v, { type: 'body' });
/** The message a caller would read in the 400 body. */
function refusal(v: unknown): string {
  try {
    pipe.transform(v, { type: 'body' });
  } catch (e) {
    expect(e).toBeInstanceOf(BadRequestException);
    return JSON.stringify((e as BadRequestException).getResponse());
  }
  return 'accepted';
}

function nested(levels: number): unknown {
  let v: unknown = 1;
  for (let i = 0; i < levels; i++) v = i % 2 ? [v] : { a: v };
  return v;
}

describe('BodyShapePipe', () => {
  it('passes ordinary bodies through unchanged', () => {
    const body = { a: [1, { b: 'c' }], d: null };
    expect(pipe.transform(body, { type: 'body' })).toBe(body);
    expect(asBody(nested(MAX_BODY_DEPTH - 1))).not.toThrow();
  });

  it('refuses nesting deeper than the limit', () => {
    expect(refusal(nested(MAX_BODY_DEPTH + 1))).toContain('nested deeper');
    expect(refusal(nested(100_000))).toContain('nested deeper');
  });

  it('refuses prototype-pollution keys at any depth, as JSON.parse produces them', () => {
    expect(refusal(JSON.parse('{"__proto__": {"admin": true}}'))).toContain('__proto__');
    expect(refusal(JSON.parse('{"payload": {"x": [{"constructor": {"prototype": {}}}]}}'))).toContain('constructor');
  });

  it('refuses NUL characters in strings and keys, which Postgres cannot store', () => {
    expect(refusal({ message: 'a\u0000b' })).toContain('NUL');
    expect(refusal({ payload: { 'k\u0000': 1 } })).toContain('NUL');
    expect(refusal({ message: 'a\u0000b' })).toContain('message');
  });

  it('refuses lone UTF-16 surrogates, which jsonb (and so the audit log) cannot store, naming the field', () => {
    expect(refusal({ title: '\ud800' })).toBe(
      JSON.stringify({
        message: ['title must not contain a lone UTF-16 surrogate (such as \\ud800)'],
        error: 'Bad Request',
        statusCode: 400,
      }),
    );
    expect(refusal({ payload: { notes: ['ok', 'x\udfff'] } })).toContain(
      'payload.notes.1 must not contain a lone UTF-16 surrogate',
    );
    expect(refusal(JSON.parse('{"description": "\\ud83d"}'))).toContain('description must not');
    expect(pipe.transform({ title: 'emoji 😀 is a pair' }, { type: 'body' })).toEqual({ title: 'emoji 😀 is a pair' });
  });

  it('leaves query strings and path parameters to their own validation', () => {
    expect(pipe.transform({ __proto__x: 1 }, { type: 'query' })).toEqual({ __proto__x: 1 });
  });
});
