/** The lines one file's part of a unified diff adds and removes, with their line numbers. */
export interface FilePatch {
  path: string;
  oldPath?: string;
  added: Array<{ line: number; text: string }>;
  removed: Array<{ line: number; text: string }>;
}

/** Splits a `git diff` patch into per-file added and removed lines. Every line of every hunk is kept. */
export function parsePatch(patch: string): FilePatch[] {
  const files: FilePatch[] = [];
  let cur: FilePatch | undefined;
  let oldLine = 0;
  let newLine = 0;
  // Lines left in the current hunk, from its header: a hunk ends by count, so no content line is ever
  // mistaken for a header (and nothing after it skipped).
  let oldLeft = 0;
  let newLeft = 0;
  let sawHunk = false;
  for (const raw of patch.split('\n')) {
    if (oldLeft > 0 || newLeft > 0) {
      if (raw.startsWith('+')) {
        cur!.added.push({ line: newLine++, text: raw.slice(1) });
        newLeft--;
      } else if (raw.startsWith('-')) {
        cur!.removed.push({ line: oldLine++, text: raw.slice(1) });
        oldLeft--;
      } else if (raw.startsWith(' ') || raw === '') {
        oldLine++;
        newLine++;
        oldLeft--;
        newLeft--;
      }
      continue;
    }
    if (raw.startsWith('diff --git ')) {
      const [a, b] = headerPaths(raw.slice('diff --git '.length));
      cur = { path: b ?? a ?? '(unknown)', ...(a ? { oldPath: a } : {}), added: [], removed: [] };
      files.push(cur);
      sawHunk = false;
      continue;
    }
    if (!cur || (sawHunk && raw.startsWith('--- '))) {
      // A plain `diff -u` without git's header lines: each ---/+++ pair starts a file.
      if (!raw.startsWith('--- ')) continue;
      cur = { path: '(unknown)', added: [], removed: [] };
      files.push(cur);
      sawHunk = false;
    }
    if (raw.startsWith('--- ')) {
      const name = sidePath(raw.slice(4), 'a/');
      if (name) cur.oldPath = name;
      continue;
    }
    if (raw.startsWith('+++ ')) {
      const name = sidePath(raw.slice(4), 'b/');
      if (name) cur.path = name;
      continue;
    }
    const hunk = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@/.exec(raw);
    if (hunk) {
      oldLine = Number(hunk[1]);
      oldLeft = hunk[2] === undefined ? 1 : Number(hunk[2]);
      newLine = Number(hunk[3]);
      newLeft = hunk[4] === undefined ? 1 : Number(hunk[4]);
      sawHunk = true;
    }
  }
  for (const f of files) if (f.oldPath === f.path) delete f.oldPath;
  return files;
}

/** The two paths of a `diff --git a/X b/Y` header, either of which may be C-quoted. */
function headerPaths(rest: string): [string | undefined, string | undefined] {
  const tokens: string[] = [];
  let i = 0;
  while (i < rest.length && tokens.length < 2) {
    if (rest[i] === ' ') {
      i++;
      continue;
    }
    if (rest[i] === '"') {
      const end = closingQuote(rest, i);
      tokens.push(unquote(rest.slice(i, end + 1)));
      i = end + 1;
    } else if (tokens.length === 0) {
      // Unquoted: the split between the two names is the " b/" that leaves equal halves, or the first one.
      const mid = rest.indexOf(' b/', i);
      if (mid < 0) break;
      const half = (rest.length - i - 1) / 2;
      const equal = rest.slice(i, i + half) === `a/${rest.slice(i + half + 3)}` ? i + half : mid;
      tokens.push(rest.slice(i, equal));
      i = equal + 1;
    } else {
      tokens.push(rest.slice(i));
      i = rest.length;
    }
  }
  const strip = (t: string | undefined, prefix: string) =>
    t && t.startsWith(prefix) ? t.slice(prefix.length) : undefined;
  return [strip(tokens[0], 'a/'), strip(tokens[1], 'b/')];
}

function sidePath(s: string, prefix: string): string | undefined {
  const name = (s.startsWith('"') ? unquote(s.slice(0, closingQuote(s, 0) + 1)) : s.replace(/\t.*$/, '')).trimEnd();
  if (name === '/dev/null') return undefined;
  return name.startsWith(prefix) ? name.slice(prefix.length) : name;
}

function closingQuote(s: string, start: number): number {
  for (let i = start + 1; i < s.length; i++) {
    if (s[i] === '\\') i++;
    else if (s[i] === '"') return i;
  }
  return s.length - 1;
}

/** Undoes git's C-style quoting of a path (octal bytes for non-ASCII, \\, \", \t, \n). */
export function unquote(q: string): string {
  if (!q.startsWith('"')) return q;
  const body = q.slice(1, q.endsWith('"') ? -1 : undefined);
  const bytes: number[] = [];
  const escapes: Record<string, number> = { n: 10, t: 9, r: 13, a: 7, b: 8, f: 12, v: 11, '\\': 92, '"': 34 };
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c !== '\\') {
      bytes.push(...Buffer.from(c, 'utf8'));
      continue;
    }
    const next = body[i + 1] ?? '';
    if (/[0-7]/.test(next)) {
      bytes.push(parseInt(body.slice(i + 1, i + 4), 8));
      i += 3;
    } else {
      bytes.push(escapes[next] ?? next.charCodeAt(0));
      i += 1;
    }
  }
  return Buffer.from(bytes).toString('utf8');
}
