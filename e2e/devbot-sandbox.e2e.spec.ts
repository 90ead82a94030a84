import { answer, eventually, toolCall } from '@juggernaut/testing';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { devBot } from '../apps/dev-bot/src/service';
import { sampleRepo, type SampleRepo } from '../apps/dev-bot/test/repo-fixture';
import { AgentsFixture } from './agents-fixture';

/**
 * dev-bot where the check sandbox cannot be made (as in a Kubernetes pod that refuses user
 * namespaces; here DEVBOT_CHECK_BWRAP names a binary that does not exist): the repository's checks
 * never run, on the host or anywhere, and the change fails with the reason. Nothing is merged.
 */
describe('dev-bot without a check sandbox', () => {
  let f: AgentsFixture;
  let repo: SampleRepo;
  let workRoot: string;
  let marker: string;

  beforeAll(async () => {
    f = await AgentsFixture.start('devbotsbx');
    workRoot = mkdtempSync(join(tmpdir(), 'jg-devbot-sbx-'));
    marker = join(workRoot, 'check-ran-on-the-host');
    repo = sampleRepo();
    await f.stack.start(devBot, {
      ...f.runnerEnv(),
      DEVBOT_WORKSPACE_ROOT: workRoot,
      DEVBOT_MAX_ATTEMPTS: '2',
      DEVBOT_POLL_INTERVAL_MS: '200',
      DEVBOT_HEARTBEAT_INTERVAL_MS: '300',
      DEVBOT_CHECK_TIMEOUT_MS: '20000',
      DEVBOT_MAX_TOKENS: '256',
      DEVBOT_AUTHOR_MAX_STEPS: '6',
      DEVBOT_CHECK_BWRAP: join(workRoot, 'no-such-bwrap'),
    });
    const res = await f.api.post('/api/v1/repositories', {
      name: 'unsandboxed',
      cloneUrl: repo.remote,
      checks: [{ name: 'test', command: `touch ${marker}; node test/sum.test.js` }],
    });
    if (res.status !== 201) throw new Error(`register failed: ${JSON.stringify(res.body)}`);
  }, 120_000);

  afterAll(async () => {
    await f?.close();
    repo?.cleanup();
    if (workRoot) rmSync(workRoot, { recursive: true, force: true });
  });

  it('fails the change with the reason and never runs its checks', async () => {
    const m = '[case-no-sandbox]';
    f.fake.script(
      [
        toolCall('write_file', { path: 'src/double.js', content: 'module.exports = { double: (a) => a * 2 };\n' }),
        toolCall('finish', { summary: 'added double' }),
        answer(JSON.stringify({ approve: true, reasons: ['fine'] })),
      ],
      m,
    );
    const r = await f.api.post('/api/v1/changes', { repository: 'unsandboxed', goal: `Add double ${m}` });
    expect(r.status).toBe(201);
    const done = await eventually(
      async () => {
        const c = (await f.api.get(`/api/v1/changes/${r.body.id}`)).body;
        return ['merged', 'failed', 'rejected', 'reverted'].includes(c.status) ? c : undefined;
      },
      45_000,
      100,
    );
    expect(done.status).toBe('failed');
    expect(done.reason).toMatch(
      /check sandbox is not available: bubblewrap \(bwrap\) was not found at .*no-such-bwrap/,
    );
    expect(done.checks ?? []).toEqual([]);
    expect(done.pullRequest).toBeNull();
    expect(existsSync(marker)).toBe(false);
    // One author round only: a missing sandbox is not something another round can fix.
    expect(f.fake.chatRequests(m)).toHaveLength(2);
  });
});
