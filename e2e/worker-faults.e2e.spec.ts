import type { BaseEnv } from '@juggernaut/config';
import type { RunningService } from '@juggernaut/service-kit';
import { apiClient, connectTestNats, eventually, FakeOpenAI, TestStack } from '@juggernaut/testing';
import { Client } from 'pg';
import { agentRunner } from '../apps/agent-runner/src/service';
import { devBot } from '../apps/dev-bot/src/service';
import { governanceApi } from '../apps/governance-api/src/service';
import { taskDispatcher } from '../apps/task-dispatcher/src/service';

/**
 * The shared worker library under faults, with the real services in-process: a short lease is
 * heartbeated in time, a finished result survives the dispatcher going away, a worker that does not
 * know the policy claims nothing, and every worker (dev-bot too) is in the registry.
 */
const ADMIN = 'worker-faults-admin-key-0123456789';
const DISPATCH = {
  DISPATCH_REAPER_INTERVAL_MS: '100',
  DISPATCH_REAPER_GRACE_MS: '3000',
  DISPATCH_TIMER_MAX_MS: '200',
  DISPATCH_RETRY_BASE_MS: '20',
};
const RUNNER = { RUNNER_POLL_INTERVAL_MS: '200', RUNNER_PRESENCE_INTERVAL_MS: '200', RUNNER_DRAIN_MS: '500' };

describe('workers on the shared worker library', () => {
  let stack: TestStack;
  let api: ReturnType<typeof apiClient>;
  let sql: Client;
  let governance: RunningService<BaseEnv>;
  let dispatcher: RunningService<BaseEnv>;
  let fake: FakeOpenAI | undefined;

  const submit = async (body: Record<string, unknown>) => {
    const r = await api.post('/api/v1/tasks', body);
    if (r.status !== 201) throw new Error(`submit: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body as { id: string };
  };
  const row = async (id: string) =>
    (await sql.query(`SELECT status, attempts, reason FROM dispatch.tasks WHERE id = $1`, [id])).rows[0];
  const history = async (id: string) =>
    (await sql.query(`SELECT status FROM dispatch.task_events WHERE task_id = $1 ORDER BY id`, [id])).rows.map(
      (r) => r.status,
    );
  const stop = async (svc: RunningService<BaseEnv>) => {
    await svc.close();
    stack.services.splice(stack.services.indexOf(svc), 1);
  };

  beforeAll(async () => {
    stack = await TestStack.create('workerfaults');
    governance = await stack.start(governanceApi, { JUGGERNAUT_ADMIN_KEY: ADMIN, JUGGERNAUT_WORKER_SILENT_MS: '5000' });
    dispatcher = await stack.start(taskDispatcher, DISPATCH);
    api = apiClient(governance.url, ADMIN);
    sql = new Client({ connectionString: stack.db.url });
    await sql.connect();
  });

  afterAll(async () => {
    await sql?.end();
    await fake?.close();
    await stack?.close();
  });

  it('heartbeats a short lease at a fraction of its length, whatever the configured interval', async () => {
    const runner = await stack.start(agentRunner, {
      ...RUNNER,
      HOSTNAME: 'short-lease',
      RUNNER_HEARTBEAT_INTERVAL_MS: '5000',
    });
    try {
      expect((await api.put('/api/v1/task-types/noop/limits', { leaseSeconds: 1 })).status).toBe(200);
      // The dispatcher caches limits for up to 2 s.
      await new Promise((r) => setTimeout(r, 2_100));
      const { id } = await submit({ type: 'noop', payload: { sleepMs: 3_500 }, maxAttempts: 1 });
      await eventually(async () => ['succeeded', 'dead'].includes((await row(id)).status), 10_000);
      expect(await row(id)).toMatchObject({ status: 'succeeded', attempts: 1 });
      expect(await history(id)).toEqual(['pending', 'running', 'succeeded']);
    } finally {
      await api.put('/api/v1/task-types/noop/limits', {});
      await stop(runner);
    }
  });

  it('a result finished while the dispatcher is away is reported when it is back: no attempt burned, no second run', async () => {
    const runner = await stack.start(agentRunner, { ...RUNNER, HOSTNAME: 'steady' });
    try {
      const { id } = await submit({ type: 'noop', payload: { sleepMs: 1_500 }, maxAttempts: 1 });
      await eventually(async () => (await row(id)).status === 'running', 5_000);
      await stop(dispatcher);
      // The handler finishes while nobody can take its result; the runner keeps it and keeps asking.
      await new Promise((r) => setTimeout(r, 3_000));
      dispatcher = await stack.start(taskDispatcher, DISPATCH);
      await eventually(async () => (await row(id)).status === 'succeeded', 15_000);
      expect(await row(id)).toMatchObject({ status: 'succeeded', attempts: 1 });
      expect(await history(id)).toEqual(['pending', 'running', 'succeeded']);
    } finally {
      await stop(runner);
    }
  });

  it('a worker that has never heard the policy claims nothing, and starts once governance answers', async () => {
    await stop(governance);
    const runner = await stack.start(agentRunner, { ...RUNNER, HOSTNAME: 'no-policy' });
    try {
      // Submitted straight to the dispatcher (which knows the policy from before): only the runner can hold it back.
      const nc = runner.ctx.bus.nc;
      const reply = JSON.parse(
        new TextDecoder().decode(
          (
            await nc.request(
              `${stack.namespace}.juggernaut.task.submit.v1`,
              JSON.stringify({ type: 'noop', payload: {} }),
              { timeout: 5_000 },
            )
          ).data,
        ),
      );
      const id = reply.data.id as string;
      await new Promise((r) => setTimeout(r, 1_500));
      expect((await row(id)).status).toBe('pending');
      governance = await stack.start(governanceApi, {
        JUGGERNAUT_ADMIN_KEY: ADMIN,
        JUGGERNAUT_WORKER_SILENT_MS: '5000',
      });
      api = apiClient(governance.url, ADMIN);
      await eventually(async () => (await row(id)).status === 'succeeded', 10_000);
    } finally {
      await stop(runner);
    }
  });

  it('dev-bot is a worker like the runners: listed in the registry, gone when it stops', async () => {
    fake = await FakeOpenAI.start();
    const bot = await stack.start(devBot, {
      OPENAI_BASE_URL: fake.baseUrl,
      OPENAI_API_KEY: 'sk-worker-faults-0123456789',
      JUGGERNAUT_MODEL: 'fake-model',
      DEVBOT_PRESENCE_INTERVAL_MS: '200',
      DEVBOT_POLL_INTERVAL_MS: '200',
      DEVBOT_DRAIN_MS: '200',
    });
    const listed = await eventually(async () => {
      const workers = (await api.get('/api/v1/workers?status=online')).body as Array<{
        id: string;
        capabilities: string[];
      }>;
      return workers.find((w) => w.id.startsWith('dev-bot:'));
    }, 10_000);
    expect(listed.capabilities).toEqual(['dev-bot']);
    await stop(bot);
    await eventually(
      async () => (await api.get(`/api/v1/workers/${encodeURIComponent(listed.id)}`)).body.status === 'offline',
      10_000,
    );
  });

  it('claims without waitMs while a dispatcher of an earlier release refuses it (a rolling upgrade)', async () => {
    await stop(dispatcher);
    // An earlier dispatcher: strict validation refuses the unknown field, and it answers claims without it.
    const nc = await connectTestNats();
    const claims: Array<Record<string, unknown>> = [];
    const sub = nc.subscribe(`${stack.namespace}.juggernaut.task.claim.v1`, {
      queue: 'task-dispatcher',
      callback: (_err, msg) => {
        const req = msg.json<Record<string, unknown>>();
        claims.push(req);
        msg.respond(
          JSON.stringify(
            'waitMs' in req
              ? { ok: false, error: { status: 400, message: ['property waitMs should not exist'] } }
              : { ok: true, data: { tasks: [] } },
          ),
        );
      },
    });
    const runner = await stack.start(agentRunner, { ...RUNNER, HOSTNAME: 'mid-upgrade' });
    try {
      await eventually(async () => claims.filter((c) => !('waitMs' in c)).length >= 3, 10_000);
      expect(claims.filter((c) => 'waitMs' in c)).toHaveLength(1);
    } finally {
      await stop(runner);
      sub.unsubscribe();
      await nc.close();
      dispatcher = await stack.start(taskDispatcher, DISPATCH);
    }
  });
});
