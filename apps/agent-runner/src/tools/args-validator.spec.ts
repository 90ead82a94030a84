import { ArgsValidator } from './args-validator';
import type { JsonSchema } from './tool';

const schema: JsonSchema = {
  type: 'object',
  properties: { url: { type: 'string' }, n: { type: 'integer', minimum: 1 }, id: { type: 'string', format: 'uuid' } },
  required: ['url'],
  additionalProperties: false,
};

describe('tool argument validation', () => {
  const v = new ArgsValidator();
  it('accepts valid arguments', () =>
    expect(v.check(schema, { url: 'https://x', n: 2, id: '00000000-0000-4000-8000-000000000000' })).toBeNull());
  it('names each offending field', () => {
    const r = v.check(schema, { n: 0, extra: true, id: 'nope' })!;
    expect(r).toContain("must have required property 'url'");
    expect(r).toContain('/n must be >= 1');
    expect(r).toContain('extra');
    expect(r).toContain('/id must match format "uuid"');
  });
});
