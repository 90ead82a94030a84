import { parseJsonFeed, parseRssFeed, parseScanSources, scanPlan } from './scan-sources';
import { TerminalTaskError } from './task-handler';

describe('opportunity.scan sources', () => {
  it('parses the configured sources and names what is wrong', () => {
    expect(parseScanSources('[{"name":"hn","url":"https://x.test/feed","kind":"rss"}]')).toEqual([
      { name: 'hn', url: 'https://x.test/feed', kind: 'rss' },
    ]);
    expect(parseScanSources(undefined)).toEqual([]);
    expect(() => parseScanSources('{}')).toThrow(/JSON array/);
    expect(() => parseScanSources('[{"name":"hn","url":"ftp://x","kind":"rss"}]')).toThrow(/\[0\]\.url/);
    expect(() => parseScanSources('[{"name":"hn","url":"https://x","kind":"xml"}]')).toThrow(/\[0\]\.kind/);
  });

  it('reads JSON feeds in their common shapes, skipping items without a title', () => {
    const items = parseJsonFeed(
      'j',
      JSON.stringify({
        items: [
          { title: 'A', summary: 'sa', url: 'https://a' },
          { name: 'B', description: 'sb' },
          { summary: 'no title' },
        ],
      }),
    );
    expect(items.map((i) => [i.title, i.summary, i.link])).toEqual([
      ['A', 'sa', 'https://a'],
      ['B', 'sb', null],
    ]);
    expect(parseJsonFeed('j', '[{"title":"C"}]')).toHaveLength(1);
  });

  it('reads RSS and Atom, with CDATA, entities and markup stripped', () => {
    const rss = `<rss><channel><title>Feed</title>
      <item><title><![CDATA[Ask: who sells YAML linting?]]></title><link>https://f.test/1</link><description>&lt;p&gt;People &amp; teams want it&lt;/p&gt;</description></item>
      <item><title>Second</title><link>https://f.test/2</link></item></channel></rss>`;
    expect(parseRssFeed('r', rss).map((i) => [i.title, i.link, i.summary])).toEqual([
      ['Ask: who sells YAML linting?', 'https://f.test/1', 'People & teams want it'],
      ['Second', 'https://f.test/2', ''],
    ]);
    const atom = `<feed><entry><title>Atom one</title><link href="https://a.test/x"/><summary>s</summary></entry></feed>`;
    expect(parseRssFeed('a', atom)).toMatchObject([{ title: 'Atom one', link: 'https://a.test/x', summary: 's' }]);
  });

  it('gives the same item the same key in every scan, and different items different keys', () => {
    const a = parseJsonFeed('j', '[{"title":"A","url":"https://a"}]')[0]!;
    const again = parseJsonFeed('j', '[{"title":"A (edited)","url":"https://a"}]')[0]!;
    const b = parseJsonFeed('j', '[{"title":"B","url":"https://b"}]')[0]!;
    expect(a.key).toBe(again.key);
    expect(a.key).not.toBe(b.key);
  });
});

describe('opportunity.scan payload', () => {
  const hn = { name: 'hn', url: 'https://x.test/feed', kind: 'rss' as const };
  const blog = { name: 'blog', url: 'https://y.test/feed.json', kind: 'json' as const };

  it('scans every configured source, 30 items each, unless told otherwise', () => {
    expect(scanPlan({}, [hn, blog])).toEqual({ sources: [hn, blog], maxItems: 30 });
    expect(scanPlan({ sources: ['blog'], maxItems: 5 }, [hn, blog])).toEqual({ sources: [blog], maxItems: 5 });
  });

  it('keeps the item count between 1 and 100, in whole items', () => {
    expect(scanPlan({ maxItems: 0 }, [hn]).maxItems).toBe(1);
    expect(scanPlan({ maxItems: 500 }, [hn]).maxItems).toBe(100);
    expect(scanPlan({ maxItems: 7.9 }, [hn]).maxItems).toBe(7);
    expect(scanPlan({ maxItems: '7' }, [hn]).maxItems).toBe(30);
  });

  it('fails the task at once for sources it cannot scan, naming those configured', () => {
    expect(() => scanPlan({ sources: 'hn' }, [hn])).toThrow(TerminalTaskError);
    expect(() => scanPlan({ sources: ['hn', 3] }, [hn])).toThrow('sources must be a list of source names');
    expect(() => scanPlan({ sources: ['reddit'] }, [hn, blog])).toThrow(
      'opportunity.scan: unknown source(s) reddit; configured: hn, blog',
    );
    expect(() => scanPlan({ sources: ['reddit'] }, [])).toThrow('configured: none (set AGENT_SCAN_SOURCES)');
    expect(() => scanPlan({}, [])).toThrow('opportunity.scan: no sources configured (set AGENT_SCAN_SOURCES)');
  });
});
