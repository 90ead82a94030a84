import type { NatsConnection } from '@nats-io/transport-node';
import { apiClient, connectTestNats, eventually, TestStack } from '@juggernaut/testing';
import { governanceApi } from '../apps/governance-api/src/service';
import { PolicyState } from '../apps/agent-runner/src/policy/policy-state';
import { agentRunner } from '../apps/agent-runner/src/service';
import { DispatchPolicy } from '../apps/task-dispatcher/src/policy/dispatch-policy';
import { taskDispatcher } from '../apps/task-dispatcher/src/service';
import type { RpcReply } from '@juggernaut/messaging';

const ADMIN = 'policy-admin-key-0123456789abcdef';

/**
 * The policy set through governance-api takes effect in the dispatcher and the runners within one
 * second, pushed over NATS (the dispatcher only fetches at boot; the runner's refresh is every 15 s).
 */
const PUSH_BOUND_MS = 1_000;
describe('policy from governance-api to the dispatcher', () => {
  let stack: TestStack;
  let nc: NatsConnection;
  let api: ReturnType<typeof apiClient>;
  const wire = (s: string) => `${stack.namespace}.${s}`;
  const claim = async (over: Record<string, unknown> = {}) => {
    const reply = (
      await nc.request(
        wire('juggernaut.task.claim.v1'),
        JSON.stringify({
          workerId: 'policy-worker',
          level: 5,
          capabilities: [],
          types: ['manual'],
          max: 10,
          ...over,
        }),
        { timeout: 5_000 },
      )
    ).json<RpcReply<{ tasks: Array<{ id: string; type: string }> }>>();
    if (!reply.ok) throw new Error(JSON.stringify(reply.error));
    return reply.data.tasks;
  };
  const submit = async (type: string) => (await api.post('/api/v1/tasks', { type })).body.id as string;
  const dispatcherVersion = () =>
    stack.services.find((s) => s.ctx.service === 'task-dispatcher')!.app.get(DispatchPolicy).version;
  const runnerPolicy = () => stack.services.find((s) => s.ctx.service === 'agent-runner')!.app.get(PolicyState).current;
  const settings = (taskTypes: Record<string, number>) => ({
    budgets: { currency: 'USD' },
    permissions: { taskTypes, tools: {} },
    approvals: { toolsRequiringApproval: [], ttlSeconds: 600 },
  });

  beforeAll(async () => {
    stack = await TestStack.create('policy');
    api = apiClient((await stack.start(governanceApi, { JUGGERNAUT_ADMIN_KEY: ADMIN })).url, ADMIN);
    await stack.start(taskDispatcher);
    // a runner that claims nothing here (no task type it handles is submitted): it only follows the policy
    await stack.start(agentRunner, { RUNNER_POLL_INTERVAL_MS: '60000' });
    await eventually(() => runnerPolicy() !== undefined);
    nc = await connectTestNats();
  });

  afterAll(async () => {
    await nc?.close();
    await stack?.close();
  });

  it('stops every claim while the kill switch is engaged through the API, and resumes on release', async () => {
    const engaged = await api.put('/api/v1/policies/kill-switch', { engaged: true, reason: 'e2e drill' });
    expect(engaged.status).toBe(200);
    // pushed, not polled: the dispatcher and the runner hold the new version within a second of the answer
    await eventually(() => dispatcherVersion() === engaged.body.version, PUSH_BOUND_MS);
    await eventually(
      () => runnerPolicy()?.killSwitch.engaged === true && runnerPolicy()?.version === engaged.body.version,
      PUSH_BOUND_MS,
    );
    const id = await submit('manual');
    expect(await claim()).toEqual([]);
    expect(await claim({ level: 5, types: ['manual', 'other'] })).toEqual([]);
    const released = await api.put('/api/v1/policies/kill-switch', { engaged: false });
    await eventually(
      () => dispatcherVersion() === released.body.version && runnerPolicy()?.killSwitch.engaged === false,
      PUSH_BOUND_MS,
    );
    const got = await eventually(async () => {
      const tasks = await claim();
      return tasks.length ? tasks : undefined;
    });
    expect(got.map((t) => t.id)).toEqual([id]);
  });

  it('holds back task types whose minimum level is above the claiming worker', async () => {
    const changed = await api.put('/api/v1/policies', settings({ 'level.four': 4 }));
    await eventually(() => dispatcherVersion() === changed.body.version, PUSH_BOUND_MS);
    const id = await submit('level.four');
    expect(await claim({ level: 3, types: ['level.four'] })).toEqual([]);
    expect((await claim({ level: 4, types: ['level.four'] })).map((t) => t.id)).toEqual([id]);
    const again = await submit('level.four');
    expect(await claim({ level: 3, types: ['level.four'] })).toEqual([]);
    expect((await claim({ level: 5, types: ['level.four'] })).map((t) => t.id)).toEqual([again]);
  });

  it('fetches the policy in force when a dispatcher starts after it changed', async () => {
    const engaged = await api.put('/api/v1/policies/kill-switch', { engaged: true, reason: 'before boot' });
    const old = stack.services.find((s) => s.ctx.service === 'task-dispatcher')!;
    await old.close();
    stack.services.splice(stack.services.indexOf(old), 1);
    await stack.start(taskDispatcher);
    // the new dispatcher learned the kill switch from policy.get at boot
    await eventually(() => dispatcherVersion() === engaged.body.version);
    const id = await submit('manual');
    expect(await claim()).toEqual([]);
    await api.put('/api/v1/policies/kill-switch', { engaged: false });
    const got = await eventually(async () => {
      const tasks = await claim();
      return tasks.length ? tasks : undefined;
    });
    expect(got.map((t) => t.id)).toEqual([id]);
  });
});
