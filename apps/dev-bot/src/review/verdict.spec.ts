import { parseVerdict } from './verdict';

describe('the reviewer verdict', () => {
  it('accepts exactly {approve, reasons}, fenced or not', () => {
    expect(parseVerdict('{"approve": true, "reasons": ["small and tested"]}')).toEqual({
      approve: true,
      reasons: ['small and tested'],
      valid: true,
    });
    expect(parseVerdict('```json\n{"approve": false, "reasons": ["no test"]}\n```')).toEqual({
      approve: false,
      reasons: ['no test'],
      valid: true,
    });
  });

  it('counts anything else as no, saying why', () => {
    const cases: Array<[string | null, string]> = [
      ['LGTM!', 'did not answer with JSON'],
      [null, 'did not answer with JSON'],
      ['[true]', 'not a JSON object'],
      ['{"approve": "yes", "reasons": []}', 'no boolean "approve"'],
      ['{"approve": true}', '"reasons" is not a list of strings'],
      ['{"approve": true, "reasons": [1]}', '"reasons" is not a list of strings'],
      ['{"approve": true, "reasons": [], "override": true}', 'unexpected fields: override'],
    ];
    for (const [content, why] of cases) {
      const v = parseVerdict(content);
      expect(v.approve).toBe(false);
      expect(v.valid).toBe(false);
      expect(v.reasons[0]).toContain(why);
    }
  });

  it('gives a rejection without reasons a reason', () => {
    expect(parseVerdict('{"approve": false, "reasons": []}').reasons).toEqual([
      'the reviewer rejected the change without giving a reason',
    ]);
  });
});
