import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/**
 * Checks the relative links of Markdown files, without the network: every link to a file must name
 * one that exists, and every anchor (`#heading`) must be one a heading of the target produces under
 * GitHub's rules (or an explicit `<a id>`/`<a name>`). Links in code blocks and code spans are text,
 * not links; links with a scheme (https:, mailto:) are not followed.
 */

/** A Markdown document: its path (used to resolve its links) and its text. */
export interface MarkdownDoc {
  path: string;
  text: string;
}

/** Lines outside fenced code blocks, with their 1-based numbers. */
function proseLines(text: string): Array<{ line: number; text: string }> {
  const out: Array<{ line: number; text: string }> = [];
  let fence: string | null = null;
  text.split('\n').forEach((raw, i) => {
    const marker = /^\s*(`{3,}|~{3,})/.exec(raw);
    if (marker) {
      const m = marker[1];
      if (fence === null) fence = m;
      else if (m[0] === fence[0] && m.length >= fence.length) fence = null;
      return;
    }
    if (fence === null) out.push({ line: i + 1, text: raw });
  });
  return out;
}

/** The visible text of a heading's Markdown: code spans, links, images and emphasis reduced to their text. */
function headingText(markdown: string): string {
  return markdown
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/<[^>]+>/g, '')
    .replace(/`([^`]*)`/g, '$1')
    .replace(/(\*{1,3})(\S(?:.*?\S)?)\1/g, '$2')
    .replace(/(^|\W)(_{1,3})(\S(?:.*?\S)?)\2(?=\W|$)/g, '$1$3');
}

/** GitHub's slug of a heading: lower case, punctuation other than - and _ removed, each space a hyphen. */
export function slug(heading: string): string {
  return headingText(heading)
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
    .replace(/ /g, '-');
}

/** Every anchor a document defines: its headings' slugs (repeats numbered -1, -2 as GitHub does) and HTML ids. */
export function anchors(text: string): Set<string> {
  const found = new Set<string>();
  const seen = new Map<string, number>();
  for (const { text: line } of proseLines(text)) {
    const heading = /^ {0,3}#{1,6}\s+(.*?)(?:\s+#+)?\s*$/.exec(line);
    if (heading) {
      const base = slug(heading[1]);
      const n = seen.get(base) ?? 0;
      seen.set(base, n + 1);
      found.add(n === 0 ? base : `${base}-${n}`);
    }
    for (const m of line.matchAll(/<a\s+(?:[^>]*\s)?(?:id|name)="([^"]+)"/g)) found.add(m[1]);
  }
  return found;
}

/** Every link target of a document outside code, with its line. */
export function links(text: string): Array<{ line: number; target: string }> {
  const out: Array<{ line: number; target: string }> = [];
  for (const { line, text: raw } of proseLines(text)) {
    const prose = raw.replace(/(`+)(?:(?!\1).)+\1/g, '');
    for (const m of prose.matchAll(/\]\(\s*(<[^>]*>|[^)\s]+)(?:\s+"[^"]*")?\s*\)/g)) {
      out.push({ line, target: m[1].replace(/^<|>$/g, '') });
    }
    const definition = /^ {0,3}\[[^\]]+\]:\s*(<[^>]*>|\S+)/.exec(prose);
    if (definition) out.push({ line, target: definition[1].replace(/^<|>$/g, '') });
  }
  return out;
}

/**
 * The broken relative links of `docs`, one line each (`file:line: target: what is wrong`). `read`
 * returns a file's text, or null when there is no such file; `isDir` says whether a path is a folder.
 */
export function brokenLinks(
  docs: MarkdownDoc[],
  read: (path: string) => string | null,
  isDir: (path: string) => boolean,
): string[] {
  const problems: string[] = [];
  const anchorCache = new Map<string, Set<string>>();
  const anchorsOf = (path: string, text: string) => {
    let set = anchorCache.get(path);
    if (!set) anchorCache.set(path, (set = anchors(text)));
    return set;
  };
  for (const doc of docs) {
    for (const { line, target } of links(doc.text)) {
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue;
      const hash = target.indexOf('#');
      const file = decodeURIComponent(hash < 0 ? target : target.slice(0, hash));
      const anchor = hash < 0 ? null : decodeURIComponent(target.slice(hash + 1));
      const path = file === '' ? doc.path : join(dirname(doc.path), file).replace(/\/$/, '');
      const where = `${doc.path}:${line}: ${target}`;
      if (isDir(path)) {
        if (anchor !== null) problems.push(`${where}: an anchor on a folder`);
        continue;
      }
      const text = path === doc.path ? doc.text : read(path);
      if (text === null) {
        problems.push(`${where}: no such file ${path}`);
        continue;
      }
      if (anchor !== null && /\.md$/i.test(path) && !anchorsOf(path, text).has(anchor)) {
        problems.push(`${where}: no heading in ${path} makes the anchor #${anchor}`);
      }
    }
  }
  return problems;
}

/** README.md and every Markdown file under docs/, relative to the repository root. */
export function repositoryDocs(root: string): MarkdownDoc[] {
  const walk = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? walk(join(dir, e.name)) : e.name.endsWith('.md') ? [join(dir, e.name)] : [],
    );
  return ['README.md', ...walk(join(root, 'docs')).map((p) => relative(root, p))]
    .sort()
    .map((path) => ({ path, text: readFileSync(join(root, path), 'utf8') }));
}

/** Reading from the working tree under `root`, for brokenLinks. */
export function fileSystem(root: string): { read: (p: string) => string | null; isDir: (p: string) => boolean } {
  return {
    read: (p) => {
      const abs = resolve(root, p);
      return existsSync(abs) && statSync(abs).isFile() ? readFileSync(abs, 'utf8') : null;
    },
    isDir: (p) => {
      const abs = resolve(root, p);
      return existsSync(abs) && statSync(abs).isDirectory();
    },
  };
}
