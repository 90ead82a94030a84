import type { BaseEnv } from '@juggernaut/config';
import type { GoalNoteV1, OpportunityV1 } from '@juggernaut/contracts';
import type { RunningService } from '@juggernaut/service-kit';
import { answer, eventually, toolCall } from '@juggernaut/testing';
import { AgentsFixture, type PlanOutcome, type ScanOutcome, type SentMessage } from './agents-fixture';

/**
 * The agent task types end to end: `opportunity.scan` against local HTTP feeds, and `goal.plan`
 * producing a graph of sub-tasks that run on other runners and build on the goal's shared memory.
 */
describe('agent task types', () => {
  let f: AgentsFixture;
  let scanner: RunningService<BaseEnv>;

  beforeAll(async () => {
    f = await AgentsFixture.start('agenttypes');
  });

  afterAll(async () => {
    await f?.close();
  });

  describe('opportunity.scan', () => {
    const m = `[scan-${Date.now()}]`;
    beforeAll(async () => {
      f.pages.set('/feed.json', {
        type: 'application/json',
        body: JSON.stringify({
          items: [
            {
              title: `Teams ask for hosted YAML linting ${m}`,
              summary: 'Several threads this week',
              url: 'https://forum.example/yaml',
            },
            { title: 'A cat picture', url: 'https://forum.example/cat' },
          ],
        }),
      });
      f.pages.set('/feed.rss', {
        type: 'application/rss+xml',
        body: `<rss><channel><item><title>Need a status page for small SaaS</title><link>https://news.example/status</link><description>&lt;b&gt;Ask&lt;/b&gt; thread</description></item></channel></rss>`,
      });
      scanner = await f.startRunner({
        HOSTNAME: 'scanner',
        RUNNER_LEVEL: '4',
        AGENT_SCAN_SOURCES: JSON.stringify([
          { name: 'forum', url: `http://${f.webHost}/feed.json`, kind: 'json' },
          { name: 'news', url: `http://${f.webHost}/feed.rss`, kind: 'rss' },
        ]),
      });
    });
    afterAll(() => f.stopRunner(scanner));

    const scores = JSON.stringify({
      opportunities: [
        {
          item: 0,
          opportunityType: 'saas',
          category: 'devtools',
          description: 'Hosted YAML linting for teams',
          estimatedValueMinor: 1_200_000,
          confidenceScore: 0.6,
        },
        {
          item: 2,
          opportunityType: 'saas',
          category: 'ops',
          description: 'Status pages for small SaaS',
          estimatedValueMinor: 800_000,
          confidenceScore: 0.4,
        },
      ],
    });

    it('fetches the feeds, has the model score the items, and records the opportunities it chose', async () => {
      f.fake.script([answer(scores, { prompt_tokens: 300, completion_tokens: 80 })], m);
      const id = await f.submit({ type: 'opportunity.scan', requiredLevel: 4 });
      const done = await f.until<ScanOutcome>(id, 'succeeded');
      expect(done.result).toMatchObject({ stopReason: 'completed', scanned: 3, failures: [] });
      expect(done.result!.recorded.map((r) => r.item)).toEqual([
        `Teams ask for hosted YAML linting ${m}`,
        'Need a status page for small SaaS',
      ]);

      const prompt = f.fake.chatRequests(m)[0]!.body.messages[1].content as string;
      expect(prompt).toContain(
        `0. [forum] Teams ask for hosted YAML linting ${m} — Several threads this week (https://forum.example/yaml)`,
      );
      expect(prompt).toContain(
        '2. [news] Need a status page for small SaaS — Ask thread (https://news.example/status)',
      );

      const opps = (await f.api.get<{ items: OpportunityV1[] }>('/api/v1/opportunities?limit=200')).body.items.filter(
        (o) => o.taskId === id,
      );
      expect(opps.map((o) => [o.description, o.estimatedValueMinor, o.confidenceScore, o.source]).sort()).toEqual([
        ['Hosted YAML linting for teams', 1_200_000, 0.6, 'https://forum.example/yaml'],
        ['Status pages for small SaaS', 800_000, 0.4, 'https://news.example/status'],
      ]);
    });

    it('deduplicates: scanning the same feeds again records nothing new', async () => {
      const before = (await f.api.get('/api/v1/opportunities?limit=200')).body.items.length;
      f.fake.script([answer(scores)], m);
      const id = await f.submit({
        type: 'opportunity.scan',
        requiredLevel: 4,
        payload: { sources: ['forum', 'news'] },
      });
      const done = await f.until<ScanOutcome>(id, 'succeeded');
      expect(done.result!.recorded).toHaveLength(2);
      expect((await f.api.get('/api/v1/opportunities?limit=200')).body.items.length).toBe(before);
    });

    it('fails a scan naming an unknown source terminally, without calling the model', async () => {
      const id = await f.submit({ type: 'opportunity.scan', requiredLevel: 4, payload: { sources: ['nowhere'] } });
      const dead = await f.until(id, 'dead');
      expect(dead.reason).toBe('opportunity.scan: unknown source(s) nowhere; configured: forum, news');
      expect(dead.attempts).toBe(1);
    });
  });

  describe('goal.plan', () => {
    it('decomposes a goal into sub-tasks that run on other runners, in dependency order, building on shared goal memory', async () => {
      const [mp, ma, mb] = ['plan', 'research', 'report'].map((k) => `[${k}-${Date.now()}]`);
      // the goal is recorded, so its notes and progress can be read through the API (404 for goals governance does not know)
      const goalId = (
        await f.api.post('/api/v1/goals', {
          title: 'Launch a YAML linter',
          successCriteria: ['a report on competitors'],
        })
      ).body.id as string;
      const planner = await f.startRunner({ HOSTNAME: 'planner', RUNNER_LEVEL: '5' });
      const worker = await f.startRunner({ HOSTNAME: 'worker-l3', RUNNER_LEVEL: '3', RUNNER_CAPABILITIES: 'research' });
      try {
        f.fake.script(
          [
            toolCall('goal_notes_read', {}),
            answer(
              JSON.stringify({
                summary: 'Find competitors, then report',
                tasks: [
                  {
                    key: 'research',
                    type: 'agent.goal',
                    title: 'Research competitors',
                    goal: `Research competitors ${ma}`,
                    requiredLevel: 3,
                    capabilities: ['research'],
                    budgetMinor: 50_000,
                  },
                  {
                    key: 'report',
                    type: 'agent.goal',
                    title: 'Write the report',
                    goal: `Write the report ${mb}`,
                    requiredLevel: 3,
                    capabilities: ['research'],
                    budgetMinor: 40_000,
                    dependsOn: ['research'],
                  },
                ],
              }),
            ),
          ],
          mp,
        );
        f.fake.script(
          [
            toolCall('goal_note_write', { key: 'competitors', content: 'Three hosted YAML linters exist' }),
            answer('researched'),
          ],
          ma,
        );
        f.fake.script([toolCall('goal_notes_read', { key: 'competitors' }), answer('report written')], mb);

        const id = await f.submit({
          type: 'goal.plan',
          requiredLevel: 5,
          goalId,
          budgetMinor: 200_000,
          payload: { goal: `Launch a YAML linter ${mp}` },
        });
        const planned = await f.until<PlanOutcome>(id, 'succeeded');
        expect(planned.workerId).toBe('planner');
        const [research, report] = planned.result!.subTasks;
        expect(planned.result!.subTasks.map((s) => s.key)).toEqual(['research', 'report']);

        const r = await f.task(report.id);
        expect(r).toMatchObject({
          goalId,
          dependsOn: [research.id],
          requiredLevel: 3,
          requiredCapabilities: ['research'],
          budgetMinor: 40_000,
        });
        const doneResearch = await f.until(research.id, 'succeeded');
        const doneReport = await f.until(report.id, 'succeeded');
        expect([doneResearch.workerId, doneReport.workerId]).toEqual(['worker-l3', 'worker-l3']);
        expect(new Date(doneReport.history.find((h) => h.status === 'running')!.at).getTime()).toBeGreaterThanOrEqual(
          new Date(doneResearch.finishedAt!).getTime(),
        );

        // The report task read what the research task wrote.
        const readBack = f.fake.chatRequests(mb)[1]!.body.messages.find((x: SentMessage) => x.role === 'tool');
        expect(JSON.parse(readBack.content)).toEqual([
          expect.objectContaining({
            key: 'competitors',
            content: 'Three hosted YAML linters exist',
            author: 'worker-l3',
          }),
        ]);

        const notes = (await f.api.get<GoalNoteV1[]>(`/api/v1/goals/${goalId}/notes`)).body;
        expect(notes.map((n) => n.key).sort()).toEqual(['competitors', 'plan']);
        const progress = await eventually(async () => {
          const p = (await f.api.get(`/api/v1/goals/${goalId}/progress`)).body;
          return p.succeeded === 3 ? p : undefined;
        });
        expect(progress).toMatchObject({ goalId, total: 3, succeeded: 3, fraction: 1, byStatus: { succeeded: 3 } });
      } finally {
        await f.stopRunner(planner);
        await f.stopRunner(worker);
      }
    });

    it('sends back a plan whose budgets exceed what the planner has; a child never spends more than the budget it was given', async () => {
      const mp = `[overplan-${Date.now()}]`;
      const child = `[child-${Date.now()}]`;
      const planner = await f.startRunner({ HOSTNAME: 'planner-2', RUNNER_LEVEL: '5' });
      try {
        const task = (budgetMinor: number) => ({
          key: 'only',
          type: 'agent.goal',
          title: 'Only',
          goal: `Tiny budget ${child}`,
          requiredLevel: 3,
          budgetMinor,
        });
        f.fake.script(
          [answer(JSON.stringify({ tasks: [task(5_000)] })), answer(JSON.stringify({ tasks: [task(100)] }))],
          mp,
        );
        const id = await f.submit({
          type: 'goal.plan',
          requiredLevel: 5,
          budgetMinor: 1_000,
          payload: { goal: `Small plan ${mp}` },
        });
        const done = await f.until<PlanOutcome>(id, 'succeeded');
        expect(f.fake.chatRequests(mp)[1]!.body.messages.at(-1).content).toMatch(
          /budgets add up to 5000, more than the \d+ this plan has left/,
        );
        expect(done.result!.subTasks).toHaveLength(1);
        const sub = done.result!.subTasks[0].id;
        expect((await f.task(sub)).budgetMinor).toBe(100);
        // The child's first call would cost more than its 100: it is never made.
        const blocked = await f.until(sub, 'blocked');
        expect(blocked.reason).toMatch(/^budget: task budget cap 100 reached/);
        expect(
          f.fake.chatRequests(child).filter((r) => r.body.messages[1].content === `Goal: Tiny budget ${child}`),
        ).toHaveLength(0);
      } finally {
        await f.stopRunner(planner);
      }
    });
  });
});
