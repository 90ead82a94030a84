import type { ChangeEventV1, ChangePageV1, LedgerTransactionPageV1 } from '@juggernaut/contracts';
import {
  answer,
  eventually,
  readStream,
  type RecordedMessage,
  type RecordedTool,
  toolCall,
  toolCalls,
} from '@juggernaut/testing';
import { existsSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { devBot } from '../apps/dev-bot/src/service';
import { sampleRepo, sh, type SampleRepo } from '../apps/dev-bot/test/repo-fixture';
import type { ExecutionLogView } from '../apps/governance-api/src/logs/logs.service';
import { AgentsFixture, PRICE } from './agents-fixture';

/**
 * dev-bot end to end: the REST API, the dispatcher, governance (budgets, approvals), the ledger and
 * dev-bot itself, real git with local bare repositories as remotes, and the fake OpenAI-compatible
 * server scripting the author's tool calls and the reviewer's verdict (matched by a marker in each
 * change's goal).
 */
describe('dev-bot: from a change request to a merge, a rejection or a revert', () => {
  let f: AgentsFixture;
  let repo: SampleRepo;
  let fragile: SampleRepo;
  let workRoot: string;
  let devbotUrl: string;
  const approve = (why = 'small and tested') => answer(JSON.stringify({ approve: true, reasons: [why] }));
  const write = (path: string, content: string) => toolCall('write_file', { path, content });
  const finish = (summary = 'done') => toolCall('finish', { summary });
  const onMain = (r: SampleRepo, path: string) => sh(r.inspect(), 'ls-tree', '--name-only', 'origin/main', path) !== '';

  const change = async (body: Record<string, unknown>) => {
    const r = await f.api.post('/api/v1/changes', body);
    if (r.status !== 201) throw new Error(`change refused: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body as { id: string; taskId: string; branch: string };
  };
  const view = async (id: string) => (await f.api.get(`/api/v1/changes/${id}`)).body;
  const until = (id: string, statuses: string[], ms = 45_000) =>
    eventually(
      async () => {
        const c = await view(id);
        return statuses.includes(c.status) ? c : undefined;
      },
      ms,
      100,
    );

  beforeAll(async () => {
    f = await AgentsFixture.start('devbot');
    workRoot = mkdtempSync(join(tmpdir(), 'jg-devbot-ws-'));
    repo = sampleRepo();
    // A symlink in the repository that points outside it: writing through it must be refused.
    const seed = repo.inspect();
    symlinkSync(tmpdir(), join(seed, 'outside-link'));
    sh(seed, 'add', '-A');
    sh(seed, 'commit', '--quiet', '-m', 'a link out of the tree');
    sh(seed, 'push', '--quiet', 'origin', 'main');
    // A repository whose check fails only on the target branch's commits (a detached checkout), never on a change branch.
    fragile = sampleRepo();
    const f2 = fragile.inspect();
    writeFileSync(
      join(f2, 'check.sh'),
      '[ "$(git rev-parse --abbrev-ref HEAD)" != HEAD ] || { echo "this check fails on merged commits"; exit 1; }\n',
    );
    sh(f2, 'add', '-A');
    sh(f2, 'commit', '--quiet', '-m', 'a check that fails after merge');
    sh(f2, 'push', '--quiet', 'origin', 'main');

    devbotUrl = (
      await f.stack.start(devBot, {
        ...f.runnerEnv(),
        DEVBOT_WORKSPACE_ROOT: workRoot,
        DEVBOT_MAX_ATTEMPTS: '2',
        DEVBOT_CONCURRENCY: '3',
        DEVBOT_POLL_INTERVAL_MS: '200',
        DEVBOT_HEARTBEAT_INTERVAL_MS: '300',
        DEVBOT_CHECK_TIMEOUT_MS: '60000',
        DEVBOT_MAX_TOKENS: '256',
        DEVBOT_AUTHOR_MAX_STEPS: '6',
      })
    ).url;
    // These repositories let a change that passes every gate merge on its own (an admin's choice; the
    // default asks a human for every merge, tested below).
    const reg = async (
      name: string,
      r: SampleRepo,
      checks: Array<{ name: string; command: string }>,
      gatePolicy: Record<string, unknown> = { mergeRequiresApproval: false },
    ) => {
      const res = await f.api.post('/api/v1/repositories', { name, cloneUrl: r.remote, checks, gatePolicy });
      if (res.status !== 201) throw new Error(`register failed: ${JSON.stringify(res.body)}`);
    };
    await reg('sample', repo, [{ name: 'test', command: 'node test/sum.test.js' }]);
    await reg('fragile', fragile, [
      { name: 'test', command: 'node test/sum.test.js' },
      { name: 'merged', command: 'sh check.sh' },
    ]);
    await reg('guarded', repo, [{ name: 'test', command: 'node test/sum.test.js' }], {});
  }, 120_000);

  afterAll(async () => {
    await f?.close();
    repo?.cleanup();
    fragile?.cleanup();
    if (workRoot) rmSync(workRoot, { recursive: true, force: true });
  });

  it('merges a change that passes every gate: the target branch has it, the pull request has its diff, every model call is in the ledger', async () => {
    const m = '[case-merge]';
    f.fake.script(
      [
        write('src/multiply.js', 'function multiply(a, b) {\n  return a * b;\n}\n\nmodule.exports = { multiply };\n'),
        finish('added multiply'),
        approve(),
      ],
      m,
    );
    const c = await change({ repository: 'sample', goal: `Add a multiply function ${m}`, title: 'Add multiply' });
    const done = await until(c.id, ['merged', 'failed', 'rejected', 'reverted']);
    expect(done).toMatchObject({
      status: 'merged',
      reason: null,
      attempts: { made: 1, max: 2 },
      review: { approve: true, reasons: ['small and tested'] },
    });
    expect(repo.fileAt('main', 'src/multiply.js')).toContain('a * b');
    expect(repo.log('main')[0]).toBe('Add multiply');
    expect(done.mergeCommit).toMatch(/^[0-9a-f]{40}$/);
    expect(done.diff).toMatchObject({
      added: 5,
      removed: 0,
      files: [{ path: 'src/multiply.js', status: 'added', added: 5, removed: 0 }],
    });
    expect(done.checks).toEqual([expect.objectContaining({ name: 'test', ok: true, exitCode: 0 })]);
    expect(done.postMergeChecks).toEqual([expect.objectContaining({ name: 'test', ok: true })]);
    expect(done.pullRequest).toMatchObject({ forge: 'local', number: expect.any(Number) });
    expect(done.pullRequest.diff).toContain('+  return a * b;');
    const stages = done.steps.map((s: { stage: string }) => s.stage);
    for (const s of ['queued', 'editing', 'checking', 'reviewing', 'verifying', 'merged']) expect(stages).toContain(s);
    // The author saw the goal and its tools; the reviewer saw the diff and had none.
    const requests = f.fake.chatRequests(m);
    expect(requests).toHaveLength(3);
    expect((requests[0]!.body.tools as RecordedTool[]).map((t) => t.function.name)).toEqual([
      'list_files',
      'read_file',
      'search',
      'write_file',
      'apply_patch',
      'finish',
    ]);
    expect(requests[2]!.body.tools).toBeUndefined();
    expect(JSON.stringify(requests[2]!.body.messages)).toContain('+  return a * b;');

    // Three calls, each charged and posted once to the ledger, summed on the change.
    const each = [
      [20, 8],
      [20, 8],
      [10, 5],
    ].map(([p, q]) => Math.ceil((p! * PRICE.prompt + q! * PRICE.completion) / 1_000_000));
    expect(done.costMinor).toBe(each.reduce((a, b) => a + b, 0));
    const costs = await eventually(async () => {
      const r = await f.api.get<LedgerTransactionPageV1>(`/api/v1/ledger/transactions?taskId=${c.taskId}`);
      return r.body.items?.length === 3 ? r.body.items : undefined;
    });
    expect(costs.map((t) => [t.kind, t.createdBy])).toEqual([
      ['cost', 'dev-bot'],
      ['cost', 'dev-bot'],
      ['cost', 'dev-bot'],
    ]);
    expect(costs.map((t) => t.postings[0]!.amountMinor).sort()).toEqual([...each].sort());
    const events = await readStream<ChangeEventV1>(
      f.nc,
      `${f.stack.namespace}_JUGGERNAUT_EVENTS`,
      `${f.stack.namespace}.juggernaut.change.>`,
    );
    expect(events.filter((e) => e.changeId === c.id).map((e) => e.status ?? 'opened')).toEqual(['opened', 'merged']);
    expect((await f.task(c.taskId)).status).toBe('succeeded');
    // Every timeline step is also in the execution log of the task.
    const logs = await eventually(async () => {
      const items = (await f.api.get<{ items: ExecutionLogView[] }>(`/api/v1/logs?taskId=${c.taskId}&limit=200`)).body
        .items;
      return items.length === done.steps.length - 1 ? items : undefined;
    });
    expect(new Set(logs.map((l) => l.action))).toEqual(
      new Set(stages.filter((s: string) => s !== 'queued').map((s: string) => `devbot.${s}`)),
    );
    expect(await (await fetch(`${devbotUrl}/metrics`)).text()).toMatch(
      /juggernaut_devbot_changes_total\{[^}]*status="merged"[^}]*\} 1\b/,
    );
  });

  it('does not merge a change that breaks the tests: the author gets the failure output, and after the limit the change fails with the reason', async () => {
    const m = '[case-broken]';
    f.fake.script(
      [
        write('src/sum.js', 'function sum(a, b) {\n  return a - b;\n}\n\nmodule.exports = { sum };\n'),
        finish('rewrote sum'),
        write('src/sum.js', 'function sum(a, b) {\n  return a - b - 0;\n}\n\nmodule.exports = { sum };\n'),
        finish('tried again'),
      ],
      m,
    );
    const c = await change({ repository: 'sample', goal: `Simplify sum ${m}` });
    const done = await until(c.id, ['merged', 'failed', 'rejected', 'reverted']);
    expect(done.status).toBe('failed');
    expect(done.reason).toContain(
      'the checks still failed after 2 attempt(s): test (node test/sum.test.js) exited with 1',
    );
    expect(done.attempts).toEqual({ made: 2, max: 2 });
    expect(done.checks[0]).toMatchObject({ ok: false, exitCode: 1 });
    expect(done.checks[0].output).toContain('AssertionError');
    // The second round started with the failing check's output.
    const second = f.fake.chatRequests(m)[2]!;
    const prompt = JSON.stringify(second.body.messages);
    expect(prompt).toContain('Check \\"test\\"');
    expect(prompt).toContain('AssertionError');
    expect(done.pullRequest).toBeNull();
    expect(repo.fileAt('main', 'src/sum.js')).toContain('return a + b;');
    const events = await readStream<ChangeEventV1>(
      f.nc,
      `${f.stack.namespace}_JUGGERNAUT_EVENTS`,
      `${f.stack.namespace}.juggernaut.change.closed.v1`,
    );
    expect(events.find((e) => e.changeId === c.id)).toMatchObject({ status: 'failed' });
  });

  it('refuses paths outside the workspace and through symlinks as tool errors, writes nothing outside, and a reviewer "no" rejects with its reasons', async () => {
    const m = '[case-escape]';
    const outside = join(tmpdir(), `jg-escape-${process.pid}.txt`);
    f.fake.script(
      [
        toolCalls([
          { name: 'write_file', args: { path: '../../escape.txt', content: 'x' } },
          { name: 'write_file', args: { path: outside, content: 'x' } },
          { name: 'write_file', args: { path: `outside-link/jg-escape-${process.pid}.txt`, content: 'x' } },
        ]),
        write('src/note.js', 'module.exports = "note";\n'),
        finish('added a note'),
        answer(JSON.stringify({ approve: false, reasons: ['the note is not what the goal asks for', 'no test'] })),
      ],
      m,
    );
    const c = await change({ repository: 'sample', goal: `Add a note ${m}` });
    const done = await until(c.id, ['merged', 'failed', 'rejected', 'reverted']);
    const results = f.fake
      .chatRequests(m)[1]!
      .body.messages.filter((x: RecordedMessage) => x.role === 'tool')
      .map((x: RecordedMessage) => x.content);
    expect(results).toHaveLength(3);
    for (const r of results) expect(r).toMatch(/^error: /);
    expect(existsSync(outside)).toBe(false);
    expect(existsSync(join(workRoot, '..', 'escape.txt'))).toBe(false);
    expect(done).toMatchObject({
      status: 'rejected',
      review: { approve: false, reasons: ['the note is not what the goal asks for', 'no test'] },
    });
    expect(done.reason).toBe('the reviewer said no: the note is not what the goal asks for; no test');
    expect(done.mergeCommit).toBeNull();
    expect(onMain(repo, 'src/note.js')).toBe(false);
  });

  it('waits for a human approval on a protected path: approved it merges, rejected it is rejected', async () => {
    const ok = '[case-approve]';
    const no = '[case-deny]';
    f.fake.script([write('.github/workflows/ci.yml', 'name: ci\non: push\n'), finish('ci'), approve()], ok);
    f.fake.script([write('k8s/deploy.yaml', 'kind: Deployment\n'), finish('deploy'), approve()], no);
    const a = await change({ repository: 'sample', goal: `Add CI ${ok}` });
    const b = await change({ repository: 'sample', goal: `Add a deployment ${no}` });
    const waitingA = await until(a.id, ['awaiting_approval', 'merged', 'failed', 'rejected']);
    const waitingB = await until(b.id, ['awaiting_approval', 'merged', 'failed', 'rejected']);
    expect(waitingA.status).toBe('awaiting_approval');
    expect(waitingB.status).toBe('awaiting_approval');
    expect(waitingA.gateFindings).toEqual(
      expect.arrayContaining([expect.objectContaining({ gate: 'protected-path', verdict: 'needs-approval' })]),
    );
    expect((await f.task(a.taskId)).status).toBe('blocked');
    const approval = (await f.api.get(`/api/v1/approvals/${waitingA.approvalId}`)).body;
    expect(approval).toMatchObject({
      status: 'pending',
      action: 'merge:change',
      args: { changeId: a.id, files: ['.github/workflows/ci.yml'] },
    });

    expect(
      (await f.api.post(`/api/v1/approvals/${waitingA.approvalId}/approve`, { reason: 'reviewed the workflow' }))
        .status,
    ).toBe(200);
    expect(
      (await f.api.post(`/api/v1/approvals/${waitingB.approvalId}/reject`, { reason: 'no deployments from bots' }))
        .status,
    ).toBe(200);
    const merged = await until(a.id, ['merged', 'failed', 'rejected', 'reverted']);
    expect(merged.status).toBe('merged');
    expect(repo.fileAt('main', '.github/workflows/ci.yml')).toContain('name: ci');
    const rejected = await until(b.id, ['merged', 'failed', 'rejected', 'reverted']);
    expect(rejected.status).toBe('rejected');
    expect(rejected.reason).toContain('no deployments from bots');
    expect(onMain(repo, 'k8s/deploy.yaml')).toBe(false);
  });

  it('with the default gate policy every merge waits for a human, even a clean change: approved, it merges', async () => {
    const marker = '[case-guarded]';
    f.fake.script([write('docs/notes.md', 'guarded notes\n'), finish('notes'), approve()], marker);
    const c = await change({ repository: 'guarded', goal: `Add notes ${marker}` });
    const waiting = await until(c.id, ['awaiting_approval', 'merged', 'failed', 'rejected']);
    expect(waiting.status).toBe('awaiting_approval');
    expect(waiting.gateFindings).toEqual([
      expect.objectContaining({ gate: 'merge-approval', verdict: 'needs-approval' }),
    ]);
    expect(onMain(repo, 'docs/notes.md')).toBe(false);
    expect((await f.api.post(`/api/v1/approvals/${waiting.approvalId}/approve`, { reason: 'read it' })).status).toBe(
      200,
    );
    expect((await until(c.id, ['merged', 'failed', 'rejected', 'reverted'])).status).toBe('merged');
    expect(repo.fileAt('main', 'docs/notes.md')).toContain('guarded notes');
  });

  it('reverts a merge whose post-merge checks fail, and marks the change reverted', async () => {
    const m = '[case-revert]';
    f.fake.script([write('src/extra.js', 'module.exports = 1;\n'), finish('extra'), approve()], m);
    const c = await change({ repository: 'fragile', goal: `Add extra ${m}`, title: 'Add extra' });
    const done = await until(c.id, ['merged', 'failed', 'rejected', 'reverted']);
    expect(done.status).toBe('reverted');
    expect(done.checks.every((x: { ok: boolean }) => x.ok)).toBe(true);
    expect(done.postMergeChecks).toEqual([
      expect.objectContaining({ name: 'test', ok: true }),
      expect.objectContaining({ name: 'merged', ok: false, exitCode: 1 }),
    ]);
    expect(done.reason).toContain('post-merge checks failed');
    expect(done.revertCommit).toMatch(/^[0-9a-f]{40}$/);
    const log = fragile.log('main');
    expect(log[0]).toBe('Revert "Add extra"');
    expect(log[1]).toBe('Add extra');
    expect(onMain(fragile, 'src/extra.js')).toBe(false);
  });

  it('merges two changes to the same repository at once, both correctly, in a linear history', async () => {
    const one = '[case-twin-1]';
    const two = '[case-twin-2]';
    f.fake.script([write('src/one.js', 'module.exports = 1;\n'), finish('one'), approve()], one);
    f.fake.script([write('src/two.js', 'module.exports = 2;\n'), finish('two'), approve()], two);
    const [a, b] = await Promise.all([
      change({ repository: 'sample', goal: `Add one ${one}`, title: 'Add one' }),
      change({ repository: 'sample', goal: `Add two ${two}`, title: 'Add two' }),
    ]);
    const [da, db] = await Promise.all([
      until(a.id, ['merged', 'failed', 'rejected', 'reverted']),
      until(b.id, ['merged', 'failed', 'rejected', 'reverted']),
    ]);
    expect([da.status, db.status]).toEqual(['merged', 'merged']);
    expect(repo.fileAt('main', 'src/one.js')).toContain('1');
    expect(repo.fileAt('main', 'src/two.js')).toContain('2');
    const dir = repo.inspect();
    expect(sh(dir, 'log', '--merges', '--format=%H', 'origin/main')).toBe('');
    expect(repo.log('main').slice(0, 2).sort()).toEqual(['Add one', 'Add two']);
  });

  it('carries out a dev.change task an agent submitted (one change per task), and pauses a change the budget refuses before any model call', async () => {
    const m = '[case-agent]';
    f.fake.script([write('src/agent.js', 'module.exports = "agent";\n'), finish('agent'), approve()], m);
    const taskId = await f.submit({
      type: 'dev.change',
      requiredLevel: 4,
      requiredCapabilities: ['dev-bot'],
      title: 'From an agent',
      payload: { repository: 'sample', goal: `Add the agent module ${m}`, title: 'Add the agent module' },
    });
    const filed = await eventually(async () =>
      (await f.api.get<ChangePageV1>('/api/v1/changes?repository=sample&limit=200')).body.items.find(
        (c) => c.taskId === taskId,
      ),
    );
    const done = await until(filed.id, ['merged', 'failed', 'rejected', 'reverted']);
    expect(done).toMatchObject({ status: 'merged', title: 'Add the agent module', taskId });
    expect(repo.fileAt('main', 'src/agent.js')).toContain('agent');
    expect(
      (await f.api.get<ChangePageV1>('/api/v1/changes?repository=sample&limit=200')).body.items.filter(
        (c) => c.taskId === taskId,
      ),
    ).toHaveLength(1);

    const poor = '[case-poor]';
    const poorTask = await f.submit({
      type: 'dev.change',
      requiredLevel: 4,
      requiredCapabilities: ['dev-bot'],
      budgetMinor: 1,
      payload: { repository: 'sample', goal: `Anything ${poor}` },
    });
    const parked = await f.until(poorTask, 'blocked', 30_000);
    expect(parked.reason).toContain('budget');
    const paused = (await f.api.get<ChangePageV1>('/api/v1/changes?repository=sample&limit=200')).body.items.find(
      (x) => x.taskId === poorTask,
    );
    expect(paused).toMatchObject({ status: 'editing', costMinor: 0 });
    expect(paused!.steps.at(-1)!.message).toContain('waiting for budget');
    expect(f.fake.chatRequests(poor)).toHaveLength(0);
  });

  it('files nothing for a dev.change task that names no registered repository: the task fails with the reason', async () => {
    const taskId = await f.submit({
      type: 'dev.change',
      requiredLevel: 4,
      requiredCapabilities: ['dev-bot'],
      maxAttempts: 1,
      payload: { repository: 'nowhere', goal: 'x' },
    });
    const task = await eventually(async () => {
      const t = await f.task(taskId);
      return ['dead', 'failed'].includes(t.status) ? t : undefined;
    }, 20_000);
    expect(task.reason).toContain('repository "nowhere" is not registered');
  });

  it('cancels a change when its task is cancelled (here while it waits for approval)', async () => {
    const m = '[case-cancel]';
    f.fake.script([write('docker/Dockerfile', 'FROM scratch\n'), finish('image'), approve()], m);
    const c = await change({ repository: 'sample', goal: `Add an image ${m}` });
    const waiting = await until(c.id, ['awaiting_approval', 'merged', 'failed', 'rejected']);
    expect(waiting.status).toBe('awaiting_approval');
    expect((await f.api.post(`/api/v1/tasks/${c.taskId}/cancel`, { reason: 'not this quarter' })).status).toBe(200);
    const done = await until(c.id, ['cancelled', 'merged', 'failed', 'rejected']);
    expect(done.status).toBe('cancelled');
    expect(done.reason).toContain('not this quarter');
    const events = await readStream<ChangeEventV1>(
      f.nc,
      `${f.stack.namespace}_JUGGERNAUT_EVENTS`,
      `${f.stack.namespace}.juggernaut.change.closed.v1`,
    );
    expect(events.find((e) => e.changeId === c.id)).toMatchObject({ status: 'cancelled' });
    expect(onMain(repo, 'docker/Dockerfile')).toBe(false);
  });

  it('takes a change an L4 agent asked for with request_code_change through to the merge', async () => {
    const agent = '[case-agentic]';
    const dev = '[case-agentic-dev]';
    // The agent's script first: its later requests carry both markers, and the first queue that matches answers.
    f.fake.script(
      [
        toolCall('request_code_change', {
          repository: 'sample',
          title: 'Add triple',
          description: `Add a triple function ${dev}`,
          acceptanceCriteria: ['triple(2) is 6'],
        }),
        answer('filed the change'),
      ],
      agent,
    );
    f.fake.script([write('src/triple.js', 'module.exports = (x) => 3 * x;\n'), finish('triple'), approve()], dev);
    const runner = await f.startRunner({ HOSTNAME: 'agent-l4', RUNNER_LEVEL: '4' });
    try {
      const goalTask = await f.submit({
        type: 'agent.goal',
        payload: { goal: `Get a triple function into the sample repository ${agent}` },
      });
      const finished = await f.until(goalTask, 'succeeded', 30_000);
      expect(finished.result).toMatchObject({ stopReason: 'completed' });
      const filed = await eventually(async () =>
        (await f.api.get<ChangePageV1>('/api/v1/changes?repository=sample&limit=200')).body.items.find((c) =>
          c.goal.includes(dev),
        ),
      );
      expect(filed).toMatchObject({ title: 'Add triple', requestedBy: `task:${goalTask}` });
      expect(filed.goal).toContain('- triple(2) is 6');
      const done = await until(filed.id, ['merged', 'failed', 'rejected', 'reverted']);
      expect(done.status).toBe('merged');
      expect(repo.fileAt('main', 'src/triple.js')).toContain('3 * x');
      expect((await f.task(done.taskId)).type).toBe('dev.change');
    } finally {
      await f.stopRunner(runner);
    }
  });

  it('stops a running change at once on the kill switch, hands its task back, and resumes it when the switch is released', async () => {
    const m = '[case-kill]';
    f.fake.script([{ kind: 'hang' }, write('src/kill.js', 'module.exports = "k";\n'), finish('k'), approve()], m);
    const c = await change({ repository: 'sample', goal: `Add kill ${m}` });
    await eventually(() => f.fake.chatRequests(m).length === 1, 20_000);
    try {
      await f.killSwitch(true);
      await eventually(() => f.fake.chatRequests(m)[0]!.aborted === true, 5_000);
      const task = await eventually(async () => {
        const t = await f.task(c.taskId);
        return t.status === 'pending' ? t : undefined;
      }, 5_000);
      expect(task.attempts).toBe(0); // handed back without burning an attempt
      expect((await view(c.id)).status).toBe('editing');
      await new Promise((r) => setTimeout(r, 600));
      expect(f.fake.chatRequests(m)).toHaveLength(1);
    } finally {
      await f.killSwitch(false);
    }
    const done = await until(c.id, ['merged', 'failed', 'rejected', 'reverted']);
    expect(done.status).toBe('merged');
    expect(repo.fileAt('main', 'src/kill.js')).toContain('k');
  });

  it('rejects a change the gates refuse (a secret in the diff) before any review, with the reason', async () => {
    const m = '[case-secret]';
    f.fake.script(
      [write('src/aws.js', "module.exports = { id: 'AKIAIOSFODNN7EXAMPLE' };\n"), finish('aws'), approve()],
      m,
    );
    const c = await change({ repository: 'sample', goal: `Configure AWS ${m}` });
    const done = await until(c.id, ['merged', 'failed', 'rejected', 'reverted']);
    expect(done.status).toBe('rejected');
    expect(done.reason).toMatch(/^refused by the gates: /);
    expect(done.gateFindings).toEqual(
      expect.arrayContaining([expect.objectContaining({ gate: 'secret', verdict: 'refuse', path: 'src/aws.js' })]),
    );
    expect(done.review).toBeNull();
    expect(done.pullRequest).toBeNull();
    expect(f.fake.chatRequests(m)).toHaveLength(2);
    expect(JSON.stringify(done.steps)).not.toContain('AKIAIOSFODNN7EXAMPLE');
    expect(onMain(repo, 'src/aws.js')).toBe(false);
    // Refused before the push: the branch never reached the remote.
    expect(sh(repo.inspect(), 'ls-remote', '--heads', 'origin', c.branch)).toBe('');
  });

  it('does not merge an approved change whose branch changed after the approval was asked for', async () => {
    const m = '[case-tamper]';
    f.fake.script([write('.github/workflows/lint.yml', 'name: lint\n'), finish('lint'), approve()], m);
    const c = await change({ repository: 'sample', goal: `Add a lint workflow ${m}` });
    const waiting = await until(c.id, ['awaiting_approval', 'merged', 'failed', 'rejected']);
    expect(waiting.status).toBe('awaiting_approval');
    const dir = repo.inspect();
    sh(dir, 'checkout', '--quiet', '-b', 'tamper', `origin/${c.branch}`);
    writeFileSync(
      join(dir, '.github', 'workflows', 'lint.yml'),
      'name: lint\non: push\njobs: { x: { runs-on: evil } }\n',
    );
    sh(dir, 'commit', '--quiet', '-am', 'sneak in');
    sh(dir, 'push', '--quiet', 'origin', `tamper:${c.branch}`);
    expect((await f.api.post(`/api/v1/approvals/${waiting.approvalId}/approve`, { reason: 'looks fine' })).status).toBe(
      200,
    );
    const done = await until(c.id, ['merged', 'failed', 'rejected', 'reverted']);
    expect(done.status).toBe('rejected');
    expect(done.reason).toContain('changed after approval');
    expect(onMain(repo, '.github/workflows/lint.yml')).toBe(false);
  });
});
