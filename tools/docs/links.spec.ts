import { join } from 'node:path';
import { anchors, brokenLinks, fileSystem, MarkdownDoc, repositoryDocs, slug } from './links';

/**
 * README.md and docs/**\/*.md link only to files that exist and to anchors their headings make
 * (GitHub's slugs), so the docs cannot drift from each other unnoticed. No network: links with a
 * scheme are not followed.
 */
const root = join(__dirname, '..', '..');

describe('GitHub heading slugs', () => {
  it.each([
    ['Two commands', 'two-commands'],
    ['Postgres: an owner role and a runtime role per service', 'postgres-an-owner-role-and-a-runtime-role-per-service'],
    ['dev-bot: how a change request becomes a merge', 'dev-bot-how-a-change-request-becomes-a-merge'],
    [
      'Agents: levels, tools, budgets, approvals and the kill switch',
      'agents-levels-tools-budgets-approvals-and-the-kill-switch',
    ],
    ['Special functions (`special.ts`)', 'special-functions-specialts'],
    ['Latest: 2026-12-05', 'latest-2026-12-05'],
    ['A — B', 'a--b'],
    ['`snake_case` and **bold** [link](x.md)', 'snake_case-and-bold-link'],
  ])('%s → %s', (heading, expected) => {
    expect(slug(heading)).toBe(expected);
  });

  it('numbers repeated headings and ignores headings in code blocks', () => {
    const text = ['# Runs', '## History', '```bash', '# not a heading', '```', '## History', '<a id="custom"></a>'];
    expect([...anchors(text.join('\n'))]).toEqual(['runs', 'history', 'history-1', 'custom']);
  });
});

describe('the link check', () => {
  const files: Record<string, string> = {
    'README.md': '# Juggernaut\n\n## Two commands\n',
    'docs/guide.md': '# Guide\n\n## Where to go next\n',
  };
  const read = (p: string) => files[p] ?? null;
  const isDir = (p: string) => p === 'docs' || p === 'docs/runbooks';
  const check = (text: string) => brokenLinks([{ path: 'docs/page.md', text }], read, isDir);

  it('accepts links to files, folders and headings that exist, and skips code and other schemes', () => {
    const text = [
      '# Page',
      '[guide](guide.md), [next](guide.md#where-to-go-next), [readme](../README.md#two-commands)',
      '[self](#page), [runbooks](runbooks/), [site](https://example.com/missing.md), <https://example.com>',
      '`[not a link](missing.md)`',
      '```md',
      '[not a link either](missing.md)',
      '```',
      '[ref]: guide.md',
    ].join('\n');
    expect(check(text)).toEqual([]);
  });

  it('fails on a link to a file that does not exist', () => {
    expect(check('# Page\n\nSee [the ADRs](adr/0001-missing.md).')).toEqual([
      'docs/page.md:3: adr/0001-missing.md: no such file docs/adr/0001-missing.md',
    ]);
  });

  it('fails on an anchor no heading of the target makes, in another file or the same one', () => {
    expect(check('# Page\n[a](guide.md#where-next) [b](#pages)')).toEqual([
      'docs/page.md:2: guide.md#where-next: no heading in docs/guide.md makes the anchor #where-next',
      'docs/page.md:2: #pages: no heading in docs/page.md makes the anchor #pages',
    ]);
    expect(check('# Page\n[c]: ../README.md#tests')).toEqual([
      'docs/page.md:2: ../README.md#tests: no heading in README.md makes the anchor #tests',
    ]);
  });

  it('finds no broken link in README.md and docs/', () => {
    const docs: MarkdownDoc[] = repositoryDocs(root);
    expect(docs.map((d) => d.path)).toEqual(expect.arrayContaining(['README.md', 'docs/architecture.md']));
    const { read: readFile, isDir: isFolder } = fileSystem(root);
    expect(brokenLinks(docs, readFile, isFolder)).toEqual([]);
  });
});
