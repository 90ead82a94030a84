import type { OpportunityV1 } from '@juggernaut/contracts';
import { ServiceProcess, toolCall, answer, eventually } from '@juggernaut/testing';
import { AgentsFixture, type SentMessage } from './agents-fixture';

/**
 * A runner process killed with SIGKILL in the middle of a conversation: the task's lease expires,
 * another runner claims it with its checkpoint and continues from the last step, not from scratch.
 * Uses the built agent-runner (dist/), as in production.
 */
describe('agent runtime: a runner killed mid-conversation', () => {
  let f: AgentsFixture;
  let doomed: ServiceProcess | undefined;

  beforeAll(async () => {
    f = await AgentsFixture.start('agentscrash');
  });

  afterAll(async () => {
    await doomed?.kill('SIGKILL');
    await f?.close();
  });

  it('resumes the task on another runner from its checkpoint; the side effect of the finished step happens once', async () => {
    const m = `[crash-${Date.now()}]`;
    const args = {
      opportunityType: 'saas',
      category: 'ops',
      description: `Crash-proof idea ${m}`,
      estimatedValueMinor: 1_000,
      confidenceScore: 0.5,
    };
    f.fake.script([toolCall('create_opportunity', args), { kind: 'hang' }, answer('survived the crash')], m);
    const env = f.stack.env(f.runnerEnv({ HOSTNAME: 'doomed', RUNNER_LEVEL: '3', LOG_LEVEL: 'warn' }));
    delete env['HTTP_PORT'];
    doomed = await ServiceProcess.start('agent-runner', env);
    const id = await f.submit({ type: 'agent.goal', payload: { goal: `Record and finish ${m}` } });

    // Killed while its second model call is in flight.
    await eventually(() => f.fake.chatRequests(m).length === 2, 15_000);
    await doomed.kill('SIGKILL');
    doomed = undefined;
    await f.startRunner({ HOSTNAME: 'survivor', RUNNER_LEVEL: '3' });

    const done = await f.until(id, 'succeeded', 20_000);
    expect(done).toMatchObject({ workerId: 'survivor', attempts: 2, result: { answer: 'survived the crash' } });
    expect(done.history.find((h) => h.status === 'failed')?.reason).toMatch(/lease expired on doomed/);

    const calls = f.fake.chatRequests(m);
    expect(calls).toHaveLength(3);
    // The survivor sent the conversation so far: one user goal, the first step's call and its result.
    const resumed = calls[2]!.body.messages;
    expect(resumed.filter((x: SentMessage) => x.role === 'user')).toHaveLength(1);
    expect(resumed.map((x: SentMessage) => x.role)).toEqual(['system', 'user', 'assistant', 'tool']);
    const opps = (await f.api.get<{ items: OpportunityV1[] }>('/api/v1/opportunities?limit=200')).body.items.filter(
      (o) => o.taskId === id,
    );
    expect(opps).toHaveLength(1);

    const steps = await eventually(async () => {
      const s = await f.steps(id);
      return s.some((x) => x.action === 'agent.stop') ? s : undefined;
    });
    expect(steps.find((s) => s.action === 'agent.reconcile')).toMatchObject({ step: 2, workerId: 'survivor' });
    expect(steps.at(-1)).toMatchObject({ action: 'agent.stop', step: 3, outputData: { stopReason: 'completed' } });
  });
});
