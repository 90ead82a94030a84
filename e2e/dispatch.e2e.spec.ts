import { randomUUID } from 'node:crypto';
import type { NatsConnection } from '@nats-io/transport-node';
import type { BaseEnv } from '@juggernaut/config';
import type {
  RequestSubject,
  RequestSubjectMap,
  ScheduleViewV1,
  TaskEventV1,
  TaskPageV1,
  TaskTypeLimitsViewV1,
  TaskWithHistory,
} from '@juggernaut/contracts';
import { apiClient, connectTestNats, eventually, readStream, TestStack } from '@juggernaut/testing';
import type { RunningService } from '@juggernaut/service-kit';
import { Client } from 'pg';
import { agentRunner } from '../apps/agent-runner/src/service';
import { governanceApi } from '../apps/governance-api/src/service';
import type { WorkerView } from '../apps/governance-api/src/workers/workers.controller';
import { DispatchService } from '../apps/task-dispatcher/src/dispatch.service';
import { DispatchPolicy } from '../apps/task-dispatcher/src/policy/dispatch-policy';
import { taskDispatcher } from '../apps/task-dispatcher/src/service';

const ADMIN = 'dispatch-admin-key-0123456789abcdef';
const FAST = {
  DISPATCH_LEASE_SECONDS: '2',
  DISPATCH_REAPER_INTERVAL_MS: '100',
  DISPATCH_REAPER_GRACE_MS: '500',
  DISPATCH_RETRY_BASE_MS: '20',
  DISPATCH_RETRY_MAX_MS: '200',
  DISPATCH_TIMER_MAX_MS: '200',
};
const RUNNER = {
  RUNNER_HEARTBEAT_INTERVAL_MS: '300',
  RUNNER_PRESENCE_INTERVAL_MS: '200',
  RUNNER_POLL_INTERVAL_MS: '500',
  RUNNER_CONCURRENCY: '4',
  RUNNER_DRAIN_MS: '300',
};

describe('task dispatch through the REST API, NATS and runners', () => {
  let stack: TestStack;
  let api: ReturnType<typeof apiClient>;
  let nc: NatsConnection;
  let db: Client;
  let dispatcher: RunningService<BaseEnv>;

  const wire = (s: string) => `${stack.namespace}.${s}`;
  async function rpc<S extends RequestSubject>(subject: S, payload: unknown): Promise<RequestSubjectMap[S]['reply']> {
    const reply = (await nc.request(wire(subject), JSON.stringify(payload), { timeout: 5_000 })).json<
      | { ok: true; data: RequestSubjectMap[S]['reply'] }
      | { ok: false; error: { status: number; message: string | string[] } }
    >();
    if (!reply.ok) throw Object.assign(new Error(JSON.stringify(reply.error.message)), { status: reply.error.status });
    return reply.data;
  }
  // Each test claims its own task type, so a task one test leaves behind cannot reach another.
  let manual = 'manual';
  let testNo = 0;
  beforeEach(() => {
    manual = `manual-${++testNo}`;
  });
  const claim = (over: Record<string, unknown> = {}) =>
    rpc('juggernaut.task.claim.v1', {
      workerId: 'raw-worker',
      level: 5,
      capabilities: [],
      types: [manual],
      max: 10,
      ...over,
    });
  const submit = async (body: Record<string, unknown>) => {
    const r = await api.post('/api/v1/tasks', body);
    if (r.status !== 201) throw new Error(`submit failed: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body as { id: string; status: string };
  };
  const task = async (id: string) => (await api.get<TaskWithHistory>(`/api/v1/tasks/${id}`)).body;
  const until = (id: string, status: string, ms = 10_000) =>
    eventually(async () => ((await task(id)).status === status ? task(id) : undefined), ms);

  beforeAll(async () => {
    stack = await TestStack.create('dispatch');
    await stack.start(governanceApi, { JUGGERNAUT_ADMIN_KEY: ADMIN, JUGGERNAUT_WORKER_SILENT_MS: '1000' });
    dispatcher = await stack.start(taskDispatcher, FAST);
    api = apiClient(stack.services[0]!.url, ADMIN);
    nc = await connectTestNats();
    db = new Client({ connectionString: stack.db.url });
    await db.connect();
  });

  afterAll(async () => {
    await db?.end();
    await nc?.close();
    await stack?.close();
  });

  describe('with a runner', () => {
    let runner: RunningService<BaseEnv>;
    beforeAll(async () => {
      runner = await stack.start(agentRunner, {
        ...RUNNER,
        HOSTNAME: 'runner-a',
        RUNNER_LEVEL: '3',
        RUNNER_CAPABILITIES: 'web,email',
      });
    });
    afterAll(async () => {
      await runner.close();
      stack.services.splice(stack.services.indexOf(runner), 1);
    });

    it('runs a noop task to success, recording every transition and announcing it on JetStream', async () => {
      const { id, status } = await submit({ type: 'noop', title: 'hello', payload: { sleepMs: 5 } });
      expect(status).toBe('pending');
      const done = await until(id, 'succeeded');
      expect(done).toMatchObject({
        attempts: 1,
        workerId: 'runner-a',
        result: { sleptMs: 5, attempt: 1, startedAt: expect.any(String) },
      });
      expect(done.history.map((h) => h.status)).toEqual(['pending', 'running', 'succeeded']);
      const events = await eventually(async () => {
        const all = [
          ...(await readStream<TaskEventV1>(
            nc,
            `${stack.namespace}_JUGGERNAUT_EVENTS`,
            wire('juggernaut.task.created.v1'),
          )),
          ...(await readStream<TaskEventV1>(
            nc,
            `${stack.namespace}_JUGGERNAUT_EVENTS`,
            wire('juggernaut.task.claimed.v1'),
          )),
          ...(await readStream<TaskEventV1>(
            nc,
            `${stack.namespace}_JUGGERNAUT_EVENTS`,
            wire('juggernaut.task.succeeded.v1'),
          )),
        ].filter((e) => e.taskId === id);
        return all.length === 3 ? all : undefined;
      });
      expect(events.map((e) => e.status).sort()).toEqual(['pending', 'running', 'succeeded']);
    });

    it('returns the same task for the same idempotency key', async () => {
      const a = await submit({ type: 'noop', idempotencyKey: 'once-only' });
      const b = await submit({ type: 'noop', idempotencyKey: 'once-only' });
      expect(b.id).toBe(a.id);
      expect(
        (await api.get<TaskPageV1>('/api/v1/tasks?type=noop&limit=200')).body.items.filter(
          (t) => t.idempotencyKey === 'once-only',
        ),
      ).toHaveLength(1);
    });

    it('accepts a task over NATS request/reply too', async () => {
      const reply = await rpc('juggernaut.task.submit.v1', { type: 'noop' });
      expect(reply.status).toBe('pending');
      await until(reply.id, 'succeeded');
      await expect(rpc('juggernaut.task.submit.v1', { type: 'noop', priority: 'high' })).rejects.toMatchObject({
        status: 400,
      });
    });

    it('rejects bad input with a 400 that names the field', async () => {
      const bad = await api.post('/api/v1/tasks', { type: 'noop', priority: 10 });
      expect(bad.status).toBe(400);
      expect(JSON.stringify(bad.body.message)).toContain('priority');
      const unknown = await api.post('/api/v1/tasks', { type: 'noop', colour: 'red' });
      expect(unknown.status).toBe(400);
      const missingDep = await api.post('/api/v1/tasks', {
        type: 'noop',
        dependsOn: ['00000000-0000-4000-8000-000000000000'],
      });
      expect(missingDep.status).toBe(400);
      expect(missingDep.body.message).toContain('dependsOn');
      expect((await api.get('/api/v1/tasks/00000000-0000-4000-8000-000000000000')).status).toBe(404);
      expect((await api.get('/api/v1/tasks/not-a-uuid')).status).toBe(400);
    });

    it('retries a retryable failure with backoff, then marks it dead, visible and redrivable', async () => {
      const { id } = await submit({ type: 'noop', payload: { fail: true }, maxAttempts: 3 });
      const dead = await until(id, 'dead');
      expect(dead.attempts).toBe(3);
      expect(dead.reason).toContain('attempts exhausted');
      // A retry is claimable once its backoff is over, whether or not the clock promoted it to pending first.
      expect(dead.history.map((h) => h.status).filter((s) => s !== 'pending')).toEqual([
        'running',
        'failed',
        'running',
        'failed',
        'running',
        'dead',
      ]);
      expect((await api.get<TaskPageV1>('/api/v1/tasks?status=dead')).body.items.map((t) => t.id)).toContain(id);
      const redriven = await api.post(`/api/v1/tasks/${id}/retry`);
      expect(redriven.status).toBe(200);
      expect(redriven.body.attempts).toBe(0);
      await eventually(async () => (await task(id)).history.filter((h) => h.status === 'dead').length === 2);
    });

    it('sends a terminal failure straight to dead', async () => {
      const { id } = await submit({ type: 'noop', payload: { fail: 'terminal' }, maxAttempts: 5 });
      const dead = await until(id, 'dead');
      expect(dead.attempts).toBe(1);
    });

    it('holds a dependent task blocked until its dependency succeeds', async () => {
      const a = await submit({ type: 'noop', payload: { sleepMs: 300 } });
      const b = await submit({ type: 'noop', dependsOn: [a.id] });
      expect(b.status).toBe('blocked');
      const doneB = await until(b.id, 'succeeded');
      const doneA = await task(a.id);
      expect(new Date(doneB.history.find((h) => h.status === 'running')!.at).getTime()).toBeGreaterThanOrEqual(
        new Date(doneA.finishedAt!).getTime(),
      );
    });

    it('cancels the dependents of a task that dies, with the reason', async () => {
      // long enough that b and c are submitted while a still runs, even on a loaded machine (a dead dependency is refused)
      const a = await submit({ type: 'noop', payload: { sleepMs: 2_000, fail: 'terminal' } });
      const b = await submit({ type: 'noop', dependsOn: [a.id] });
      const c = await submit({ type: 'noop', dependsOn: [b.id] });
      const cancelled = await until(c.id, 'cancelled');
      expect((await task(b.id)).reason).toContain(`dependency ${a.id} died`);
      expect(cancelled.reason).toContain(`dependency ${a.id} died`);
      const refused = await api.post('/api/v1/tasks', { type: 'noop', dependsOn: [a.id] });
      expect(refused.status).toBe(409);
    });

    it('runs a task at its runAt, not before', async () => {
      const runAt = new Date(Date.now() + 1_000).toISOString();
      const { id, status } = await submit({ type: 'noop', runAt });
      expect(status).toBe('scheduled');
      const done = await until(id, 'succeeded', 5_000);
      const started = new Date(done.history.find((h) => h.status === 'running')!.at).getTime();
      expect(started).toBeGreaterThanOrEqual(new Date(runAt).getTime());
      expect(started - new Date(runAt).getTime()).toBeLessThan(1_000);
    });

    it('cancels a running task: the runner aborts it and it never succeeds', async () => {
      const { id } = await submit({ type: 'noop', payload: { sleepMs: 20_000 } });
      await until(id, 'running');
      const cancel = await api.post(`/api/v1/tasks/${id}/cancel`, { reason: 'changed my mind' });
      expect(cancel.status).toBe(200);
      expect(cancel.body).toMatchObject({ status: 'cancelled', reason: 'changed my mind' });
      expect((await api.post(`/api/v1/tasks/${id}/cancel`, {})).status).toBe(409);
      await eventually(async () => !(await api.get('/api/v1/workers/runner-a')).body.currentTasks.includes(id));
      expect((await task(id)).status).toBe('cancelled');
    });

    it('lists the runner in the worker registry with its level, capabilities and current tasks', async () => {
      const { id } = await submit({ type: 'noop', payload: { sleepMs: 1_500 } });
      const worker = await eventually(async () => {
        const w = (await api.get('/api/v1/workers/runner-a')).body;
        return w.currentTasks?.includes(id) ? w : undefined;
      });
      expect(worker).toMatchObject({
        id: 'runner-a',
        level: 3,
        capabilities: ['web', 'email'],
        status: 'online',
        concurrency: 4,
      });
      expect((await api.get<WorkerView[]>('/api/v1/workers?status=online')).body.map((w) => w.id)).toContain(
        'runner-a',
      );
      await until(id, 'succeeded');
    });
  });

  describe('claiming rules (driven over NATS as a worker would)', () => {
    it('fences completion with the claim token: a stale completion is refused, a repeated one is answered as already done and changes nothing', async () => {
      const { id } = await submit({ type: manual });
      const [t] = (await claim()).tasks;
      expect(t.id).toBe(id);
      const wrong = await rpc('juggernaut.task.finish.v1', {
        workerId: 'raw-worker',
        results: [{ taskId: id, claimToken: '00000000-0000-4000-8000-000000000000', outcome: 'succeeded' }],
      });
      expect(wrong.rejected[0].reason).toContain('stale');
      expect((await task(id)).status).toBe('running');
      const right = await rpc('juggernaut.task.finish.v1', {
        workerId: 'raw-worker',
        results: [{ taskId: id, claimToken: t.claimToken, outcome: 'succeeded', result: { n: 1 } }],
      });
      expect(right.accepted).toEqual([{ taskId: id, status: 'succeeded' }]);
      const again = await rpc('juggernaut.task.finish.v1', {
        workerId: 'raw-worker',
        results: [{ taskId: id, claimToken: t.claimToken, outcome: 'failed', error: 'late' }],
      });
      expect(again).toEqual({ accepted: [{ taskId: id, status: 'succeeded', alreadyDone: true }], rejected: [] });
      expect(await task(id)).toMatchObject({ status: 'succeeded', result: { n: 1 } });
    });

    it('reclaims an expired lease, counts the attempt, and rejects the old holder', async () => {
      const { id } = await submit({ type: manual, maxAttempts: 5 });
      const first = (await claim({ workerId: 'crashed' })).tasks[0];
      // No heartbeat: the 2 s lease runs out and the reaper returns the task.
      const requeued = await eventually(
        async () =>
          (await task(id)).status === 'failed' || (await task(id)).status === 'pending' ? task(id) : undefined,
        5_000,
      );
      expect(requeued.reason ?? requeued.history.at(-2)!.reason).toMatch(/lease expired/);
      // Requeued as a retry, due after its backoff (20 ms here): the claim waits for it rather than racing it.
      const second = (await claim({ workerId: 'healthy', waitMs: 2_000 })).tasks[0];
      expect(second).toMatchObject({ id, attempt: 2 });
      const stale = await rpc('juggernaut.task.finish.v1', {
        workerId: 'crashed',
        results: [{ taskId: id, claimToken: first.claimToken, outcome: 'succeeded' }],
      });
      expect(stale.rejected).toHaveLength(1);
      const hb = await rpc('juggernaut.task.heartbeat.v1', {
        workerId: 'crashed',
        leases: [{ taskId: id, claimToken: first.claimToken }],
      });
      expect(hb.lost).toEqual([{ taskId: id, reason: 'lease lost' }]);
      await rpc('juggernaut.task.finish.v1', {
        workerId: 'healthy',
        results: [{ taskId: id, claimToken: second.claimToken, outcome: 'succeeded' }],
      });
      expect((await task(id)).status).toBe('succeeded');
    });

    it('extends a lease on heartbeat, so a long task keeps it', async () => {
      const { id } = await submit({ type: manual });
      const t = (await claim()).tasks[0];
      for (let i = 0; i < 5; i++) {
        await new Promise((r) => setTimeout(r, 600));
        const hb = await rpc('juggernaut.task.heartbeat.v1', {
          workerId: 'raw-worker',
          leases: [{ taskId: id, claimToken: t.claimToken }],
        });
        expect(hb.extended.map((e) => e.taskId)).toEqual([id]);
      }
      expect((await task(id)).status).toBe('running');
      await rpc('juggernaut.task.finish.v1', {
        workerId: 'raw-worker',
        results: [{ taskId: id, claimToken: t.claimToken, outcome: 'succeeded' }],
      });
    });

    it('releases a lease without burning the attempt', async () => {
      const { id } = await submit({ type: manual });
      const t = (await claim()).tasks[0];
      const r = await rpc('juggernaut.task.release.v1', {
        workerId: 'raw-worker',
        reason: 'draining',
        leases: [{ taskId: id, claimToken: t.claimToken }],
      });
      expect(r.released).toEqual([id]);
      expect(await task(id)).toMatchObject({ status: 'pending', attempts: 0 });
      const again = (await claim()).tasks[0];
      expect(again.attempt).toBe(1);
      await rpc('juggernaut.task.finish.v1', {
        workerId: 'raw-worker',
        results: [{ taskId: id, claimToken: again.claimToken, outcome: 'succeeded' }],
      });
    });

    it('a hand-back by claim id that arrives while that claim is still being answered leaves nothing leased to it', async () => {
      // A runner that gave up on a claim (no answer within its timeout: the dispatcher was frozen, its
      // requests queued) hands the claim back by its id; both requests then reach the dispatcher together.
      for (let i = 0; i < 10; i++) {
        const { id } = await submit({ type: manual });
        const claimId = randomUUID();
        const [answered, handedBack] = await Promise.all([
          claim({ claimId, timeoutMs: 5_000 }),
          rpc('juggernaut.task.release.v1', {
            workerId: 'raw-worker',
            reason: 'claim answer not received',
            claimIds: [claimId],
          }),
        ]);
        expect(await task(id)).toMatchObject({ status: 'pending', attempts: 0 });
        // Whatever the claim took went back with the hand-back.
        expect(handedBack.released).toEqual(answered.tasks.map((t) => t.id));
        // A held claim of that id, or a later request reusing it, leases nothing either.
        expect((await claim({ claimId, timeoutMs: 5_000 })).tasks).toEqual([]);
        await api.post(`/api/v1/tasks/${id}/cancel`, {});
      }
    });

    it('claims by priority, with aging so old low-priority work is not starved', async () => {
      const low = await submit({ type: manual, priority: 9 });
      const high = await submit({ type: manual, priority: 0 });
      const mid = await submit({ type: manual, priority: 5 });
      // Waiting for 2 hours is worth more than 9 priority steps of 60 s: it goes first.
      const aged = await submit({
        type: manual,
        priority: 9,
        runAt: new Date(Date.now() - 2 * 3600_000).toISOString(),
      });
      const got = (await claim({ max: 4 })).tasks.map((t) => t.id);
      expect(got).toEqual([aged.id, high.id, mid.id, low.id]);
      for (const id of got) await api.post(`/api/v1/tasks/${id}/cancel`, {});
    });

    it('gives a task only to a worker with its level and capabilities', async () => {
      const { id } = await submit({ type: manual, requiredLevel: 4, requiredCapabilities: ['browser'] });
      expect((await claim({ level: 3, capabilities: ['browser'] })).tasks).toEqual([]);
      expect((await claim({ level: 5, capabilities: ['email'] })).tasks).toEqual([]);
      const got = (await claim({ level: 4, capabilities: ['browser', 'email'] })).tasks;
      expect(got.map((t) => t.id)).toEqual([id]);
      await api.post(`/api/v1/tasks/${id}/cancel`, {});
    });

    it('holds a type to its concurrency limit and token-bucket rate', async () => {
      expect((await api.put('/api/v1/task-types/capped/limits', { maxConcurrency: 2 })).status).toBe(200);
      for (let i = 0; i < 4; i++) await submit({ type: 'capped' });
      expect((await claim({ types: ['capped'] })).tasks).toHaveLength(2);
      expect((await claim({ types: ['capped'] })).tasks).toHaveLength(0);

      expect((await api.put('/api/v1/task-types/metered/limits', { ratePerSecond: 2, burst: 2 })).status).toBe(200);
      for (let i = 0; i < 6; i++) await submit({ type: 'metered' });
      await new Promise((r) => setTimeout(r, 2_100)); // limits cache refresh
      expect((await claim({ types: ['metered'] })).tasks).toHaveLength(2);
      expect((await claim({ types: ['metered'] })).tasks).toHaveLength(0);
      await new Promise((r) => setTimeout(r, 1_100));
      expect((await claim({ types: ['metered'] })).tasks.length).toBeGreaterThanOrEqual(1);
      expect((await api.get<TaskTypeLimitsViewV1[]>('/api/v1/task-types/limits')).body.map((l) => l.type)).toEqual(
        expect.arrayContaining(['capped', 'metered']),
      );
    });

    it('claims nothing while the kill switch is engaged', async () => {
      const { id } = await submit({ type: manual });
      expect((await api.put('/api/v1/policies/kill-switch', { engaged: true, reason: 'drill' })).status).toBe(200);
      try {
        await eventually(() => dispatcher.app.get(DispatchPolicy).stopped !== undefined, 5_000);
        expect((await claim()).tasks).toEqual([]);
      } finally {
        expect((await api.put('/api/v1/policies/kill-switch', { engaged: false })).status).toBe(200);
      }
      await eventually(() => dispatcher.app.get(DispatchPolicy).stopped === undefined, 5_000);
      expect((await claim()).tasks.map((t) => t.id)).toEqual([id]);
    });
  });

  describe('a submission handed to a held claim', () => {
    /** A claim that found nothing, held at the dispatcher (`waitMs`) until work arrives; resolves once it is held. */
    const held = async (over: Record<string, unknown> = {}) => {
      const before = dispatcher.app.get(DispatchService).heldClaims;
      const claimId = randomUUID();
      const answer = claim({ waitMs: 1_500, timeoutMs: 5_000, claimId, ...over });
      await eventually(() => dispatcher.app.get(DispatchService).heldClaims > before || undefined, 5_000);
      return { answer, claimId };
    };
    const history = async (id: string) => (await task(id)).history.map((h) => `${h.status}:${h.attempt}`);
    const eventsOf = (id: string, n: number) =>
      eventually(async () => {
        const all = (
          await readStream<TaskEventV1>(nc, `${stack.namespace}_JUGGERNAUT_EVENTS`, wire('juggernaut.task.>'))
        ).filter((e) => e.taskId === id);
        return all.length >= n ? all : undefined;
      });

    it('creates the task already leased to the waiting worker, both transitions recorded and announced in order', async () => {
      const { answer } = await held();
      const reply = await submit({
        type: manual,
        title: 'straight to a runner',
        payload: { n: 1 },
        timeoutSeconds: 60,
      });
      // Answered, as every submission, with the state it was created in.
      expect(reply).toMatchObject({ status: 'pending', created: true });
      const { tasks } = await answer;
      expect(tasks).toHaveLength(1);
      expect(tasks[0]).toMatchObject({
        id: reply.id,
        type: manual,
        title: 'straight to a runner',
        payload: { n: 1 },
        attempt: 1,
        maxAttempts: 5,
        leaseMs: 2_000,
        timeoutMs: 60_000,
      });
      expect(await task(reply.id)).toMatchObject({ status: 'running', attempts: 1, workerId: 'raw-worker' });
      expect(await history(reply.id)).toEqual(['pending:0', 'running:1']);
      // One statement: both entries carry its transaction's time (the queue's path commits twice).
      const [created, claimed] = (await task(reply.id)).history;
      expect(claimed!.at).toBe(created!.at);
      const events = await eventsOf(reply.id, 2);
      expect(events.map((e) => [e.status, e.attempt, e.workerId])).toEqual([
        ['pending', 0, undefined],
        ['running', 1, 'raw-worker'],
      ]);
      const done = await rpc('juggernaut.task.finish.v1', {
        workerId: 'raw-worker',
        results: [{ taskId: reply.id, claimToken: tasks[0]!.claimToken, outcome: 'succeeded' }],
      });
      expect(done.accepted).toEqual([{ taskId: reply.id, status: 'succeeded' }]);
    });

    it('leaves a held claim that may not take the task waiting, and the task to the queue', async () => {
      const { answer } = await held({ level: 3, capabilities: ['browser'] });
      const above = await submit({ type: manual, requiredLevel: 4 });
      const lacking = await submit({ type: manual, requiredCapabilities: ['email'] });
      const other = await submit({ type: `${manual}-other` });
      expect((await answer).tasks).toEqual([]);
      for (const t of [above, lacking, other]) {
        expect(await task(t.id)).toMatchObject({ status: 'pending', attempts: 0 });
        await api.post(`/api/v1/tasks/${t.id}/cancel`, {});
      }
    });

    it("reads a pause from the table: a paused type's task waits for the resume", async () => {
      expect((await api.post(`/api/v1/task-types/${manual}/pause`, { reason: 'drill' })).status).toBe(200);
      try {
        const { answer } = await held();
        const { id } = await submit({ type: manual });
        expect((await answer).tasks).toEqual([]);
        expect(await task(id)).toMatchObject({ status: 'pending', attempts: 0 });
      } finally {
        expect((await api.post(`/api/v1/task-types/${manual}/resume`, {})).status).toBe(200);
      }
      const got = (await claim()).tasks;
      expect(got).toHaveLength(1);
      await api.post(`/api/v1/tasks/${got[0]!.id}/cancel`, {});
    });

    it("holds a type to its concurrency limit: a full type's task waits in the queue", async () => {
      expect((await api.put(`/api/v1/task-types/${manual}/limits`, { maxConcurrency: 1 })).status).toBe(200);
      await new Promise((r) => setTimeout(r, 2_100)); // limits cache refresh, for the queue's own claim
      const first = await submit({ type: manual });
      const running = (await claim()).tasks;
      expect(running.map((t) => t.id)).toEqual([first.id]);
      const { answer } = await held();
      const second = await submit({ type: manual });
      expect((await answer).tasks).toEqual([]);
      expect(await task(second.id)).toMatchObject({ status: 'pending', attempts: 0 });
      await rpc('juggernaut.task.finish.v1', {
        workerId: 'raw-worker',
        results: [{ taskId: first.id, claimToken: running[0]!.claimToken, outcome: 'succeeded' }],
      });
      expect((await claim()).tasks.map((t) => t.id)).toEqual([second.id]);
      await api.post(`/api/v1/tasks/${second.id}/cancel`, {});
    });

    it('hands nothing to a claim held from before the kill switch was engaged', async () => {
      const { answer } = await held({ waitMs: 3_000 });
      expect((await api.put('/api/v1/policies/kill-switch', { engaged: true, reason: 'drill' })).status).toBe(200);
      try {
        await eventually(() => dispatcher.app.get(DispatchPolicy).stopped !== undefined, 5_000);
        const { id } = await submit({ type: manual });
        expect((await answer).tasks).toEqual([]);
        expect(await task(id)).toMatchObject({ status: 'pending', attempts: 0 });
        await api.post(`/api/v1/tasks/${id}/cancel`, {});
      } finally {
        expect((await api.put('/api/v1/policies/kill-switch', { engaged: false })).status).toBe(200);
      }
      await eventually(() => dispatcher.app.get(DispatchPolicy).stopped === undefined, 5_000);
    });

    it('creates nothing for an idempotency key already used: the first task answers, the claim stays held', async () => {
      const first = await submit({ type: manual, idempotencyKey: `${manual}-once` });
      const t = (await claim()).tasks[0]!;
      await rpc('juggernaut.task.finish.v1', {
        workerId: 'raw-worker',
        results: [{ taskId: first.id, claimToken: t.claimToken, outcome: 'succeeded' }],
      });
      const { answer } = await held();
      const again = await submit({ type: manual, idempotencyKey: `${manual}-once` });
      expect(again).toEqual({ id: first.id, status: 'succeeded', created: false });
      expect((await answer).tasks).toEqual([]);
      const { rows } = await db.query(`SELECT count(*)::int AS n FROM dispatch.tasks WHERE type = $1`, [manual]);
      expect(rows[0].n).toBe(1);
    });

    it('hands back what a claim its runner gave up on was handed, without burning the attempt', async () => {
      const { answer, claimId } = await held();
      const { id } = await submit({ type: manual });
      expect((await answer).tasks.map((x) => x.id)).toEqual([id]);
      // The runner never saw the answer: it hands the claim back by its id.
      const r = await rpc('juggernaut.task.release.v1', {
        workerId: 'raw-worker',
        reason: 'no answer',
        claimIds: [claimId],
      });
      expect(r.released).toEqual([id]);
      expect(await task(id)).toMatchObject({ status: 'pending', attempts: 0 });
      await api.post(`/api/v1/tasks/${id}/cancel`, {});
    });
  });

  describe('cron schedules', () => {
    it('validates the expression and time zone', async () => {
      expect(
        (await api.post('/api/v1/schedules', { name: 'bad', cron: '61 * * * *', task: { type: manual } })).status,
      ).toBe(400);
      expect(
        (
          await api.post('/api/v1/schedules', {
            name: 'bad2',
            cron: '* * * * *',
            timezone: 'Mars/Base',
            task: { type: manual },
          })
        ).status,
      ).toBe(400);
      expect(
        (await api.post('/api/v1/schedules', { name: 'bad3', cron: '* * * *', task: { type: manual } })).status,
      ).toBe(400);
    });

    it('creates exactly one task per tick, even with two dispatcher replicas', async () => {
      const second = await stack.start(taskDispatcher, FAST);
      try {
        const created = await api.post('/api/v1/schedules', {
          name: 'every-minute',
          cron: '* * * * *',
          timezone: 'Europe/Berlin',
          task: { type: 'cronjob', title: 'tick' },
        });
        expect(created.status).toBe(201);
        // Make the current minute's tick due now (less than a minute late, so it runs as itself).
        const tick = new Date(Math.floor(Date.now() / 60_000) * 60_000);
        await db.query(`UPDATE dispatch.schedules SET next_run_at = $1 WHERE name = 'every-minute'`, [tick]);
        const tasks = await eventually(async () => {
          const page = (await api.get('/api/v1/tasks?type=cronjob')).body.items;
          return page.length ? page : undefined;
        });
        await new Promise((r) => setTimeout(r, 600));
        // One task for the tick (the next minute's may have come meanwhile when the test ran across a minute).
        const key = `schedule:${created.body.id}:${tick.toISOString()}`;
        const all = (await api.get('/api/v1/tasks?type=cronjob')).body.items;
        expect(all.filter((t: { idempotencyKey: string }) => t.idempotencyKey === key)).toHaveLength(1);
        expect(all.length).toBeLessThanOrEqual(2);
        expect(tasks[0].idempotencyKey).toBe(key);
        const [s] = (await api.get<ScheduleViewV1[]>('/api/v1/schedules')).body.filter(
          (x) => x.name === 'every-minute',
        );
        expect(new Date(s.nextRunAt).getTime()).toBeGreaterThan(Date.now());
      } finally {
        await second.close();
        stack.services.splice(stack.services.indexOf(second), 1);
      }
    });

    it('after downtime runs the latest missed tick once (catchUp latest) or none that is late (catchUp none)', async () => {
      await api.post('/api/v1/schedules', {
        name: 'hourly-latest',
        cron: '0 * * * *',
        task: { type: 'catchup-latest' },
      });
      await api.post('/api/v1/schedules', {
        name: 'hourly-none',
        cron: '0 * * * *',
        catchUp: 'none',
        task: { type: 'catchup-none' },
      });
      const threeHoursAgo = new Date(Math.floor((Date.now() - 3 * 3600_000) / 3600_000) * 3600_000);
      await db.query(`UPDATE dispatch.schedules SET next_run_at = $1 WHERE name IN ('hourly-latest', 'hourly-none')`, [
        threeHoursAgo,
      ]);
      const latest = await eventually(async () => {
        const page = (await api.get('/api/v1/tasks?type=catchup-latest')).body.items;
        return page.length ? page : undefined;
      });
      await eventually(async () =>
        (await api.get<ScheduleViewV1[]>('/api/v1/schedules')).body.every(
          (s) => new Date(s.nextRunAt).getTime() > Date.now(),
        ),
      );
      expect(latest).toHaveLength(1);
      const lastTick = new Date(Math.floor(Date.now() / 3600_000) * 3600_000).toISOString();
      expect(latest[0].idempotencyKey).toContain(lastTick);
      // catchUp none skips missed ticks; only a latest tick still on time (within a minute of the hour) runs.
      // (the minute's edge itself, where the tick and this check may fall on either side, takes either)
      const age = Date.now() - Date.parse(lastTick);
      const ran = (await api.get<TaskPageV1>('/api/v1/tasks?type=catchup-none')).body.items.map((t) =>
        t.idempotencyKey!.split(':').slice(2).join(':'),
      );
      if (age < 55_000) expect(ran).toEqual([lastTick]);
      else if (age > 65_000) expect(ran).toEqual([]);
      else expect([[], [lastTick]]).toContainEqual(ran);
      expect((await api.delete('/api/v1/schedules/hourly-none')).status).toBe(200);
      expect((await api.delete('/api/v1/schedules/hourly-none')).status).toBe(404);
    });
  });

  describe('draining', () => {
    it('on shutdown finishes what it can, releases the rest without burning an attempt, and goes offline', async () => {
      const drainer = await stack.start(agentRunner, { ...RUNNER, HOSTNAME: 'drainer', RUNNER_DRAIN_MS: '300' });
      const quick = await submit({ type: 'noop', payload: { sleepMs: 100 } });
      const slow = await submit({ type: 'noop', payload: { sleepMs: 30_000 } });
      await until(slow.id, 'running');
      await drainer.close();
      stack.services.splice(stack.services.indexOf(drainer), 1);
      expect((await task(quick.id)).status).toBe('succeeded');
      expect(await task(slow.id)).toMatchObject({ status: 'pending', attempts: 0 });
      expect((await task(slow.id)).history.at(-1)!.reason).toContain('released');
      await eventually(async () => (await api.get('/api/v1/workers/drainer')).body.status === 'offline');
      await api.post(`/api/v1/tasks/${slow.id}/cancel`, {});
    });
  });

  it('exposes queue metrics on /metrics', async () => {
    const text = (await apiClient(dispatcher.url).get<string>('/metrics')).body;
    expect(text).toMatch(/juggernaut_tasks\{state="pending",service="task-dispatcher"\} \d+/);
    expect(text).toMatch(/juggernaut_tasks\{state="dead",service="task-dispatcher"\} \d+/);
    expect(text).not.toMatch(/juggernaut_tasks\{state="succeeded"/);
    expect(text).toMatch(
      /juggernaut_tasks_completed_total\{type="noop",outcome="succeeded",service="task-dispatcher"\} [1-9]/,
    );
    expect(text).toContain('juggernaut_queue_depth');
    expect(text).toContain('juggernaut_queue_oldest_pending_age_seconds');
    expect(text).toContain('juggernaut_task_pickup_latency_seconds_bucket');
    expect(text).toMatch(/juggernaut_leases_expired_total\{service="task-dispatcher"\} [1-9]/);
  });
});
