import { jetstream } from '@nats-io/jetstream';
import {
  type ConversationMessagePageV1,
  type ConversationMessageV1,
  type ConversationPageV1,
  MODEL_SETUP_GUIDANCE,
  type PnlReportV1,
  type TaskPageV1,
} from '@juggernaut/contracts';
import {
  answer,
  apiClient,
  type ChatRequestBody,
  eventually,
  type FakeStep,
  type RecordedMessage,
  type RecordedRequest,
  toolCall,
} from '@juggernaut/testing';
import { agentRunner } from '../apps/agent-runner/src/service';
import { experimentTracker } from '../apps/experiment-tracker/src/service';
import { numbersIn } from '../apps/agent-runner/src/conversation/grounding';
import { ADMIN, AgentsFixture } from './agents-fixture';

/** A tool's result as the runtime hands it to the model: text (JSON for a result with data). */
type ToolMessage = RecordedMessage & { role: 'tool'; content: string };
/**
 * The data of a streamed answer's event (every event carries some): the question and the pending answer as
 * stored, the progress of the answer (text, tool calls), and the stored answer at the end.
 */
type StreamData = Partial<ConversationMessageV1> & {
  text?: string;
  tool?: string;
  answer?: ConversationMessageV1;
};

/**
 * Conversations with Juggernaut end to end: governance-api stores them and waits for the answers,
 * the dispatcher queues the conversation.reply tasks, an agent runner writes the answers through the
 * real `openai` SDK against the fake OpenAI-compatible server (streamed), with read-only tools that
 * read through governance for the caller's role; the ledger and the experiment tracker hold what the
 * tools read. Each test scripts the model by a marker in its question.
 */
describe('conversations with Juggernaut', () => {
  let f: AgentsFixture;
  let n = 0;
  const marker = () => `[conv-${++n}-${Date.now()}]`;
  const admin = () => f.api;
  const start = async (api = admin(), body: Record<string, unknown> = {}) => {
    const r = await api.post('/api/v1/conversations', body);
    if (r.status !== 201) throw new Error(`conversation not started: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body.id as string;
  };
  const ask = (id: string, content: string, api = admin()) =>
    api.post(`/api/v1/conversations/${id}/messages`, { content });
  const messagesOf = async (id: string, api = admin()) =>
    (await api.get<ConversationMessagePageV1>(`/api/v1/conversations/${id}/messages?limit=200`)).body.items;
  const messagesIn = (req: RecordedRequest) => (req.body as ChatRequestBody).messages;
  /** What the model was told by the tools in a request. */
  const toolMessages = (req: RecordedRequest) => messagesIn(req).filter((m): m is ToolMessage => m.role === 'tool');
  const offered = (req: RecordedRequest) => ((req.body as ChatRequestBody).tools ?? []).map((t) => t.function.name);

  /** Server-sent events of a streamed answer, as they come. */
  async function* events(res: Response): AsyncGenerator<{ event: string; data: StreamData }> {
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true });
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (event) yield { event, data: data === undefined ? undefined : JSON.parse(data) };
      }
    }
  }
  const streamAsk = (id: string, content: string, key = ADMIN) =>
    fetch(`${f.stack.services[0]!.url}/api/v1/conversations/${id}/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ content }),
    });
  const workerSeen = (id: string, capability?: string) =>
    eventually(async () => {
      const w = (await admin().get(`/api/v1/workers/${id}`)).body;
      return w.status === 'online' && (!capability || w.capabilities?.includes(capability)) ? w : undefined;
    }, 15_000);

  beforeAll(async () => {
    f = await AgentsFixture.start('conversations', { JUGGERNAUT_CONVERSATION_WAIT_MS: '30000' });
    await f.stack.start(experimentTracker);
  });

  afterAll(async () => {
    await f?.close();
  });

  describe('without a model', () => {
    it('answers 503 before storing anything: no runner online, then a runner without a model (with the fix `npm run doctor` gives)', async () => {
      const id = await start();
      const none = await ask(id, 'What did we earn this week?');
      expect(none.status).toBe(503);
      expect(none.body.message).toMatch(/^no agent runner of level 2 or above is online/);
      expect(none.body.message).toContain(MODEL_SETUP_GUIDANCE);

      const runner = await f.stack.start(agentRunner, {
        HOSTNAME: 'no-model-runner',
        RUNNER_LEVEL: '3',
        RUNNER_PRESENCE_INTERVAL_MS: '300',
        RUNNER_POLL_INTERVAL_MS: '300',
      });
      try {
        await workerSeen('no-model-runner');
        const r = await ask(id, 'What did we earn this week?');
        expect(r.status).toBe(503);
        expect(r.body.message).toBe(
          `no model configured: no agent runner of level 2 or above has a model to answer with. Fix: ${MODEL_SETUP_GUIDANCE} (set it for the agent runners; \`npm run doctor\` checks it)`,
        );
        expect(await messagesOf(id)).toEqual([]);
      } finally {
        await f.stopRunner(runner);
      }
    });
  });

  describe('with a model', () => {
    let runner: Awaited<ReturnType<AgentsFixture['startRunner']>>;

    beforeAll(async () => {
      // A small context budget, so that a conversation of a few long questions outgrows it.
      runner = await f.startRunner({
        HOSTNAME: 'conv-runner',
        RUNNER_LEVEL: '3',
        AGENT_CONVERSATION_CONTEXT_TOKENS: '4500',
        AGENT_MAX_TOKENS: '256',
      });
      await workerSeen('conv-runner', 'llm');
    });

    it('remembers earlier turns: the second question is answered with the first question and answer in view, from the id the first one cited', async () => {
      const m1 = marker();
      const m2 = marker();
      const exp = (
        await admin().post('/api/v1/experiments', {
          name: `Checkout copy ${m1}`,
          hypothesis: 'Shorter copy converts more',
          primaryMetric: 'conversion',
          budgetMinor: 20_000,
          variants: [
            { key: 'control', weight: 50, control: true },
            { key: 'short', weight: 50 },
          ],
        })
      ).body;
      f.fake.script(
        [toolCall('experiments_list', { status: 'draft' }), answer(`The newest draft is "Checkout copy" [${exp.id}].`)],
        m1,
      );
      f.fake.script(
        [
          toolCall('experiment_get', { id: exp.id }),
          answer(`It has the variants control and short, and a budget of 20000 USD minor units [${exp.id}].`),
        ],
        m2,
      );
      const id = await start();
      const first = await ask(id, `Which experiment was drafted last? ${m1}`);
      expect(first.status).toBe(200);
      expect(first.body.answer).toMatchObject({
        status: 'completed',
        stopReason: 'completed',
        content: `The newest draft is "Checkout copy" [${exp.id}].`,
        citations: [{ ref: exp.id, tool: 'experiments_list' }],
      });
      const second = await ask(id, `How many variants does it have, and what budget? ${m2}`);
      expect(second.body.answer).toMatchObject({
        status: 'completed',
        citations: [{ ref: exp.id, tool: 'experiment_get' }],
        toolCalls: [{ name: 'experiment_get', outcome: 'ok' }],
      });

      const [turn2] = f.fake.chatRequests(m2);
      const sent = messagesIn(turn2!).map((m) => [m.role, m.content]);
      expect(sent.slice(1)).toEqual([
        ['user', `Which experiment was drafted last? ${m1}`],
        ['assistant', `The newest draft is "Checkout copy" [${exp.id}].`],
        ['user', `How many variants does it have, and what budget? ${m2}`],
      ]);
      expect(turn2!.body.stream).toBe(true);
      expect(await messagesOf(id)).toHaveLength(4);
      // The task says how the run went; the answer itself is for the caller only (every role reads tasks).
      const task = (await admin().get(`/api/v1/tasks/${second.body.answer.taskId}`)).body;
      expect(task).toMatchObject({
        type: 'conversation.reply',
        status: 'succeeded',
        payload: { conversationId: id, messageId: second.body.answer.id, role: 'admin' },
      });
      expect(JSON.stringify(task.result)).not.toContain('variants');
      const logs = await f.steps(second.body.answer.taskId);
      expect(logs.map((l) => l.action)).toEqual(['agent.model', 'agent.tool', 'agent.model', 'agent.stop']);
      expect(JSON.stringify(logs)).not.toContain('variants control and short');
      // Spend was reserved, settled and posted to the ledger like any agent task's.
      await eventually(
        async () =>
          (await admin().get(`/api/v1/ledger/transactions?taskId=${second.body.answer.taskId}`)).body.items?.length ===
          2,
      );
      expect((await admin().get(`/api/v1/conversations/${id}`)).body.spentMinor).toBeGreaterThan(0);
    });

    it("chains tools — P&L by experiment, then that experiment's results — and holds every number of the answer to what they returned", async () => {
      const m = marker();
      const exp = (
        await admin().post('/api/v1/experiments', {
          name: `Annual plan ${m}`,
          hypothesis: 'An annual plan lifts revenue',
          primaryMetric: 'conversion',
          budgetMinor: 50_000,
          variants: [
            { key: 'control', weight: 50, control: true },
            { key: 'annual', weight: 50 },
          ],
        })
      ).body;
      expect((await admin().post(`/api/v1/experiments/${exp.id}/start`, {})).status).toBe(200);
      const js = jetstream(f.nc);
      for (const [i, amount] of [
        [1, 80_000],
        [2, 45_000],
      ] as const) {
        await js.publish(
          `${f.stack.namespace}.juggernaut.revenue.recorded.v1`,
          JSON.stringify({
            eventId: `conv-sale-${m}-${i}`,
            amountMinor: amount,
            currency: 'USD',
            source: 'shop',
            occurredAt: new Date().toISOString(),
            experimentId: exp.id,
            variantKey: 'annual',
          }),
        );
      }
      await eventually(async () =>
        (await admin().get<PnlReportV1>('/api/v1/ledger/pnl?groupBy=experiment')).body.rows.some(
          (r) => r.key === exp.id && r.revenueMinor === 125_000,
        ),
      );

      f.fake.script(
        [
          toolCall('ledger_pnl', { groupBy: 'experiment' }),
          toolCall('experiment_results', { id: exp.id }),
          // a draft with a number no tool returned: refused by the runtime, sent back, written again
          answer(`Experiment [${exp.id}] earned 130000 USD minor units.`),
          answer(
            `Experiment [${exp.id}] earned the most: 125000 USD minor units ($1,250.00) of revenue; its results are still collecting units.`,
          ),
        ],
        m,
      );
      const id = await start();
      const r = await ask(id, `Which experiment earned the most, and how is it doing? ${m}`);
      expect(r.status).toBe(200);
      expect(r.body.answer).toMatchObject({
        status: 'completed',
        content: `Experiment [${exp.id}] earned the most: 125000 USD minor units ($1,250.00) of revenue; its results are still collecting units.`,
        toolCalls: [
          { name: 'ledger_pnl', outcome: 'ok' },
          { name: 'experiment_results', outcome: 'ok' },
        ],
      });
      expect(r.body.answer.citations).toEqual(expect.arrayContaining([{ ref: exp.id, tool: 'ledger_pnl' }]));

      const requests = f.fake.chatRequests(m);
      expect(requests).toHaveLength(4);
      // the second call asked for the results of the experiment the first call returned
      const [pnl] = toolMessages(requests[1]!);
      expect(JSON.parse(pnl.content).rows).toEqual(
        expect.arrayContaining([
          { key: exp.id, currency: 'USD', revenueMinor: 125_000, costMinor: 0, netMinor: 125_000 },
        ]),
      );
      const results = toolMessages(requests[2]!)[1];
      expect(JSON.parse(results.content)).toMatchObject({ experimentId: exp.id });
      // the invented number was sent back, named
      const refusal = messagesIn(requests[3]!).at(-1)!;
      expect(refusal).toMatchObject({ role: 'user' });
      expect(refusal.content).toContain('no tool result of this conversation shows (130000)');
      // every number of the stored answer is in what the tools returned (money written as $ with cents: its minor units)
      const told = toolMessages(requests[3]!)
        .map((t) => t.content)
        .join('\n');
      for (const num of numbersIn(r.body.answer.content.replace(/\[[^\]]+\]/g, ''))) {
        const minor = num.decimals === 2 ? String(Math.round(num.value * 100)) : num.canonical;
        expect([num.text, told.includes(num.canonical) || told.includes(minor)]).toEqual([num.text, true]);
      }
    });

    it('streams the answer as server-sent events: the question, the pending answer, tool calls, the text as the model writes it, then the stored answer', async () => {
      const m = marker();
      const text = 'Nothing is waiting for approval right now [approvals_list].';
      f.fake.script(
        [toolCall('approvals_list', { status: 'pending' }), { ...answer(text), chunkSize: 6 } as FakeStep],
        m,
      );
      const id = await start();
      const res = await streamAsk(id, `What is waiting for me? ${m}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
      const seen: Array<{ event: string; data: StreamData }> = [];
      for await (const e of events(res)) seen.push(e);
      const kinds = seen.map((e) => e.event);
      expect(kinds.slice(0, 2)).toEqual(['question', 'answer']);
      expect(kinds.at(-1)).toBe('done');
      expect(seen.find((e) => e.event === 'tool')?.data).toMatchObject({ tool: 'approvals_list', outcome: 'ok' });
      const deltas = seen.filter((e) => e.event === 'delta');
      expect(deltas.length).toBeGreaterThan(5);
      expect(deltas.map((e) => e.data.text).join('')).toBe(text);
      expect(seen.at(-1)!.data.answer).toMatchObject({
        status: 'completed',
        content: text,
        citations: [{ ref: 'approvals_list', tool: 'approvals_list' }],
      });
      expect(seen[1]!.data).toMatchObject({ status: 'pending', id: seen.at(-1)!.data.answer!.id });
    });

    it("ends the reply with a clear message when the conversation's budget runs out mid-conversation, and spends nothing more", async () => {
      const m1 = marker();
      const m2 = marker();
      const m3 = marker();
      f.fake.script([answer('Hello. Ask me about the ledger, tasks, goals or experiments.')], m1);
      // the tool call's usage is huge: after it the conversation has nothing left for the next model call
      f.fake.script(
        [toolCall('ledger_summary', {}, { prompt_tokens: 1_000_000, completion_tokens: 10 }), answer('unreached')],
        m2,
      );
      f.fake.script([answer('unreached either')], m3);
      const id = await start(admin(), { budgetMinor: 50_000 });
      expect((await ask(id, `Hi ${m1}`)).body.answer.status).toBe('completed');
      const began = Date.now();
      const r = await ask(id, `How is the business doing? ${m2}`);
      expect(r.status).toBe(200);
      expect(Date.now() - began).toBeLessThan(15_000);
      expect(r.body.answer).toMatchObject({
        status: 'stopped',
        stopReason: 'budget',
        toolCalls: [{ name: 'ledger_summary', outcome: 'ok' }],
      });
      expect(r.body.answer.content).toMatch(
        /^I had to stop: the next model call would have gone over a budget \(.*task budget.*\)\. Nothing more was spent\./,
      );
      expect(f.fake.chatRequests(m2)).toHaveLength(1);
      const conversation = (await admin().get(`/api/v1/conversations/${id}`)).body;
      expect(conversation.spentMinor).toBeGreaterThan(50_000);
      // a later question finds the budget spent and stops before any request goes out
      const again = await ask(id, `And now? ${m3}`);
      expect(again.body.answer).toMatchObject({ status: 'stopped', stopReason: 'budget' });
      expect(f.fake.chatRequests(m3)).toHaveLength(0);
      const ended = await eventually(async () => {
        const t = (await admin().get(`/api/v1/tasks/${again.body.answer.taskId}`)).body;
        return t.status === 'dead' ? t : undefined;
      });
      expect(ended.reason).toMatch(/^budget: task budget cap 0 reached/);
    });

    it('ends a streamed answer with a clear message when the kill switch is engaged mid-answer, and the answer never resumes', async () => {
      const m = marker();
      f.fake.script(
        [
          {
            ...answer(
              'Revenue this week comes from three experiments, and the largest of them is the annual plan, which',
            ),
            chunkSize: 4,
            chunkDelayMs: 400,
          } as FakeStep,
        ],
        m,
      );
      const id = await start();
      const res = await streamAsk(id, `Tell me about revenue ${m}`);
      const seen: Array<{ event: string; data: StreamData }> = [];
      let engagedAt = 0;
      try {
        for await (const e of events(res)) {
          seen.push(e);
          if (e.event === 'delta' && !engagedAt) {
            engagedAt = Date.now();
            await f.killSwitch(true, [runner]);
          }
        }
        expect(Date.now() - engagedAt).toBeLessThan(5_000);
        const done = seen.at(-1)!;
        expect(done.event).toBe('done');
        expect(done.data.answer).toMatchObject({ status: 'stopped', stopReason: 'kill_switch' });
        expect(done.data.answer!.content).toMatch(
          /^I stopped: the kill switch was engaged while I was answering \(drill\)/,
        );
        await eventually(() => f.fake.chatRequests(m)[0]!.aborted === true, 5_000);
        await eventually(
          async () => (await admin().get(`/api/v1/tasks/${done.data.answer!.taskId}`)).body.status === 'cancelled',
          5_000,
        );
      } finally {
        await f.killSwitch(false, [runner]);
      }
      await new Promise((r) => setTimeout(r, 1_500));
      expect(f.fake.chatRequests(m)).toHaveLength(1);
      const [, stored] = await messagesOf(id);
      expect(stored).toMatchObject({ status: 'stopped', stopReason: 'kill_switch' });
      expect((await admin().get(`/api/v1/audit?action=conversation.answer.stop`)).body.items[0]).toMatchObject({
        actor: 'system:conversations',
        resourceId: id,
      });
    });

    it('shows a viewer only what a viewer may read: the audit log is not offered, a call of it is refused, and governance refuses the read for that turn', async () => {
      const viewerKey = (await admin().post('/api/v1/api-keys', { name: 'conv-viewer', role: 'viewer' })).body
        .key as string;
      const viewer = apiClient(f.stack.services[0]!.url, viewerKey);
      const m = marker();
      f.fake.script(
        [
          { ...toolCall('audit_log', {}), delayMs: 1_500 } as FakeStep,
          answer('I cannot read the audit log for you: it is for admin and operator keys, so one of them must ask.'),
        ],
        m,
      );
      const id = await start(viewer);
      expect((await viewer.get(`/api/v1/conversations/${id}`)).body).toMatchObject({
        role: 'viewer',
        createdBy: 'conv-viewer',
      });
      const pending = ask(id, `Who changed the policy last? ${m}`, viewer);
      // while the answer is written, governance refuses the audit log to this turn whoever asks for it
      const answerRow = await eventually(
        async () => (await messagesOf(id, viewer)).find((x) => x.author === 'assistant' && x.taskId),
        10_000,
      );
      const read = (resource: string) =>
        f.nc
          .request(
            `${f.stack.namespace}.juggernaut.conversation.read.v1`,
            JSON.stringify({ taskId: answerRow.taskId, resource, query: {} }),
            { timeout: 5_000 },
          )
          .then((x) => x.json<unknown>());
      expect(await read('audit')).toEqual({
        ok: false,
        error: {
          status: 403,
          message: 'a viewer key may not read audit (allowed: admin, operator), so this conversation may not either',
        },
      });
      expect(await read('api-keys')).toMatchObject({ ok: false, error: { status: 403 } });
      expect(await read('ledger.summary')).toMatchObject({ ok: true, data: { baseCurrency: 'USD' } });

      const r = await pending;
      expect(r.body.answer).toMatchObject({
        status: 'completed',
        toolCalls: [{ name: 'audit_log', outcome: 'refused' }],
      });
      const [first, second] = f.fake.chatRequests(m);
      expect(offered(first!)).not.toContain('audit_log');
      expect(offered(first!)).not.toContain('api_keys_list');
      expect(offered(first!)).toEqual(
        expect.arrayContaining(['ledger_summary', 'tasks_list', 'approvals_list', 'logs_list']),
      );
      const [refused] = toolMessages(second!);
      expect(refused.content).toBe(
        "refused: audit_log reads what only admin and operator keys may read (GET /audit), and this conversation's caller holds a viewer key. Tell the caller so: someone with such a key must ask.",
      );
      expect(refused.content).not.toContain('policy.update');
      // another key's conversation is not the viewer's to read; an admin may read it
      const adminsOwn = await start();
      expect((await viewer.get(`/api/v1/conversations/${adminsOwn}`)).status).toBe(404);
      expect((await admin().get(`/api/v1/conversations/${id}`)).status).toBe(200);
      expect((await viewer.get<ConversationPageV1>('/api/v1/conversations')).body.items.map((c) => c.id)).toEqual([id]);
    });

    it('refuses a tool that writes: the call goes back to the model as refused with the REST call to make instead, is logged, and changes nothing', async () => {
      const m = marker();
      const title = `Retry the failed payouts ${m}`;
      f.fake.script(
        [
          toolCall('create_task', { type: 'noop', title, goal: 'retry the payouts', requiredLevel: 1, budgetMinor: 0 }),
          answer(
            'I cannot create tasks. Make this call yourself with an admin, operator or agent key: POST /api/v1/tasks {"type":"noop","title":"Retry the failed payouts"}',
          ),
        ],
        m,
      );
      const id = await start();
      const r = await ask(id, `Create a task to retry the failed payouts ${m}`);
      expect(r.body.answer).toMatchObject({
        status: 'completed',
        toolCalls: [{ name: 'create_task', outcome: 'refused' }],
      });
      const [refused] = toolMessages(f.fake.chatRequests(m)[1]!);
      expect(refused.content).toBe(
        `refused: create_task would change the system, and this conversation may only read. Do not retry it: tell the caller the exact call to make themselves with an admin, operator or agent key: POST /api/v1/tasks {"type":"noop","title":"${title}","requiredLevel":1,"budgetMinor":0,"payload":{"goal":"retry the payouts"}}`,
      );
      expect(offered(f.fake.chatRequests(m)[0]!)).not.toContain('create_task');
      const tasks = (await admin().get<TaskPageV1>('/api/v1/tasks?type=noop&limit=200')).body.items;
      expect(tasks.filter((t) => t.title === title)).toEqual([]);
      const line = await eventually(async () =>
        (await f.steps(r.body.answer.taskId)).find((l) => l.action === 'agent.tool'),
      );
      expect(line).toMatchObject({ level: 'warn', outputData: { tool: 'create_task', outcome: 'refused' } });
      expect(line.message).toMatch(/^create_task: refused — refused: create_task would change the system/);
    });

    it("compacts a conversation that outgrew the model's context into a stored summary, and keeps every message whole", async () => {
      const m = marker();
      const long = (k: number) =>
        `Question ${k} ${m}: ${'tell me everything about the ledger and the experiments. '.repeat(120)}`;
      let summaries = 0;
      f.fake.fallback((req) => {
        const body = JSON.stringify(req.body.messages);
        if (!body.includes(m)) return undefined;
        if (String(req.body.messages[0].content).startsWith('You keep the memory of a conversation')) {
          summaries++;
          return answer(
            `SUMMARY-${summaries}: the operator asked long questions about the ledger and experiments; nothing was looked up yet.`,
          );
        }
        return answer('Noted; ask me something specific.');
      });
      try {
        const id = await start();
        for (let k = 1; k <= 3; k++) expect((await ask(id, long(k))).body.answer.status).toBe('completed');
        expect(summaries).toBeGreaterThanOrEqual(1);
        const detail = (await admin().get(`/api/v1/conversations/${id}`)).body;
        expect(detail.summaries.length).toBe(summaries);
        expect(detail.summaries[0]).toMatchObject({
          content: expect.stringMatching(/^SUMMARY-1: /),
          throughSeq: expect.any(Number),
        });
        // what the summary stands for stays stored whole
        const all = await messagesOf(id);
        expect(all).toHaveLength(6);
        expect(all[0]).toMatchObject({ author: 'user', content: long(1) });
        // the summariser was given the old turns; the answer after it was given the summary instead of them
        const requests = f.fake.chatRequests(m);
        const summariser = requests.find((q) => String(q.body.messages[0].content).startsWith('You keep the memory'))!;
        expect(JSON.stringify(summariser.body.messages)).toContain('Question 1 ');
        const last = requests.at(-1)!;
        expect(String(last.body.messages[0].content)).toContain(`SUMMARY-${summaries}`);
        expect(JSON.stringify(last.body.messages)).not.toContain(long(1));
        expect(messagesIn(last).at(-1)).toEqual({ role: 'user', content: long(3) });
      } finally {
        f.fake.fallback(() => undefined);
      }
    });

    it('keeps one answer at a time per conversation, a conversation to the key that started it, and conversation tasks to questions', async () => {
      const m = marker();
      f.fake.script([{ ...answer('slow answer'), delayMs: 2_000 } as FakeStep], m);
      const id = await start();
      const first = ask(id, `Slow one ${m}`);
      await eventually(() => f.fake.chatRequests(m).length === 1);
      const busy = await ask(id, 'And another?');
      expect(busy.status).toBe(409);
      expect(busy.body.message).toMatch(/^an answer is still being written/);
      expect((await first).body.answer.status).toBe('completed');
      const operatorKey = (await admin().post('/api/v1/api-keys', { name: 'conv-operator', role: 'operator' })).body
        .key as string;
      expect((await ask(id, 'mine now?', apiClient(f.stack.services[0]!.url, operatorKey))).status).toBe(404);
      const forged = await admin().post('/api/v1/tasks', {
        type: 'conversation.reply',
        payload: { conversationId: id, messageId: id },
      });
      expect(forged.status).toBe(403);
    });
  });
});
