import { answer, eventually, ServiceProcess, toolCall } from '@juggernaut/testing';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { devBot } from '../apps/dev-bot/src/service';
import { sampleRepo, sh, type SampleRepo } from '../apps/dev-bot/test/repo-fixture';
import { Client } from 'pg';
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
    const r = await f.api.post('/api/v1/repositories', {
      name: 'sample',
      cloneUrl: repo.remote,
      checks: [{ name: 'test', command: 'node test/sum.test.js' }],
      gatePolicy: { mergeRequiresApproval: false },
    });
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
    f.fake.script(
      [
        toolCall('write_file', { path: 'src/half.js', content: 'module.exports = 0.5;\n' }),
        { kind: 'hang' },
        toolCall('write_file', { path: 'src/half.js', content: 'module.exports = 1 / 2;\n' }),
        toolCall('finish', { summary: 'half' }),
        answer(JSON.stringify({ approve: true, reasons: ['fine'] })),
      ],
      m,
    );
    const env = {
      ...f.stack.env(
        f.runnerEnv({
          DEVBOT_WORKSPACE_ROOT: workRoot,
          DEVBOT_POLL_INTERVAL_MS: '200',
          DEVBOT_HEARTBEAT_INTERVAL_MS: '300',
          DEVBOT_MAX_TOKENS: '256',
          AGENT_MODEL_TIMEOUT_MS: '600000',
        }),
      ),
      HOSTNAME: 'devbot-doomed',
    };
    killed = await ServiceProcess.start('dev-bot', env);
    const c = (await f.api.post('/api/v1/changes', { repository: 'sample', goal: `Add half ${m}`, title: 'Add half' }))
      .body;
    await eventually(() => f.fake.chatRequests(m).length === 2, 30_000);
    expect((await f.api.get(`/api/v1/changes/${c.id}`)).body.status).toBe('editing');
    await killed.kill('SIGKILL');

    await f.stack.start(
      devBot,
      f.runnerEnv({
        DEVBOT_WORKSPACE_ROOT: workRoot,
        DEVBOT_POLL_INTERVAL_MS: '200',
        DEVBOT_HEARTBEAT_INTERVAL_MS: '300',
        DEVBOT_MAX_TOKENS: '256',
        HOSTNAME: 'devbot-heir',
      }),
    );
    const done = await eventually(
      async () => {
        const v = (await f.api.get(`/api/v1/changes/${c.id}`)).body;
        return ['merged', 'failed', 'rejected', 'reverted'].includes(v.status) ? v : undefined;
      },
      45_000,
      100,
    );
    expect(done.status).toBe('merged');
    expect(done.attempts.made).toBe(1); // the interrupted round is made again, not counted twice
    expect(repo.fileAt('main', 'src/half.js')).toContain('1 / 2');
    expect(repo.log('main').filter((s) => s === 'Add half')).toHaveLength(1);
    const task = await f.task(c.taskId);
    expect(task).toMatchObject({ status: 'succeeded', attempts: 2 });
  });

  it('finds a merge that was pushed but not recorded before a crash, and does not merge twice', async () => {
    // The state a worker leaves when it dies right after pushing the squash commit: the change is
    // `merging`, its branch pushed, its merge commit on main but not recorded.
    const id = randomUUID();
    const branch = `juggernaut/${id}-add-third`;
    const dir = repo.inspect();
    sh(dir, 'checkout', '--quiet', '-b', branch, 'origin/main');
    writeFileSync(join(dir, 'third.txt'), 'third\n');
    sh(dir, 'add', '-A');
    sh(dir, 'commit', '--quiet', '-m', 'Add third');
    sh(dir, 'push', '--quiet', 'origin', branch);
    sh(dir, 'checkout', '--quiet', 'main');
    sh(dir, 'merge', '--quiet', '--squash', branch);
    sh(dir, 'commit', '--quiet', '-m', `Add third\n\nChange ${id} (${branch}) by Juggernaut dev-bot.`);
    sh(dir, 'push', '--quiet', 'origin', 'main');
    const merged = sh(dir, 'rev-parse', 'HEAD');
    const db = new Client({ connectionString: f.stack.db.url });
    await db.connect();
    try {
      await db.query(
        `INSERT INTO devbot.changes (id, repository, target_branch, branch, title, goal, status, max_attempts, currency, attempts, data)
         VALUES ($1, 'sample', 'main', $2, 'Add third', 'add a third file', 'merging', 2, 'USD', 1, '{"pushed": true}')`,
        [id, branch],
      );
    } finally {
      await db.end();
    }
    await f.submit({
      type: 'dev.change',
      requiredLevel: 4,
      requiredCapabilities: ['dev-bot'],
      payload: { changeId: id },
    });
    const done = await eventually(
      async () => {
        const v = (await f.api.get(`/api/v1/changes/${id}`)).body;
        return ['merged', 'failed', 'rejected', 'reverted'].includes(v.status) ? v : undefined;
      },
      30_000,
      100,
    );
    expect(done).toMatchObject({ status: 'merged', mergeCommit: merged });
    expect(done.steps.map((x: { message: string }) => x.message)).toContain(
      `found the merge ${merged} already on main`,
    );
    expect(repo.log('main').filter((m) => m === 'Add third')).toHaveLength(1);
  });
});
