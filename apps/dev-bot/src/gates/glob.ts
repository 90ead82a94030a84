/**
 * Path globs as in .gitignore, enough for path policies: `*` and `?` stay within one path segment, `**`
 * crosses segments, `{a,b}` alternates, and a pattern without a slash matches the file name at any depth.
 */
export function globToRegExp(glob: string): RegExp {
  const anchored = glob.includes('/') && !glob.startsWith('**/');
  const body = glob.replace(/^\/+/, '');
  let re = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c === '*') {
      if (body[i + 1] === '*') {
        const slashAfter = body[i + 2] === '/';
        re += slashAfter ? '(?:.*/)?' : '.*';
        i += slashAfter ? 2 : 1;
      } else {
        re += '[^/]*';
      }
    } else if (c === '?') {
      re += '[^/]';
    } else if (c === '{') {
      const end = body.indexOf('}', i);
      if (end < 0) {
        re += '\\{';
        continue;
      }
      re += `(?:${body
        .slice(i + 1, end)
        .split(',')
        .map((alt) => globToRegExp(alt).source.replace(/^\^(?:\(\?:\.\*\/\)\?)?|\$$/g, ''))
        .join('|')})`;
      i = end;
    } else {
      re += c.replace(/[.+^$()|[\]\\]/g, '\\$&');
    }
  }
  return new RegExp(anchored ? `^${re}$` : `^(?:.*/)?${re}$`);
}

/** One compiled list of globs; a pattern starting with `!` excludes again, and the last match wins. */
export class PathMatcher {
  private readonly rules: Array<{ negate: boolean; re: RegExp; glob: string }>;

  constructor(globs: readonly string[]) {
    this.rules = globs
      .map((g) => g.trim())
      .filter((g) => g && !g.startsWith('#'))
      .map((g) => {
        const negate = g.startsWith('!');
        const glob = negate ? g.slice(1) : g;
        return { negate, re: globToRegExp(glob), glob };
      });
  }

  /** The glob that decides `path` is in the list, or null when it is not. */
  match(path: string): string | null {
    let hit: string | null = null;
    for (const r of this.rules) {
      if (r.re.test(path)) hit = r.negate ? null : r.glob;
    }
    return hit;
  }
}
