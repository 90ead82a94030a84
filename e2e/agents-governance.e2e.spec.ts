import type { BaseEnv } from '@juggernaut/config';
import type { ApprovalV1, ExperimentV1, OpportunityV1 } from '@juggernaut/contracts';
import type { RunningService } from '@juggernaut/service-kit';
import { answer, eventually, toolCall } from '@juggernaut/testing';
import { experimentTracker } from '../apps/experiment-tracker/src/service';
import { AgentsFixture, BASE_POLICY, type SentMessage } from './agents-fixture';

/**
 * Governance on agent actions: approvals that park a task `blocked` until a human decides (and
 * survive a runner restart), and the kill switch stopping a run mid-call.
 */
describe('agent runtime under governance', () => {
  let f: AgentsFixture;
  let runner: RunningService<BaseEnv>;
  let n = 0;
  const marker = () => `[gov-${++n}-${Date.now()}]`;
  const opportunity = (description: string) => ({
    opportunityType: 'saas',
    category: 'devtools',
    description,
    estimatedValueMinor: 250_000,
    confidenceScore: 0.4,
  });
  const opportunitiesOf = async (taskId: string) =>
    (await f.api.get<{ items: OpportunityV1[] }>('/api/v1/opportunities?limit=200')).body.items.filter(
      (o) => o.taskId === taskId,
    );
  const approvalOf = (taskId: string) =>
    eventually(
      async () => (await f.api.get<{ items: ApprovalV1[] }>(`/api/v1/approvals?taskId=${taskId}`)).body.items[0],
    );

  beforeAll(async () => {
    f = await AgentsFixture.start('agentsgov');
    await f.stack.start(experimentTracker);
    runner = await f.startRunner({ HOSTNAME: 'gov-runner', RUNNER_LEVEL: '4' });
    await f.setPolicy(
      { ...BASE_POLICY, approvals: { toolsRequiringApproval: ['create_opportunity'], ttlSeconds: 3600 } },
      [runner],
    );
  });

  afterAll(async () => {
    await f?.close();
  });

  it('parks a task blocked on an approval bound to the exact arguments; approved, it resumes from its checkpoint on a new runner and the tool runs exactly once', async () => {
    const m = marker();
    const args = opportunity(`Hosted YAML linter ${m}`);
    f.fake.script([toolCall('create_opportunity', args), answer('recorded the opportunity')], m);
    const id = await f.submit({ type: 'agent.goal', payload: { goal: `Record an opportunity ${m}` } });

    const blocked = await f.until(id, 'blocked');
    const approval = await approvalOf(id);
    expect(approval).toMatchObject({
      status: 'pending',
      action: 'tool:create_opportunity',
      taskId: id,
      workerId: 'gov-runner',
      args,
    });
    expect(approval.argsHash).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(blocked).toMatchObject({
      reason: `waiting for approval ${approval.id} to run create_opportunity`,
      attempts: 0,
    });
    expect(await opportunitiesOf(id)).toHaveLength(0);

    // The approval lives in Postgres, not in a runner: restart the runner before deciding.
    await f.stopRunner(runner);
    runner = await f.startRunner({ HOSTNAME: 'gov-runner-2', RUNNER_LEVEL: '4' });

    const decided = await f.api.post(`/api/v1/approvals/${approval.id}/approve`, { reason: 'looks right' });
    expect(decided.status).toBe(200);
    const done = await f.until(id, 'succeeded');
    expect(done.result).toMatchObject({ answer: 'recorded the opportunity', steps: 2 });
    expect(done.workerId).toBe('gov-runner-2');
    const opps = await opportunitiesOf(id);
    expect(opps).toHaveLength(1);
    expect(opps[0]).toMatchObject({ description: args.description, estimatedValueMinor: 250_000 });
    // Resumed from the checkpoint: the model was asked twice in all, never from scratch.
    const calls = f.fake.chatRequests(m);
    expect(calls).toHaveLength(2);
    const tool = calls[1]!.body.messages.find((x: SentMessage) => x.role === 'tool');
    expect(JSON.parse(tool.content)).toMatchObject({ id: opps[0].id });
    expect(done.history.map((h) => h.status)).toEqual([
      'pending',
      'running',
      'blocked',
      'pending',
      'running',
      'succeeded',
    ]);
    const steps = await eventually(async () => {
      const s = await f.steps(id);
      return s.some((x) => x.action === 'agent.stop') ? s : undefined;
    });
    expect(steps.map((s) => s.action)).toEqual([
      'agent.model',
      'agent.approval',
      'agent.tool',
      'agent.model',
      'agent.stop',
    ]);
  });

  it('fails the task with the reason when the approval is rejected, and the tool never runs', async () => {
    const m = marker();
    f.fake.script([toolCall('create_opportunity', opportunity(`Rejected idea ${m}`)), answer('unreached')], m);
    const id = await f.submit({ type: 'agent.goal', payload: { goal: `Record another ${m}` } });
    await f.until(id, 'blocked');
    const approval = await approvalOf(id);
    expect((await f.api.post(`/api/v1/approvals/${approval.id}/reject`, { reason: 'not our market' })).status).toBe(
      200,
    );
    const dead = await f.until(id, 'dead');
    expect(dead.reason).toBe(`approval ${approval.id} rejected: not our market`);
    expect(await opportunitiesOf(id)).toHaveLength(0);
    expect(f.fake.chatRequests(m)).toHaveLength(1);
  });

  it('asks for approval when a call commits money above the threshold, and the experiment is drafted once approved', async () => {
    await f.setPolicy(
      { ...BASE_POLICY, approvals: { toolsRequiringApproval: [], ttlSeconds: 3600, spendAboveMinor: 10_000 } },
      [runner],
    );
    const m = marker();
    const proposal = {
      name: `Annual plan discount ${m}`,
      hypothesis: 'A 20% annual discount raises conversion',
      primaryMetric: 'conversion',
      budgetMinor: 50_000,
      variants: [
        { key: 'control', weight: 50, control: true },
        { key: 'discount', weight: 50 },
      ],
    };
    f.fake.script([toolCall('propose_experiment', proposal), answer('proposed')], m);
    const id = await f.submit({
      type: 'agent.goal',
      requiredLevel: 4,
      payload: { goal: `Propose an experiment ${m}` },
    });
    await f.until(id, 'blocked');
    const approval = await approvalOf(id);
    expect(approval).toMatchObject({
      action: 'tool:propose_experiment',
      amountMinor: 50_000,
      reason: 'propose_experiment commits 50000 minor units, above the approval threshold of 10000',
    });
    expect((await f.api.post(`/api/v1/approvals/${approval.id}/approve`, {})).status).toBe(200);
    await f.until(id, 'succeeded');
    const drafts = (
      await f.api.get<{ items: ExperimentV1[] }>('/api/v1/experiments?status=draft&limit=200')
    ).body.items.filter((e) => e.name === proposal.name);
    expect(drafts).toHaveLength(1);
    expect(drafts[0]).toMatchObject({ budgetMinor: 50_000, status: 'draft' });
  });

  it('the kill switch aborts a model call in flight, hands the task back, claims nothing while engaged, and the run resumes after', async () => {
    await f.setPolicy(BASE_POLICY, [runner]);
    const m = marker();
    f.fake.script(
      [
        {
          kind: 'completion',
          message: { content: 'too late' },
          usage: { prompt_tokens: 5, completion_tokens: 5 },
          delayMs: 20_000,
        },
        answer('finished after the drill'),
      ],
      m,
    );
    const id = await f.submit({ type: 'agent.goal', payload: { goal: `Slow thinker ${m}` } });
    await eventually(() => f.fake.chatRequests(m).length === 1);

    await f.killSwitch(true, [runner]);
    try {
      // The call is cut off long before its 20 s answer, and the lease goes back without an attempt burned.
      await eventually(() => f.fake.chatRequests(m)[0]!.aborted === true, 5_000);
      const released = await f.until(id, 'pending', 5_000);
      expect(released.reason).toMatch(/kill switch engaged/);
      expect(released.attempts).toBe(0);

      const m2 = marker();
      f.fake.script([answer('should not run yet')], m2);
      const other = await f.submit({ type: 'agent.goal', payload: { goal: `While stopped ${m2}` } });
      await new Promise((r) => setTimeout(r, 1_500));
      expect((await f.task(other)).status).toBe('pending');
      expect((await f.task(id)).status).toBe('pending');
      expect(f.fake.chatRequests(m2)).toHaveLength(0);
    } finally {
      await f.killSwitch(false, [runner]);
    }
    const done = await f.until(id, 'succeeded');
    expect(done.result!.answer).toBe('finished after the drill');
    expect(f.fake.chatRequests(m)).toHaveLength(2);
    const stops = await eventually(async () => {
      const s = (await f.steps(id)).filter((x) => x.action === 'agent.stop');
      return s.length === 2 ? s : undefined;
    });
    expect(stops.map((s) => s.outputData!.stopReason)).toEqual(['cancelled', 'completed']);
  });
});
