import type { NatsConnection } from '@nats-io/transport-node';
import { apiClient, connectTestNats, eventually, natsRpc, TestStack } from '@juggernaut/testing';
import { governanceApi } from '../apps/governance-api/src/service';
import { taskDispatcher } from '../apps/task-dispatcher/src/service';

const ADMIN = 'test-admin-key-boot-order-0123456789';
const FAST = { DISPATCH_TIMER_MAX_MS: '200' };

/**
 * Neither governance-api nor the task dispatcher waits for the other to start: each becomes ready
 * alone (its Postgres and NATS answer; the declared responders are subscribed), and what needs the
 * other works as soon as it appears. Started in either order.
 */
describe('governance-api and the task dispatcher start in either order', () => {
  let nc: NatsConnection;
  const stacks: TestStack[] = [];

  beforeAll(async () => {
    nc = await connectTestNats();
  });

  afterAll(async () => {
    await nc?.close();
    for (const s of stacks) await s.close();
  });

  const ready = async (metricsUrl: string) => (await fetch(`${metricsUrl}/health/ready`)).status;

  it('governance-api first: ready and serving alone, and tasks go through once the dispatcher appears', async () => {
    const stack = await TestStack.create('bootgovfirst');
    stacks.push(stack);
    const gov = await stack.start(governanceApi, { JUGGERNAUT_ADMIN_KEY: ADMIN });
    const api = apiClient(gov.url, ADMIN);
    expect(await ready(gov.metricsUrl)).toBe(200);
    expect((await api.get('/api/v1/policies')).status).toBe(200);
    // What belongs to the dispatcher is refused for now (nobody answers), not hung on.
    expect((await api.post('/api/v1/tasks', { type: 'boot-order' })).status).toBe(503);

    const dispatcher = await stack.start(taskDispatcher, FAST);
    expect(await ready(dispatcher.metricsUrl)).toBe(200);
    const created = await api.post<{ id: string }>('/api/v1/tasks', { type: 'boot-order' });
    expect(created.status).toBe(201);
    // The dispatcher learns the policy from governance-api, already there: it hands the task out.
    const rpc = natsRpc(nc, stack.namespace);
    const [lease] = await eventually(
      async () => {
        const { tasks } = await rpc.call('juggernaut.task.claim.v1', {
          workerId: 'w',
          level: 5,
          capabilities: [],
          types: ['boot-order'],
          max: 1,
        });
        return tasks.length ? tasks : undefined;
      },
      10_000,
      200,
    );
    expect(lease!.id).toBe(created.body.id);
  });

  it('the dispatcher first: ready and taking tasks alone, handing them out once governance-api appears', async () => {
    const stack = await TestStack.create('bootdispfirst');
    stacks.push(stack);
    const dispatcher = await stack.start(taskDispatcher, FAST);
    expect(await ready(dispatcher.metricsUrl)).toBe(200);
    const rpc = natsRpc(nc, stack.namespace);
    const t = await rpc.call('juggernaut.task.submit.v1', { type: 'boot-order' });
    const claim = () =>
      rpc.call('juggernaut.task.claim.v1', {
        workerId: 'w',
        level: 5,
        capabilities: [],
        types: ['boot-order'],
        max: 1,
      });
    // Without a policy it hands out nothing (fail closed), but it answers.
    expect((await claim()).tasks).toEqual([]);

    const gov = await stack.start(governanceApi, { JUGGERNAUT_ADMIN_KEY: ADMIN });
    expect(await ready(gov.metricsUrl)).toBe(200);
    const [lease] = await eventually(
      async () => {
        const { tasks } = await claim();
        return tasks.length ? tasks : undefined;
      },
      10_000,
      200,
    );
    expect(lease!.id).toBe(t.id);
    expect((await apiClient(gov.url, ADMIN).get(`/api/v1/tasks/${t.id}`)).status).toBe(200);
  });
});
