import { answer, eventually, ServiceProcess, toolCall } from '@juggernaut/testing';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { devBot } from '../apps/dev-bot/src/service';
import { sampleRepo, type SampleRepo } from '../apps/dev-bot/test/repo-fixture';
import { AgentsFixture } from './agents-fixture';

/**
 * A dev-bot process killed with SIGKILL in the middle of a change loses nothing: its lease expires,
 * another dev-bot claims the task and carries the change on from its persisted status to the merge.
 * Needs the built dev-bot (`nx run dev-bot:build`).
 */
describe('dev-bot killed mid-change', () => {
  let f: AgentsFixture;
  let repo: SampleRepo;
  let workRoot: string;
  let killed: ServiceProcess | undefined;

  beforeAll(async () => {
    f = await AgentsFixture.start('devbotcrash');
    workRoot = mkdtempSync(join(tmpdir(), 'jg-devbot-crash-'));
    repo = sampleRepo();
    await f.stack.start(devBot, { DEVBOT_CONCURRENCY: '1' }); // migrates; no model configured, so it claims nothing
    const r = await f.api.post('/api/v1/repositories', { name: 'sample', cloneUrl: repo.remote, checks: [{ name: 'test', command: 'node test/sum.test.js' }] });
    if (r.status !== 201) throw new Error(JSON.stringify(r.body));
  }, 120_000);

  afterAll(async () => {
    await killed?.kill('SIGKILL');
    await f?.close();
    repo?.cleanup();
    if (workRoot) rmSync(workRoot, { recursive: true, force: true });
  });

  it('resumes the change on another dev-bot after the lease expires, and merges it once', async () => {
    const m = '[case-crash]';
    f.fake.script([
      toolCall('write_file', { path: 'src/half.js', content: 'module.exports = 0.5;\n' }),
      { kind: 'hang' },
      toolCall('write_file', { path: 'src/half.js', content: 'module.exports = 1 / 2;\n' }),
      toolCall('finish', { summary: 'half' }),
      answer(JSON.stringify({ approve: true, reasons: ['fine'] })),
    ], m);
    const env = {
      ...f.stack.env(f.runnerEnv({ DEVBOT_WORKSPACE_ROOT: workRoot, DEVBOT_POLL_INTERVAL_MS: '200', DEVBOT_HEARTBEAT_INTERVAL_MS: '300', DEVBOT_MAX_TOKENS: '256', AGENT_MODEL_TIMEOUT_MS: '600000' })),
      HOSTNAME: 'devbot-doomed',
    };
    killed = await ServiceProcess.start('dev-bot', env);
    const c = (await f.api.post('/api/v1/changes', { repository: 'sample', goal: `Add half ${m}`, title: 'Add half' })).body;
    await eventually(() => f.fake.chatRequests(m).length === 2, 30_000);
    expect((await f.api.get(`/api/v1/changes/${c.id}`)).body.status).toBe('editing');
    await killed.kill('SIGKILL');

    await f.stack.start(devBot, f.runnerEnv({ DEVBOT_WORKSPACE_ROOT: workRoot, DEVBOT_POLL_INTERVAL_MS: '200', DEVBOT_HEARTBEAT_INTERVAL_MS: '300', DEVBOT_MAX_TOKENS: '256', HOSTNAME: 'devbot-heir' }));
    const done = await eventually(async () => {
      const v = (await f.api.get(`/api/v1/changes/${c.id}`)).body;
      return ['merged', 'failed', 'rejected', 'reverted'].includes(v.status) ? v : undefined;
    }, 45_000, 100);
    expect(done.status).toBe('merged');
    expect(done.attempts.made).toBe(2);
    expect(repo.fileAt('main', 'src/half.js')).toContain('1 / 2');
    expect(repo.log('main').filter((s) => s === 'Add half')).toHaveLength(1);
    const task = await f.task(c.taskId);
    expect(task).toMatchObject({ status: 'succeeded', attempts: 2 });
  });
});
