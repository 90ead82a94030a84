import type { BaseEnv } from '@juggernaut/config';
import type {
  BudgetUsageV1,
  LedgerTransactionPageV1,
  OpportunityV1,
  RequestSubject,
  RequestSubjectMap,
  TaskPageV1,
} from '@juggernaut/contracts';
import type { RunningService } from '@juggernaut/service-kit';
import { answer, eventually, httpError, toolCall } from '@juggernaut/testing';
import { opportunityKey } from '../apps/agent-runner/src/tools/create-opportunity.tool';
import { AgentsFixture, BASE_POLICY, costOf, type OfferedTool, type SentMessage } from './agents-fixture';

/**
 * The LLM tool loop end to end: a runner (level 3) talks to the OpenAI-compatible fake server
 * through the real SDK, governance meters its budget and stores its execution log, the
 * dispatcher holds its checkpoints. Each test scripts its own conversation, keyed by a marker in
 * its goal, so tests never consume each other's replies.
 */
describe('agent runtime: the tool loop', () => {
  let f: AgentsFixture;
  let runner: RunningService<BaseEnv>;
  let n = 0;
  const marker = () => `[case-${++n}-${Date.now()}]`;

  beforeAll(async () => {
    f = await AgentsFixture.start('agents');
    runner = await f.startRunner({ HOSTNAME: 'agent-l3', RUNNER_LEVEL: '3' });
  });

  afterAll(async () => {
    await f?.close();
  });

  it('runs a tool-call round trip: the tool result goes back to the model, every step is logged with tokens and cost, and the cost is posted exactly', async () => {
    const m = marker();
    f.pages.set('/pricing', { body: 'Basic plan: 9 USD per month' });
    f.fake.script(
      [
        toolCall('http_fetch', { url: `http://${f.webHost}/pricing` }, { prompt_tokens: 120, completion_tokens: 30 }),
        answer('The basic plan costs 9 USD a month.', { prompt_tokens: 200, completion_tokens: 12 }),
      ],
      m,
    );
    const secret = 'ghp_abcdefghijklmnopqrstuvwxyz0123456789';
    const id = await f.submit({
      type: 'agent.goal',
      payload: { goal: `Find the price of the basic plan ${m} (my token is ${secret})` },
      requiredLevel: 3,
    });
    const done = await f.until(id, 'succeeded');
    expect(done.result).toMatchObject({
      stopReason: 'completed',
      answer: 'The basic plan costs 9 USD a month.',
      steps: 2,
      tokens: { prompt: 320, completion: 42 },
      costMinor: costOf(120, 30) + costOf(200, 12),
      currency: 'USD',
    });

    const [first, second] = f.fake.chatRequests(m);
    expect(f.fake.chatRequests(m)).toHaveLength(2);
    expect(first!.body.model).toBe('fake-model');
    expect(first!.body.tools.map((t: OfferedTool) => t.function.name)).toEqual(
      expect.arrayContaining(['http_fetch', 'log', 'create_opportunity']),
    );
    // A level-3 worker is never offered a level-5 tool.
    expect(first!.body.tools.map((t: OfferedTool) => t.function.name)).not.toContain('create_task');
    const toolMsg = second!.body.messages.find((x: SentMessage) => x.role === 'tool');
    expect(JSON.parse(toolMsg.content)).toMatchObject({ status: 200, body: 'Basic plan: 9 USD per month' });
    // Secrets never reach the model: not the runner's API key, not one pasted into a goal.
    const bodies = JSON.stringify(f.fake.chatRequests(m).map((r) => r.body));
    expect(bodies).not.toContain('sk-test-secret-key');
    expect(bodies).not.toContain(secret);
    expect(first!.body.messages[1].content).toContain('(my token is [REDACTED])');

    const steps = await eventually(async () => {
      const s = await f.steps(id);
      return s.some((x) => x.action === 'agent.stop') && s.length >= 4 ? s : undefined;
    });
    expect(steps.map((s) => s.action)).toEqual(['agent.model', 'agent.tool', 'agent.model', 'agent.stop']);
    expect(steps[0]).toMatchObject({
      step: 1,
      outputData: {
        model: 'fake-model',
        usage: { prompt: 120, completion: 30 },
        costMinor: costOf(120, 30),
        currency: 'USD',
      },
    });
    expect(steps[0].durationMs).toEqual(expect.any(Number));
    expect(steps[1]).toMatchObject({ step: 1, outputData: { tool: 'http_fetch', outcome: 'ok' } });
    expect(steps[3]).toMatchObject({
      outputData: {
        stopReason: 'completed',
        costMinor: costOf(120, 30) + costOf(200, 12),
        usage: { prompt: 320, completion: 42 },
      },
    });

    const costs = await eventually(async () => {
      const c = await f.costEvents(id);
      return c.length === 2 ? c : undefined;
    });
    expect(costs.map((c) => [c.eventId, c.amountMinor, c.category, c.currency, c.taskType]).sort()).toEqual([
      [`llm:${id}:1`, costOf(120, 30), 'llm:fake-model', 'USD', 'agent.goal'],
      [`llm:${id}:2`, costOf(200, 12), 'llm:fake-model', 'USD', 'agent.goal'],
    ]);
    // The ledger holds exactly those amounts, with the reported tokens, once each.
    const ledger = await eventually(async () => {
      const page = (await f.api.get<LedgerTransactionPageV1>(`/api/v1/ledger/transactions?taskId=${id}`)).body;
      return page.items?.length === 2 ? page.items : undefined;
    });
    expect(ledger.map((t) => [t.eventId, t.kind, t.taskType, t.description]).sort()).toEqual([
      [`llm:${id}:1`, 'cost', 'agent.goal', 'fake-model: 120 prompt + 30 completion tokens (step 1)'],
      [`llm:${id}:2`, 'cost', 'agent.goal', 'fake-model: 200 prompt + 12 completion tokens (step 2)'],
    ]);
    for (const t of ledger) {
      const expected = t.eventId.endsWith(':1') ? costOf(120, 30) : costOf(200, 12);
      expect(t.postings.filter((p) => p.amountMinor > 0).map((p) => [p.amountMinor, p.currency])).toEqual([
        [expected, 'USD'],
      ]);
    }
    const usage = (await f.api.get<BudgetUsageV1>('/api/v1/budgets/usage')).body;
    expect(usage.byWorkerMinor['agent-l3']).toBeGreaterThanOrEqual(costOf(120, 30) + costOf(200, 12));
  });

  it('reads the ledger through the read-only ledger_summary tool, and exposes its metrics', async () => {
    const m = marker();
    f.fake.script([toolCall('ledger_summary', {}), answer('we are just starting')], m);
    const id = await f.submit({ type: 'agent.goal', payload: { goal: `How is the business doing ${m}` } });
    await f.until(id, 'succeeded');
    const tool = f.fake.chatRequests(m)[1]!.body.messages.find((x: SentMessage) => x.role === 'tool');
    expect(JSON.parse(tool.content)).toMatchObject({
      baseCurrency: expect.any(String),
      targetMinor: expect.any(Number),
      progressRatio: expect.any(Number),
    });
    const metrics = await (await fetch(`${runner.url}/metrics`)).text();
    expect(metrics).toMatch(/juggernaut_llm_tokens_total\{[^}]*model="fake-model"[^}]*kind="prompt"[^}]*\} [1-9]/);
    expect(metrics).toMatch(/juggernaut_llm_cost_minor_total\{[^}]*model="fake-model"[^}]*currency="USD"[^}]*\} [1-9]/);
    expect(metrics).toMatch(/juggernaut_tool_calls_total\{[^}]*tool="ledger_summary"[^}]*outcome="ok"[^}]*\} 1/);
    expect(metrics).toMatch(/juggernaut_agent_runs_total\{[^}]*type="agent.goal"[^}]*stop_reason="completed"/);
    expect(metrics).toMatch(/juggernaut_llm_request_duration_seconds_count\{[^}]*model="fake-model"[^}]*outcome="ok"/);
    expect(metrics).toMatch(/juggernaut_budget_reserved_minor_total\{[^}]*\} [1-9]/);
  });

  it('recovers from a tool error: a refused URL goes back to the model, which then succeeds', async () => {
    const m = marker();
    f.pages.set('/ok', { body: 'fine' });
    f.fake.script(
      [
        toolCall('http_fetch', { url: 'http://169.254.169.254/latest/meta-data/' }),
        toolCall('http_fetch', { url: `http://${f.webHost}/ok` }),
        answer('fetched it the second time'),
      ],
      m,
    );
    const id = await f.submit({ type: 'agent.goal', payload: { goal: `Fetch something ${m}` } });
    const done = await f.until(id, 'succeeded');
    expect(done.result!.answer).toBe('fetched it the second time');
    const second = f.fake.chatRequests(m)[1]!;
    const err = second.body.messages.filter((x: SentMessage) => x.role === 'tool').at(-1);
    expect(err.content).toMatch(
      /^error: refused: 169\.254\.169\.254 resolves to a private, loopback or link-local address/,
    );
    const steps = await eventually(async () => {
      const s = (await f.steps(id)).filter((x) => x.action === 'agent.tool');
      return s.length === 2 ? s : undefined;
    });
    expect(steps.map((s) => s.outputData!.outcome)).toEqual(['error', 'ok']);
  });

  it('sends malformed tool arguments back with the schema, and stops after the bounded retries', async () => {
    const m = marker();
    f.fake.script(
      [toolCall('http_fetch', '{"url": '), toolCall('http_fetch', { address: 'http://x' }), answer('gave up fetching')],
      m,
    );
    const id = await f.submit({ type: 'agent.goal', payload: { goal: `Malformed ${m}` } });
    await f.until(id, 'succeeded');
    const [, second, third] = f.fake.chatRequests(m);
    const bad1 = second!.body.messages.filter((x: SentMessage) => x.role === 'tool').at(-1).content as string;
    expect(bad1).toContain('the arguments are not a JSON object');
    expect(bad1).toContain('"required":["url"]');
    const bad2 = third!.body.messages.filter((x: SentMessage) => x.role === 'tool').at(-1).content as string;
    expect(bad2).toContain("must have required property 'url'");

    const m2 = marker();
    f.fake.script(
      [toolCall('http_fetch', '{'), toolCall('http_fetch', '{'), toolCall('http_fetch', '{'), answer('never reached')],
      m2,
    );
    const id2 = await f.submit({ type: 'agent.goal', payload: { goal: `Always malformed ${m2}` } });
    const dead = await f.until(id2, 'dead');
    expect(dead.reason).toMatch(/^loop_detected: 3 invalid tool calls in a row/);
    expect(f.fake.chatRequests(m2)).toHaveLength(3);
  });

  it('retries a 429, waiting as long as retry-after says', async () => {
    const m = marker();
    f.fake.script([httpError(429, { 'retry-after': '1' }, 'slow down'), answer('after the wait')], m);
    const id = await f.submit({ type: 'agent.goal', payload: { goal: `Rate limited ${m}` } });
    const done = await f.until(id, 'succeeded');
    expect(done.result!.answer).toBe('after the wait');
    const [a, b] = f.fake.chatRequests(m);
    expect(b!.at - a!.at).toBeGreaterThanOrEqual(950);
    expect(done.attempts).toBe(1);
  });

  it('makes a task whose model is down fail retryably, and the runner keeps working', async () => {
    const m = marker();
    f.fake.script([httpError(503), httpError(503), httpError(503)], m);
    f.fake.script([answer('back up')], m);
    const id = await f.submit({ type: 'agent.goal', payload: { goal: `Model down ${m}` }, maxAttempts: 3 });
    const done = await f.until(id, 'succeeded', 30_000);
    expect(done.attempts).toBe(2);
    expect(done.history.map((h) => h.status)).toContain('failed');
    expect(done.history.find((h) => h.status === 'failed')!.reason).toMatch(/unavailable after 3 attempt/);
  });

  it('stops at the step limit with an explicit reason', async () => {
    const m = marker();
    let i = 0;
    f.fake.script(
      Array.from({ length: 10 }, () => toolCall('log', { message: `progress ${++i}` })),
      m,
    );
    const id = await f.submit({ type: 'agent.goal', payload: { goal: `Never finishes ${m}`, maxSteps: 3 } });
    const dead = await f.until(id, 'dead');
    expect(dead.reason).toBe('max_steps: 3 model calls made, the limit is 3');
    expect(f.fake.chatRequests(m)).toHaveLength(3);
    const stop = await eventually(async () => (await f.steps(id)).find((s) => s.action === 'agent.stop'));
    expect(stop.outputData!.stopReason).toBe('max_steps');
  });

  it('detects a loop: the same call with the same result, even with other calls in between', async () => {
    const m = marker();
    f.pages.set('/same', { body: 'same every time' });
    const fetch = () => toolCall('http_fetch', { url: `http://${f.webHost}/same` });
    f.fake.script(
      [
        fetch(),
        toolCall('log', { message: 'thinking' }),
        fetch(),
        toolCall('log', { message: 'still thinking' }),
        fetch(),
        answer('unreached'),
      ],
      m,
    );
    const id = await f.submit({ type: 'agent.goal', payload: { goal: `Loops ${m}` } });
    const dead = await f.until(id, 'dead');
    expect(dead.reason).toMatch(/^loop_detected: the same call \(http_fetch\) returned the same result 3 times/);
    expect(f.fake.chatRequests(m)).toHaveLength(5);
  });

  it('denies a tool above the worker level: logged, returned to the model as denied, and never run', async () => {
    const m = marker();
    f.fake.script(
      [
        toolCall('create_task', {
          type: 'agent.goal',
          title: 'sub',
          goal: 'do more',
          requiredLevel: 3,
          budgetMinor: 10,
        }),
        answer('did it myself'),
      ],
      m,
    );
    const id = await f.submit({ type: 'agent.goal', payload: { goal: `Delegate ${m}` } });
    await f.until(id, 'succeeded');
    const tool = f.fake.chatRequests(m)[1]!.body.messages.find((x: SentMessage) => x.role === 'tool');
    expect(tool.content).toBe(
      'denied: create_task needs autonomy level 5; this worker is level 3. Do the task without it.',
    );
    const step = await eventually(async () => (await f.steps(id)).find((s) => s.action === 'agent.tool'));
    expect(step).toMatchObject({ level: 'warn', outputData: { tool: 'create_task', outcome: 'denied' } });
    expect(
      (await f.api.get<TaskPageV1>('/api/v1/tasks?type=agent.goal&limit=200')).body.items.filter(
        (t) => t.title === 'sub',
      ),
    ).toHaveLength(0);
  });

  it('denies a tool the policy raises above the worker level', async () => {
    await f.setPolicy({ ...BASE_POLICY, permissions: { taskTypes: {}, tools: { http_fetch: 4 } } }, [runner]);
    try {
      const m = marker();
      f.fake.script([toolCall('http_fetch', { url: `http://${f.webHost}/ok` }), answer('fine without it')], m);
      const id = await f.submit({ type: 'agent.goal', payload: { goal: `Policy denies ${m}` } });
      await f.until(id, 'succeeded');
      const [first, second] = f.fake.chatRequests(m);
      expect(first!.body.tools.map((t: OfferedTool) => t.function.name)).not.toContain('http_fetch');
      expect(second!.body.messages.find((x: SentMessage) => x.role === 'tool').content).toMatch(
        /^denied: http_fetch needs autonomy level 4/,
      );
    } finally {
      await f.setPolicy(BASE_POLICY, [runner]);
    }
  });

  it('validates the final answer against the output schema and sends it back when it does not match', async () => {
    const m = marker();
    f.fake.script([answer('not json'), answer('{"total": "nine"}'), answer('```json\n{"total": 9}\n```')], m);
    const id = await f.submit({
      type: 'agent.goal',
      payload: {
        goal: `Structured ${m}`,
        outputSchema: { type: 'object', properties: { total: { type: 'integer' } }, required: ['total'] },
      },
    });
    const done = await f.until(id, 'succeeded');
    expect(done.result!.answer).toEqual({ total: 9 });
    const third = f.fake.chatRequests(m)[2]!.body.messages.at(-1);
    expect(third.content).toContain('/total must be integer');
  });

  it('stops before a call that would exceed the task budget: no request is made, and the task waits blocked with its work kept', async () => {
    const m = marker();
    // The provider reports a large usage for the first call; what is left cannot hold the next call.
    f.fake.script(
      [
        toolCall('log', { message: 'expensive thought' }, { prompt_tokens: 9_000, completion_tokens: 0 }),
        answer('unreached'),
      ],
      m,
    );
    const id = await f.submit({ type: 'agent.goal', payload: { goal: `Budget ${m}` }, budgetMinor: 1_000 });
    const blocked = await f.until(id, 'blocked');
    expect(blocked.reason).toMatch(/^budget: task budget cap 1000 reached/);
    expect(blocked.reason).toContain('no request was made');
    expect(f.fake.chatRequests(m)).toHaveLength(1);
    expect(blocked.attempts).toBe(0);
    const costs = await eventually(async () => {
      const c = await f.costEvents(id);
      return c.length === 1 ? c : undefined;
    });
    expect(costs[0]).toMatchObject({ eventId: `llm:${id}:1`, amountMinor: costOf(9_000, 0) });
    const stop = await eventually(async () => (await f.steps(id)).find((s) => s.action === 'agent.stop'));
    expect(stop.outputData).toMatchObject({ stopReason: 'budget', costMinor: costOf(9_000, 0) });

    // Released without more budget: the next call still does not fit, so it parks again, unmade.
    const released = await f.api.post('/api/v1/budgets/release');
    expect(released.body.unblocked).toContain(id);
    await eventually(async () => (await f.task(id)).history.filter((h) => h.status === 'blocked').length === 2);
    expect(f.fake.chatRequests(m)).toHaveLength(1);
  });

  it('blocks agent tasks with "no model configured" when no endpoint is set, and never calls anything', async () => {
    await f.stopRunner(runner);
    const bare = await f.startRunner({
      HOSTNAME: 'no-model',
      RUNNER_LEVEL: '3',
      OPENAI_BASE_URL: '',
      OPENAI_API_KEY: '',
    });
    try {
      const before = f.fake.requests.length;
      const m = marker();
      const id = await f.submit({ type: 'agent.goal', payload: { goal: `anything ${m}` } });
      const blocked = await f.until(id, 'blocked');
      expect(blocked).toMatchObject({ reason: 'no model configured', attempts: 0 });
      expect(f.fake.requests.length).toBe(before);
      // A runner with a model releases what waited for one, and it runs.
      await f.stopRunner(bare);
      f.fake.script([answer('modelled')], m);
      runner = await f.startRunner({ HOSTNAME: 'agent-l3', RUNNER_LEVEL: '3' });
      const done = await f.until(id, 'succeeded');
      expect(done.result!.answer).toBe('modelled');
    } finally {
      if (f.stack.services.includes(bare)) await f.stopRunner(bare);
    }
  });

  it('keeps secrets a page contains out of what the model sees', async () => {
    const m = marker();
    f.pages.set('/leaky', {
      body: 'config: AWS_KEY=AKIAABCDEFGHIJKLMNOP and token ghp_abcdefghijklmnopqrstuvwxyz0123456789',
    });
    f.fake.script([toolCall('http_fetch', { url: `http://${f.webHost}/leaky` }), answer('read it')], m);
    const id = await f.submit({ type: 'agent.goal', payload: { goal: `Read the config ${m}` } });
    await f.until(id, 'succeeded');
    const tool = f.fake.chatRequests(m)[1]!.body.messages.find((x: SentMessage) => x.role === 'tool').content as string;
    expect(tool).toContain('AWS_KEY=[REDACTED]');
    expect(tool).not.toContain('AKIAABCDEFGHIJKLMNOP');
    expect(tool).not.toContain('ghp_abcdefghijklmnopqrstuvwxyz0123456789');
  });

  it('charges the whole reservation when the provider reports no usage, and says so in the log', async () => {
    const m = marker();
    f.fake.script([answer('no usage here', null)], m);
    const id = await f.submit({ type: 'agent.goal', payload: { goal: `No usage ${m}` } });
    const done = await f.until(id, 'succeeded');
    const step = await eventually(async () => (await f.steps(id)).find((s) => s.action === 'agent.model'));
    expect(step).toMatchObject({
      level: 'warn',
      outputData: { usageMissing: true, usage: { prompt: 0, completion: 0 } },
    });
    expect(step.outputData!.costMinor).toBeGreaterThan(0);
    expect(done.result!.costMinor).toBe(step.outputData!.costMinor);
    const costs = await eventually(async () => {
      const c = await f.costEvents(id);
      return c.length === 1 ? c : undefined;
    });
    expect(costs[0]).toMatchObject({
      amountMinor: step.outputData!.costMinor,
      description: 'fake-model: usage not reported by the provider, the reservation was charged (step 1)',
    });
  });

  it('stops with timeout when the active-time limit runs out mid-call', async () => {
    const slow = await f.startRunner({
      HOSTNAME: 'agent-slow',
      RUNNER_LEVEL: '3',
      RUNNER_CAPABILITIES: 'slow',
      AGENT_TIMEOUT_MS: '1500',
    });
    try {
      const m = marker();
      f.fake.script(
        [
          {
            kind: 'completion',
            message: { content: 'too late' },
            usage: { prompt_tokens: 1, completion_tokens: 1 },
            delayMs: 10_000,
          },
        ],
        m,
      );
      const id = await f.submit({ type: 'agent.goal', requiredCapabilities: ['slow'], payload: { goal: `Slow ${m}` } });
      const dead = await f.until(id, 'dead');
      expect(dead.reason).toBe('timeout: active time over 1500 ms');
      expect(f.fake.chatRequests(m)[0]!.aborted).toBe(true);
    } finally {
      await f.stopRunner(slow);
    }
  });

  it('reconciles a tool call interrupted by a crash: the tool runs again with its idempotency key and its effect lands once', async () => {
    const m = marker();
    const args = {
      opportunityType: 'saas',
      category: 'crm',
      description: `Interrupted idea ${m}`,
      estimatedValueMinor: 5_000,
      confidenceScore: 0.3,
    };
    // A runner that died after the tool took effect but before it saved the result left this behind.
    const id = await f.submit({
      type: 'agent.goal',
      requiredCapabilities: ['manual'],
      payload: { goal: `Interrupted ${m}` },
    });
    const rpc = async <S extends RequestSubject>(subject: S, payload: unknown) => {
      const reply = (
        await f.nc.request(`${f.stack.namespace}.${subject}`, JSON.stringify(payload), { timeout: 5_000 })
      ).json<{ ok: boolean; data: RequestSubjectMap[S]['reply']; error?: unknown }>();
      if (!reply.ok) throw new Error(JSON.stringify(reply.error));
      return reply.data;
    };
    const [claimed] = (
      await rpc('juggernaut.task.claim.v1', {
        workerId: 'crashed',
        level: 3,
        capabilities: ['manual'],
        types: ['agent.goal'],
        max: 1,
      })
    ).tasks;
    expect(claimed.id).toBe(id);
    const existing = await f.api.post('/api/v1/opportunities', {
      ...args,
      dedupeKey: opportunityKey(args.opportunityType, args.category, args.description),
      taskId: id,
    });
    expect(existing.status).toBe(201);
    const call = {
      id: 'call_1',
      type: 'function',
      function: { name: 'create_opportunity', arguments: JSON.stringify(args) },
    };
    await rpc('juggernaut.task.checkpoint.v1', {
      taskId: id,
      claimToken: claimed.claimToken,
      checkpoint: {
        agent: {
          v: 1,
          step: 1,
          activeMs: 10,
          spentMinor: 0,
          tokens: { prompt: 0, completion: 0 },
          invalidStreak: 0,
          loop: { seen: {}, staleSteps: 0 },
          approvals: {},
          messages: [
            { role: 'system', content: 'sys' },
            { role: 'user', content: `Goal: Interrupted ${m}` },
            { role: 'assistant', content: null, tool_calls: [call] },
          ],
          inflight: {
            kind: 'tool',
            step: 1,
            callId: 'call_1',
            tool: 'create_opportunity',
            idempotencyKey: `tool:${id}:1:0`,
          },
        },
      },
    });
    await rpc('juggernaut.task.release.v1', {
      workerId: 'crashed',
      reason: 'drill',
      leases: [{ taskId: id, claimToken: claimed.claimToken }],
    });
    f.fake.script([answer('recorded once')], m);
    const manual = await f.startRunner({ HOSTNAME: 'agent-manual', RUNNER_LEVEL: '3', RUNNER_CAPABILITIES: 'manual' });
    try {
      const done = await f.until(id, 'succeeded');
      expect(done.result!.answer).toBe('recorded once');
      const tool = f.fake.chatRequests(m)[0]!.body.messages.find((x: SentMessage) => x.role === 'tool');
      expect(JSON.parse(tool.content)).toMatchObject({ id: existing.body.id });
      const opps = (await f.api.get<{ items: OpportunityV1[] }>('/api/v1/opportunities?limit=200')).body.items.filter(
        (o) => o.description === args.description,
      );
      expect(opps).toHaveLength(1);
      const reconcile = await eventually(async () => (await f.steps(id)).find((s) => s.action === 'agent.reconcile'));
      expect(reconcile).toMatchObject({
        step: 1,
        outputData: { tool: 'create_opportunity', idempotencyKey: `tool:${id}:1:0` },
      });
    } finally {
      await f.stopRunner(manual);
    }
  });
});
