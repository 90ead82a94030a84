import { parsePatch, unquote } from './patch-lines';

describe('patch parsing', () => {
  it('keeps added and removed lines with their numbers, per file', () => {
    const patch = [
      'diff --git a/src/a.js b/src/a.js',
      'index 1..2 100644',
      '--- a/src/a.js',
      '+++ b/src/a.js',
      '@@ -3,3 +3,3 @@ function f() {',
      ' keep',
      '-old',
      '+new',
      ' keep',
      '@@ -20,1 +20,2 @@',
      ' x',
      '+-- not a header: an added line starting with dashes',
      'diff --git a/gone.txt b/gone.txt',
      'deleted file mode 100644',
      '--- a/gone.txt',
      '+++ /dev/null',
      '@@ -1 +0,0 @@',
      '-bye',
      '',
    ].join('\n');
    expect(parsePatch(patch)).toEqual([
      {
        path: 'src/a.js',
        added: [
          { line: 4, text: 'new' },
          { line: 21, text: '-- not a header: an added line starting with dashes' },
        ],
        removed: [{ line: 4, text: 'old' }],
      },
      { path: 'gone.txt', added: [], removed: [{ line: 1, text: 'bye' }] },
    ]);
  });

  it('reads quoted, non-ASCII and spaced names, and renames', () => {
    const patch = [
      'diff --git "a/t\\303\\253st file.js" "b/t\\303\\253st file.js"',
      'new file mode 100644',
      '--- /dev/null',
      '+++ "b/t\\303\\253st file.js"',
      '@@ -0,0 +1 @@',
      '+secret',
      'diff --git a/my dir/a b.js b/my dir/a b.js',
      '--- a/my dir/a b.js',
      '+++ b/my dir/a b.js',
      '@@ -1 +1 @@',
      '-x',
      '+y',
      'diff --git a/old.js b/new.js',
      'similarity index 90%',
      'rename from old.js',
      'rename to new.js',
      '--- a/old.js',
      '+++ b/new.js',
      '@@ -1 +1 @@',
      '-1',
      '+2',
      '',
    ].join('\n');
    expect(parsePatch(patch).map((f) => [f.path, f.oldPath, f.added.map((l) => l.text)])).toEqual([
      ['tëst file.js', undefined, ['secret']],
      ['my dir/a b.js', undefined, ['y']],
      ['new.js', 'old.js', ['2']],
    ]);
    expect(unquote('"a\\\\b\\"c\\td"')).toBe('a\\b"c\td');
  });

  it('reads a plain diff -u without git headers', () => {
    expect(
      parsePatch(
        [
          '--- src/a.js\t2024-01-01',
          '+++ src/a.js\t2024-01-02',
          '@@ -1 +1 @@',
          '-a',
          '+b',
          '--- b.js',
          '+++ b.js',
          '@@ -0,0 +1 @@',
          '+c',
          '',
        ].join('\n'),
      ),
    ).toEqual([
      { path: 'src/a.js', added: [{ line: 1, text: 'b' }], removed: [{ line: 1, text: 'a' }] },
      { path: 'b.js', added: [{ line: 1, text: 'c' }], removed: [] },
    ]);
  });

  it('never takes a content line for a header: hunks end by their line counts', () => {
    const patch = [
      'diff --git a/a.txt b/a.txt',
      '--- a/a.txt',
      '+++ b/a.txt',
      '@@ -1,2 +1,2 @@',
      '--- a/other',
      '-+++ b/other',
      '+@@ -1 +1 @@',
      '+token',
      '',
    ].join('\n');
    expect(parsePatch(patch)).toEqual([
      {
        path: 'a.txt',
        added: [
          { line: 1, text: '@@ -1 +1 @@' },
          { line: 2, text: 'token' },
        ],
        removed: [
          { line: 1, text: '-- a/other' },
          { line: 2, text: '+++ b/other' },
        ],
      },
    ]);
  });
});
