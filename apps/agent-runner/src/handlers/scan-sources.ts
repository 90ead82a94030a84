import { createHash } from 'node:crypto';

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
