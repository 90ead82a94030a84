import { jetstream } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { AlertRaisedV1, AlertResolvedV1, RequestSubjectMap } from '@juggernaut/contracts';
import { apiClient, connectTestNats, eventually, readStream, TestStack } from '@juggernaut/testing';
import { randomUUID } from 'node:crypto';
import type { AlertView } from '../apps/governance-api/src/alerts/alerts.controller';
import { governanceApi } from '../apps/governance-api/src/service';
import { revenueLedger } from '../apps/revenue-ledger/src/service';
import { taskDispatcher } from '../apps/task-dispatcher/src/service';

const ADMIN = 'monitor-admin-key-0123456789abcdef';

/** What the monitor put in an alert's details, by kind (the fields these tests read). */
interface AlertDetails {
  pendingCount?: number;
  tasks?: Array<{ taskId: string; workerId: string }>;
  bySubject?: Record<string, number>;
  deadLetters?: number;
  [key: string]: unknown;
}
/** An alert as the API lists it. */
type Alert = Omit<AlertView, 'details'> & { details: AlertDetails | null };

/** The monitor raises deduplicated alerts from real conditions and resolves them when they clear. */
describe('self-monitoring alerts', () => {
  let stack: TestStack;
  let nc: NatsConnection;
  let api: ReturnType<typeof apiClient>;
  let url: string;
  let metricsUrl: string;
  const wire = (s: string) => `${stack.namespace}.${s}`;
  const active = async (kind: string, key = '') => {
    const page = await api.get<{ items: Alert[] }>(`/api/v1/alerts?status=active&kind=${kind}`);
    return page.body.items.filter((a) => a.key === key);
  };
  const raisedEvents = () =>
    readStream<AlertRaisedV1>(nc, `${stack.namespace}_JUGGERNAUT_EVENTS`, wire('juggernaut.alert.raised.v1'));
  const resolvedEvents = () =>
    readStream<AlertResolvedV1>(nc, `${stack.namespace}_JUGGERNAUT_EVENTS`, wire('juggernaut.alert.resolved.v1'));
  const heartbeat = (workerId: string) =>
    nc.publish(
      wire('juggernaut.worker.heartbeat.v1'),
      JSON.stringify({
        workerId,
        level: 3,
        capabilities: [],
        concurrency: 1,
        runningTaskIds: [],
        draining: false,
        at: new Date().toISOString(),
      }),
    );

  beforeAll(async () => {
    stack = await TestStack.create('monitor');
    ({ url, metricsUrl } = await stack.start(governanceApi, {
      JUGGERNAUT_ADMIN_KEY: ADMIN,
      JUGGERNAUT_MONITOR_INTERVAL_MS: '150',
      JUGGERNAUT_WORKER_SILENT_MS: '60000',
      JUGGERNAUT_ALERT_QUEUE_AGE_S: '1',
      JUGGERNAUT_ALERT_STUCK_AFTER_S: '0',
      JUGGERNAUT_ALERT_WORKER_FAILURES: '3',
      JUGGERNAUT_ALERT_DEAD_LETTERS: '3',
      JUGGERNAUT_ALERT_ERROR_MIN_TASKS: '3',
      JUGGERNAUT_ALERT_ERROR_RATE_PCT: '50',
    }));
    await stack.start(taskDispatcher, { DISPATCH_LEASE_SECONDS: '1', DISPATCH_REAPER_INTERVAL_MS: '60000' });
    await stack.start(revenueLedger);
    api = apiClient(url, ADMIN);
    nc = await connectTestNats();
  });

  afterAll(async () => {
    await nc?.close();
    await stack?.close();
  });

  it('raises "no workers" once, announces it, and resolves it when a worker comes online', async () => {
    const [alert] = await eventually(async () => {
      const got = await active('no_workers');
      return got.length ? got : undefined;
    });
    expect(alert).toMatchObject({ severity: 'critical', status: 'active' });
    // evaluated again and again, still one alert (deduplicated), its lastSeenAt moving on
    await new Promise((r) => setTimeout(r, 500));
    const again = await active('no_workers');
    expect(again.map((a) => a.id)).toEqual([alert.id]);
    expect(Date.parse(again[0].lastSeenAt)).toBeGreaterThan(Date.parse(alert.lastSeenAt));
    expect((await apiClient(metricsUrl).get<string>('/metrics')).body).toMatch(
      /juggernaut_alerts_active\{[^}]*kind="no_workers"[^}]*\} 1/,
    );

    heartbeat('monitor-worker-1');
    const resolved = await eventually(async () => {
      const got = (await api.get(`/api/v1/alerts/${alert.id}`)).body;
      return got.status === 'resolved' ? got : undefined;
    });
    expect(resolved.resolvedAt).toBeDefined();
    await eventually(async () => (await raisedEvents()).some((e) => e.alertId === alert.id && e.kind === 'no_workers'));
    await eventually(async () => (await resolvedEvents()).some((e) => e.alertId === alert.id && e.resolvedAt));
    expect((await raisedEvents()).filter((e) => e.alertId === alert.id)).toHaveLength(1);
  });

  it('raises "queue stale" for a ready task nobody claims, and resolves it when the task is cancelled', async () => {
    const { id } = (await api.post('/api/v1/tasks', { type: 'nobody-handles-this' })).body;
    const [alert] = await eventually(async () => {
      const got = await active('queue_stale');
      return got.length ? got : undefined;
    });
    expect(alert.details!.pendingCount).toBe(1);
    await api.post(`/api/v1/tasks/${id}/cancel`, {});
    await eventually(async () => (await api.get(`/api/v1/alerts/${alert.id}`)).body.status === 'resolved');
  });

  it('raises "task stuck" for a running task whose lease expired without the reaper taking it', async () => {
    const { id } = (await api.post('/api/v1/tasks', { type: 'will-get-stuck' })).body;
    const claim = (
      await nc.request(
        wire('juggernaut.task.claim.v1'),
        JSON.stringify({
          workerId: 'vanished-worker',
          level: 5,
          capabilities: [],
          types: ['will-get-stuck'],
          max: 1,
        }),
        { timeout: 5_000 },
      )
    ).json<{ data: RequestSubjectMap['juggernaut.task.claim.v1']['reply'] }>();
    expect(claim.data.tasks.map((t) => t.id)).toEqual([id]);
    const [alert] = await eventually(async () => {
      const got = await active('task_stuck');
      return got.length ? got : undefined;
    });
    expect(alert.details!.tasks).toEqual([expect.objectContaining({ taskId: id, workerId: 'vanished-worker' })]);
  });

  it('raises "worker failing" per worker and "error rate high" from task events, each event counted once', async () => {
    const js = jetstream(nc);
    const failed = Array.from({ length: 3 }, () =>
      JSON.stringify({
        taskId: randomUUID(),
        type: 'x',
        status: 'failed',
        attempt: 1,
        workerId: 'flaky-worker',
        at: new Date().toISOString(),
      }),
    );
    const succeeded = JSON.stringify({
      taskId: randomUUID(),
      type: 'x',
      status: 'succeeded',
      attempt: 1,
      at: new Date().toISOString(),
    });
    // Published together, every event twice (as a redelivery would bring it): they share the monitor's
    // grouped writes, and the second copy of each must change nothing.
    await Promise.all([...failed, ...failed].map((f) => js.publish(wire('juggernaut.task.failed.v1'), f)));
    await Promise.all([succeeded, succeeded].map((s) => js.publish(wire('juggernaut.task.succeeded.v1'), s)));
    const [failing] = await eventually(async () => {
      const got = await active('worker_failing', 'flaky-worker');
      return got.length ? got : undefined;
    });
    expect(failing.details).toMatchObject({ workerId: 'flaky-worker', failures: 3 });
    const [rate] = await eventually(async () => {
      const got = await active('error_rate_high');
      return got.length ? got : undefined;
    });
    expect(rate.details).toMatchObject({ failed: 3, succeeded: 1, pct: 75 });
  });

  it('raises "dead letters rising" when invalid messages pile up', async () => {
    const js = jetstream(nc);
    for (let i = 0; i < 3; i++) await js.publish(wire('juggernaut.log.append.v1'), JSON.stringify({ workerId: i }));
    const [alert] = await eventually(async () => {
      const got = await active('dead_letters_rising');
      return got.length ? got : undefined;
    });
    expect(alert.details!.bySubject!['juggernaut.log.append.v1']).toBeGreaterThanOrEqual(3);
  });

  it('raises "spend burn" when spend reaches the daily cap of the policy', async () => {
    await api.put('/api/v1/policies', {
      budgets: { currency: 'USD', globalDailyCapMinor: 1000 },
      permissions: { taskTypes: {}, tools: {} },
      approvals: { toolsRequiringApproval: [], ttlSeconds: 600 },
    });
    const cost = (eventId: string, amountMinor: number) =>
      jetstream(nc).publish(
        wire('juggernaut.cost.recorded.v1'),
        JSON.stringify({
          eventId,
          amountMinor,
          currency: 'USD',
          category: 'llm',
          source: 'test',
          occurredAt: new Date().toISOString(),
        }),
      );
    await cost('c-1', 600);
    await cost('c-1', 600); // a redelivery counts once
    await cost('c-2', 400);
    const [alert] = await eventually(async () => {
      const got = await active('spend_burn', 'USD');
      return got.length && got[0].severity === 'critical' ? got : undefined;
    });
    expect(alert.details).toMatchObject({ spentMinor: 1000, capMinor: 1000 });
  });

  it('raises "ledger conflict" for an event that reuses a posted event id with other content, naming the event and the transaction', async () => {
    const js = jetstream(nc);
    const sale = {
      eventId: 'order-77',
      amountMinor: 500,
      currency: 'USD',
      source: 'shop',
      occurredAt: new Date().toISOString(),
    };
    await js.publish(wire('juggernaut.revenue.recorded.v1'), JSON.stringify(sale));
    const t = await eventually(
      async () => (await api.get('/api/v1/ledger/transactions?eventId=order-77')).body.items?.[0],
    );
    await js.publish(wire('juggernaut.revenue.recorded.v1'), JSON.stringify(sale)); // the same sale again: nothing to say
    await js.publish(wire('juggernaut.revenue.recorded.v1'), JSON.stringify({ ...sale, amountMinor: 700 }));
    const [alert] = await eventually(async () => {
      const got = await active('ledger_conflict', 'order-77');
      return got.length ? got : undefined;
    });
    expect(alert).toMatchObject({
      severity: 'critical',
      message:
        `ledger conflict: eventId order-77 was posted as transaction ${t.id} with amountMinor 500; this event has amountMinor 700 ` +
        '(dead-lettered from juggernaut.revenue.recorded.v1, not posted)',
      details: { eventId: 'order-77', transactionId: t.id, subject: 'juggernaut.revenue.recorded.v1', deadLetters: 1 },
    });
    await eventually(async () =>
      (await raisedEvents()).some(
        (e) => e.alertId === alert.id && e.kind === 'ledger_conflict' && e.severity === 'critical',
      ),
    );
    // A second conflicting copy refreshes the same alert (its count grows); the posted sale is unchanged.
    await js.publish(wire('juggernaut.revenue.recorded.v1'), JSON.stringify({ ...sale, amountMinor: 900 }));
    const refreshed = await eventually(async () => {
      const got = await active('ledger_conflict', 'order-77');
      return got[0]?.details!.deadLetters === 2 ? got : undefined;
    });
    expect(refreshed.map((a) => a.id)).toEqual([alert.id]);
    expect(refreshed[0].message).toContain('this event has amountMinor 900');
    expect((await api.get('/api/v1/ledger/transactions?eventId=order-77')).body.items).toEqual([t]);
  });

  it('lists alerts to any reader, filtered, and refuses a bad filter with 400', async () => {
    const viewer = (await api.post('/api/v1/api-keys', { name: 'alert-viewer', role: 'viewer' })).body.key;
    const all = await apiClient(url, viewer).get<{ items: Alert[] }>('/api/v1/alerts?limit=200');
    expect(all.status).toBe(200);
    expect(new Set(all.body.items.map((a) => a.kind))).toEqual(
      new Set([
        'no_workers',
        'queue_stale',
        'task_stuck',
        'worker_failing',
        'error_rate_high',
        'dead_letters_rising',
        'spend_burn',
        'ledger_conflict',
      ]),
    );
    expect((await apiClient(url, viewer).get('/api/v1/alerts?kind=everything')).status).toBe(400);
  });
});
