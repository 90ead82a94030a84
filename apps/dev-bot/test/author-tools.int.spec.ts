import { registerSecret } from '@juggernaut/observability';
import { runAuthorTool } from '../src/author/author-tools';
import { Workspace } from '../src/workspace/workspace';
import { AUTHOR, sampleRepo, SEED_FILES, type SampleRepo } from './repo-fixture';

/** The author's tools over a real clone: what the model gets back for good calls, bad calls and secrets. */
describe('author tools', () => {
  let repo: SampleRepo;
  let ws: Workspace;
  const secret = 'sk-live-devbot-author-tools-0123456789';

  beforeAll(async () => {
    registerSecret(secret);
    repo = sampleRepo({
      ...SEED_FILES,
      'config/settings.js': `module.exports = { key: '${secret}', region: 'eu' };\n`,
    });
    ws = await Workspace.create({
      root: repo.root,
      cloneUrl: repo.remote,
      targetBranch: 'main',
      branch: 'juggernaut/tools-test',
      author: AUTHOR,
    });
  });

  afterAll(async () => {
    await ws?.dispose();
    repo?.cleanup();
  });

  const call = (name: string, args: unknown) =>
    runAuthorTool(ws, name, typeof args === 'string' ? args : JSON.stringify(args));

  it('lists, reads, searches, writes and patches inside the clone', async () => {
    expect(await call('list_files', {})).toMatchObject({
      kind: 'result',
      ok: true,
      content: expect.stringContaining('src/sum.js'),
    });
    expect(await call('read_file', { path: 'src/sum.js' })).toMatchObject({
      ok: true,
      content: expect.stringContaining('return a + b;'),
    });
    expect(await call('search', { pattern: 'sum\\(' })).toMatchObject({
      ok: true,
      content: expect.stringMatching(/^src\/sum\.js:1: function sum\(a, b\) \{$/m),
    });
    expect(await call('write_file', { path: 'src/new.js', content: 'module.exports = 1;\n' })).toMatchObject({
      ok: true,
      content: 'wrote src/new.js (20 bytes)',
    });
    const patch = [
      '--- a/README.md',
      '+++ b/README.md',
      '@@ -1,3 +1,3 @@',
      ' # sample',
      ' ',
      '-A sample project.',
      '+A sample project, patched.',
      '',
    ].join('\n');
    expect(await call('apply_patch', { patch })).toMatchObject({ ok: true, content: 'patch applied to README.md' });
    expect((await ws.diff()).files.map((f) => f.path).sort()).toEqual(['README.md', 'src/new.js']);
    expect(await call('finish', { summary: 'done' })).toEqual({ kind: 'finish', summary: 'done' });
  });

  it('answers bad calls with an error the model can act on, naming what is wrong', async () => {
    const cases: Array<[string, unknown, string]> = [
      ['read_file', '{not json', 'not a JSON object'],
      ['read_file', '[1]', 'not a JSON object'],
      ['delete_file', { path: 'x' }, 'no tool named "delete_file"'],
      ['read_file', {}, 'needs "path" as a string'],
      ['write_file', { path: 'a.txt', content: 1 }, 'needs "content" as a string'],
      ['read_file', { path: 'a', mode: 'x' }, 'unknown argument "mode"'],
      ['read_file', { path: '../../etc/passwd' }, ''],
      ['write_file', { path: '/tmp/escape.txt', content: 'x' }, ''],
      ['write_file', { path: '.git/config', content: 'x' }, ''],
      ['read_file', { path: 'missing.txt' }, ''],
    ];
    for (const [name, args, why] of cases) {
      const r = await call(name, args);
      expect(r).toMatchObject({ kind: 'result', ok: false });
      expect((r as { content: string }).content).toMatch(/^error: /);
      if (why) expect((r as { content: string }).content).toContain(why);
    }
  });

  it('never hands a secret in the repository to the model: reads and searches are redacted', async () => {
    const read = await call('read_file', { path: 'config/settings.js' });
    expect((read as { content: string }).content).not.toContain(secret);
    expect((read as { content: string }).content).toContain("region: 'eu'");
    const found = await call('search', { pattern: 'key:' });
    expect((found as { content: string }).content).not.toContain(secret);
    expect((found as { content: string }).content).toContain('config/settings.js:1:');
  });
});
