import { branchFor, slugOf, titleFrom } from './branch-name';

describe('branch names', () => {
  it('slugs a title into lower-case words joined by dashes, without accents or punctuation', () => {
    expect(slugOf('Add a --verbose flag: prints each Step!')).toBe('add-a-verbose-flag-prints-each-step');
    expect(slugOf('Crème brûlée ünïcode')).toBe('creme-brulee-unicode');
  });

  it('never yields an empty or over-long slug, nor one ending in a dash', () => {
    expect(slugOf('!!!')).toBe('change');
    const long = slugOf('word '.repeat(30));
    expect(long.length).toBeLessThanOrEqual(40);
    expect(long.endsWith('-')).toBe(false);
  });

  it('puts every branch under juggernaut/ with the change id', () => {
    expect(branchFor('4f1c2b7e-0000-4000-8000-000000000001', 'Fix ../../etc/passwd')).toBe(
      'juggernaut/4f1c2b7e-0000-4000-8000-000000000001-fix-etc-passwd',
    );
  });

  it('takes a title from the first line of the goal, cut at a word', () => {
    expect(titleFrom('Add a flag\nand more details')).toBe('Add a flag');
    const t = titleFrom(`${'make the thing faster '.repeat(10)}`);
    expect(t.length).toBeLessThanOrEqual(81);
    expect(t.endsWith('…')).toBe(true);
  });
});
