import { createHash } from 'node:crypto';
import { TerminalTaskError } from './task-handler';

/** A feed opportunity.scan reads, named in AGENT_SCAN_SOURCES. */
export interface ScanSource {
  name: string;
  url: string;
  kind: 'json' | 'rss';
}

export interface FeedItem {
  source: string;
  title: string;
  summary: string;
  link: string | null;
  /** Stable across scans: the same item found again is the same opportunity. */
  key: string;
}

export function parseScanSources(json: string | undefined): ScanSource[] {
  if (!json) return [];
  const parsed = JSON.parse(json) as unknown;
  if (!Array.isArray(parsed)) throw new Error('AGENT_SCAN_SOURCES must be a JSON array of {name, url, kind}');
  return parsed.map((s: Partial<ScanSource>, i) => {
    if (!s || typeof s.name !== 'string' || !/^[a-z0-9][a-z0-9_.-]{0,63}$/.test(s.name))
      throw new Error(`AGENT_SCAN_SOURCES[${i}].name must be a short lowercase name`);
    if (typeof s.url !== 'string' || !/^https?:\/\//.test(s.url))
      throw new Error(`AGENT_SCAN_SOURCES[${i}].url must be an http(s) URL`);
    if (s.kind !== 'json' && s.kind !== 'rss') throw new Error(`AGENT_SCAN_SOURCES[${i}].kind must be "json" or "rss"`);
    return { name: s.name, url: s.url, kind: s.kind };
  });
}

const text = (v: unknown) => (typeof v === 'string' ? v.trim() : '');
const itemKey = (source: string, link: string | null, title: string) =>
  `scan:${createHash('sha256')
    .update(`${source}\n${link ?? title.toLowerCase()}`)
    .digest('hex')
    .slice(0, 40)}`;

/** Items of a JSON feed: a top-level array, or `items`/`data`/`entries`, each with a title and optional summary and link. */
export function parseJsonFeed(source: string, body: string): FeedItem[] {
  const doc = JSON.parse(body) as unknown;
  const list = Array.isArray(doc)
    ? doc
    : (['items', 'data', 'entries'].map((k) => (doc as Record<string, unknown>)?.[k]).find(Array.isArray) ?? []);
  return (list as Array<Record<string, unknown>>).flatMap((it) => {
    const title = text(it?.['title']) || text(it?.['name']);
    if (!title) return [];
    const link = text(it['url']) || text(it['link']) || null;
    return [
      {
        source,
        title,
        summary: (text(it['summary']) || text(it['description']) || text(it['content_text'])).slice(0, 1_000),
        link,
        key: itemKey(source, link, title),
      },
    ];
  });
}

/** Items of an RSS 2.0 or Atom feed (`<item>` or `<entry>` with title, link and description/summary). */
export function parseRssFeed(source: string, body: string): FeedItem[] {
  const blocks = body.match(/<(item|entry)\b[\s\S]*?<\/\1>/gi) ?? [];
  return blocks.flatMap((block) => {
    const title = decode(tag(block, 'title'));
    if (!title) return [];
    const link = decode(tag(block, 'link')) || /<link\b[^>]*href="([^"]+)"/i.exec(block)?.[1] || null;
    const summary = decode(tag(block, 'description') || tag(block, 'summary') || tag(block, 'content'))
      .replace(/<[^>]+>/g, ' ')
      .replace(/\s+/g, ' ')
      .trim();
    return [{ source, title, summary: summary.slice(0, 1_000), link, key: itemKey(source, link, title) }];
  });
}

function tag(block: string, name: string): string {
  const m = new RegExp(`<${name}\\b[^>]*>([\\s\\S]*?)</${name}>`, 'i').exec(block);
  return m?.[1]?.trim() ?? '';
}

function decode(s: string): string {
  return s
    .replace(/^<!\[CDATA\[([\s\S]*)\]\]>$/, '$1')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&')
    .trim();
}

/**
 * What an `opportunity.scan` payload asks for: the named sources (all configured ones by default),
 * each an existing one, and at most `maxItems` items per source (30 by default, 1 to 100). A payload
 * no scan could serve fails the task at once (terminal), naming the sources there are.
 */
export function scanPlan(
  payload: Record<string, unknown>,
  configured: ScanSource[],
): { sources: ScanSource[]; maxItems: number } {
  const wanted = payload['sources'];
  const maxItems =
    typeof payload['maxItems'] === 'number' ? Math.min(Math.max(1, Math.floor(payload['maxItems'])), 100) : 30;
  if (wanted !== undefined && (!Array.isArray(wanted) || wanted.some((w) => typeof w !== 'string')))
    throw new TerminalTaskError('opportunity.scan payload: sources must be a list of source names');
  const names = wanted as string[] | undefined;
  const sources = names ? configured.filter((s) => names.includes(s.name)) : configured;
  const unknown = names?.filter((w) => !configured.some((s) => s.name === w)) ?? [];
  if (unknown.length)
    throw new TerminalTaskError(
      `opportunity.scan: unknown source(s) ${unknown.join(', ')}; configured: ${configured.map((s) => s.name).join(', ') || 'none (set AGENT_SCAN_SOURCES)'}`,
    );
  if (sources.length === 0)
    throw new TerminalTaskError('opportunity.scan: no sources configured (set AGENT_SCAN_SOURCES)');
  return { sources, maxItems };
}
