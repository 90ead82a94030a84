import { jetstream } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { apiClient, connectTestNats, eventually, readStream, TestStack } from '@juggernaut/testing';
import { governanceApi } from '../src/service';
import type { DeadLetterV1 } from '@juggernaut/contracts';
import type { RpcReply } from '@juggernaut/messaging';

const ADMIN_KEY = 'test-admin-key-0123456789abcdef';

describe('governance-api against real Postgres and NATS', () => {
  let stack: TestStack;
  let url: string;
  let metricsUrl: string;
  let nc: NatsConnection;
  const admin = () => apiClient(url, ADMIN_KEY);

  beforeAll(async () => {
    stack = await TestStack.create('governance');
    const svc = await stack.start(governanceApi, { JUGGERNAUT_ADMIN_KEY: ADMIN_KEY });
    url = svc.url;
    metricsUrl = svc.metricsUrl;
    nc = await connectTestNats();
  });

  afterAll(async () => {
    await nc?.close();
    await stack?.close();
  });

  const wire = (s: string) => `${stack.namespace}.${s}`;

  it('becomes ready only with Postgres and NATS reachable, and serves live and metrics (on the metrics port)', async () => {
    const ready = await apiClient(metricsUrl).get('/health/ready');
    expect(ready.status).toBe(200);
    expect(ready.body.checks).toEqual({ postgres: { ok: true }, nats: { ok: true } });
    expect((await apiClient(metricsUrl).get('/health/live')).status).toBe(200);
    expect((await apiClient(url).get('/api/v1/logs')).status).toBe(401);
    const metrics = await apiClient(metricsUrl).get<string>('/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.body).toContain('juggernaut_process_cpu_user_seconds_total');
    expect(metrics.body).toContain('juggernaut_http_request_duration_seconds_bucket');
  });

  it('stores an execution log with POST that GET returns', async () => {
    const created = await admin().post('/api/v1/logs', {
      workerId: 'worker-a',
      action: 'test.step',
      message: 'hello',
      outputData: { n: 1 },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      workerId: 'worker-a',
      action: 'test.step',
      message: 'hello',
      outputData: { n: 1 },
    });
    const listed = await admin().get('/api/v1/logs?workerId=worker-a');
    expect(listed.status).toBe(200);
    expect(listed.body.items.map((l: { id: string }) => l.id)).toContain(created.body.id);
    const one = await admin().get(`/api/v1/logs/${created.body.id}`);
    expect(one.body.message).toBe('hello');
  });

  it('pages through logs with a cursor, newest first, without repeats', async () => {
    for (let i = 0; i < 5; i++)
      await admin().post('/api/v1/logs', { workerId: 'pager', action: 'p', message: `m${i}` });
    const first = await admin().get('/api/v1/logs?workerId=pager&limit=2');
    const second = await admin().get(`/api/v1/logs?workerId=pager&limit=2&cursor=${first.body.nextCursor}`);
    const third = await admin().get(`/api/v1/logs?workerId=pager&limit=2&cursor=${second.body.nextCursor}`);
    const messages = [...first.body.items, ...second.body.items, ...third.body.items].map(
      (l: { message: string }) => l.message,
    );
    expect(messages).toEqual(['m4', 'm3', 'm2', 'm1', 'm0']);
    expect(third.body.nextCursor).toBeNull();
    expect((await admin().get('/api/v1/logs?cursor=garbage')).status).toBe(400);
  });

  it('answers 400 naming the field for a wrong type, and refuses unknown fields', async () => {
    const wrongType = await admin().post('/api/v1/logs', { workerId: 42, action: 'a', message: 'm' });
    expect(wrongType.status).toBe(400);
    expect(JSON.stringify(wrongType.body.message)).toContain('workerId');
    const unknown = await admin().post('/api/v1/logs', { workerId: 'w', action: 'a', message: 'm', sneaky: true });
    expect(unknown.status).toBe(400);
    expect(JSON.stringify(unknown.body.message)).toContain('sneaky');
    const badJson = await admin().call('POST', '/api/v1/logs', '{"workerId":', { 'content-type': 'application/json' });
    expect(badJson.status).toBe(400);
  });

  it('refuses a request without a key (401) and a viewer that writes (403)', async () => {
    expect((await apiClient(url).get('/api/v1/logs')).status).toBe(401);
    expect((await apiClient(url, 'not-a-real-key-at-all-xxxxxxxx').get('/api/v1/logs')).status).toBe(401);
    const viewer = await admin().post('/api/v1/api-keys', { name: 'viewer', role: 'viewer' });
    expect(viewer.status).toBe(201);
    expect(viewer.body.key).toMatch(/^jg_/);
    const asViewer = apiClient(url, viewer.body.key);
    expect((await asViewer.get('/api/v1/logs')).status).toBe(200);
    const write = await asViewer.post('/api/v1/logs', { workerId: 'w', action: 'a', message: 'm' });
    expect(write.status).toBe(403);
    expect((await asViewer.post('/api/v1/api-keys', { name: 'x', role: 'admin' })).status).toBe(403);
  });

  it('stops honouring a revoked key and a rotated key', async () => {
    const op = await admin().post('/api/v1/api-keys', { name: 'op', role: 'operator' });
    expect((await apiClient(url, op.body.key).get('/api/v1/logs')).status).toBe(200);
    const rotated = await admin().post(`/api/v1/api-keys/${op.body.id}/rotate`);
    expect(rotated.status).toBe(201);
    expect((await apiClient(url, op.body.key).get('/api/v1/logs')).status).toBe(401);
    expect((await apiClient(url, rotated.body.key).get('/api/v1/logs')).status).toBe(200);
    await admin().delete(`/api/v1/api-keys/${rotated.body.id}`);
    expect((await apiClient(url, rotated.body.key).get('/api/v1/logs')).status).toBe(401);
  });

  it('creates opportunities in minor units, deduplicates them and announces them on JetStream', async () => {
    const body = {
      opportunityType: 'saas',
      category: 'devtools',
      description: 'YAML linter',
      estimatedValueMinor: 500_000,
      confidenceScore: 0.4,
      dedupeKey: 'yaml-linter',
    };
    const first = await admin().post('/api/v1/opportunities', body);
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({
      estimatedValueMinor: 500_000,
      confidenceScore: 0.4,
      currency: 'USD',
      status: 'new',
    });
    const again = await admin().post('/api/v1/opportunities', body);
    expect(again.body.id).toBe(first.body.id);
    expect(
      (await admin().post('/api/v1/opportunities', { ...body, dedupeKey: 'x', confidenceScore: 1.5 })).status,
    ).toBe(400);
    expect(
      (await admin().post('/api/v1/opportunities', { ...body, dedupeKey: 'y', estimatedValueMinor: 10.5 })).status,
    ).toBe(400);

    const events = await eventually(async () => {
      const got = await readStream<{ id: string }>(
        nc,
        `${stack.namespace}_JUGGERNAUT_EVENTS`,
        wire('juggernaut.opportunity.created.v1'),
      );
      return got.length > 0 ? got : undefined;
    });
    expect(events.map((e) => e.id)).toEqual([first.body.id]);
  });

  it('serves both operations over NATS request/reply, with validation errors as 400', async () => {
    const reply = await nc.request(
      wire('juggernaut.log.create.v1'),
      JSON.stringify({ workerId: 'nats-w', action: 'a', message: 'via nats' }),
    );
    const envelope = reply.json<{ ok: boolean; data: { id: string } }>();
    expect(envelope.ok).toBe(true);
    expect((await admin().get(`/api/v1/logs/${envelope.data.id}`)).body.message).toBe('via nats');

    const bad = (await nc.request(wire('juggernaut.opportunity.create.v1'), JSON.stringify({ category: 1 }))).json<
      RpcReply<unknown>
    >();
    expect(bad.ok).toBe(false);
    expect(!bad.ok && bad.error.status).toBe(400);
    expect(!bad.ok && bad.error.message).toContain('opportunityType');
  });

  it('dead-letters an invalid message with its reason and goes on with the next', async () => {
    const js = jetstream(nc);
    await js.publish(wire('juggernaut.log.append.v1'), JSON.stringify({ workerId: 7, action: 'bad' }));
    await js.publish(
      wire('juggernaut.log.append.v1'),
      JSON.stringify({ workerId: 'after-bad', action: 'ok', message: 'valid', logId: 'dl-1' }),
    );
    const stored = await eventually(async () => {
      const page = await admin().get('/api/v1/logs?workerId=after-bad');
      return page.body.items.length ? page.body.items : undefined;
    });
    expect(stored[0].message).toBe('valid');
    const letters = await eventually(async () => {
      const got = await readStream<DeadLetterV1>(
        nc,
        `${stack.namespace}_JUGGERNAUT_DEADLETTER`,
        wire('juggernaut.deadletter.v1'),
      );
      return got.length ? got : undefined;
    });
    expect(letters[0]).toMatchObject({ subject: 'juggernaut.log.append.v1', service: 'governance-api' });
    expect(letters[0].reason).toContain('workerId');
    const metrics = (await apiClient(metricsUrl).get<string>('/metrics')).body;
    expect(metrics).toMatch(
      /juggernaut_messages_dead_lettered_total\{[^}]*subject="juggernaut.log.append.v1"[^}]*\} 1/,
    );
  });

  it('stores a redelivered log line once (idempotent logId)', async () => {
    const js = jetstream(nc);
    for (let i = 0; i < 3; i++) {
      await js.publish(
        wire('juggernaut.log.append.v1'),
        JSON.stringify({ workerId: 'dup', action: 'a', message: 'once', logId: 'same-id' }),
      );
    }
    await eventually(async () => (await admin().get('/api/v1/logs?workerId=dup')).body.items.length > 0);
    await new Promise((r) => setTimeout(r, 300));
    expect((await admin().get('/api/v1/logs?workerId=dup')).body.items).toHaveLength(1);
  });

  it('documents every route in OpenAPI at /docs-json', async () => {
    const doc = await apiClient(url).get('/docs-json');
    expect(doc.status).toBe(200);
    expect(Object.keys(doc.body.paths)).toEqual(
      expect.arrayContaining(['/api/v1/logs', '/api/v1/opportunities', '/api/v1/api-keys']),
    );
    expect(doc.body.components.schemas.CreateExecutionLogDto.required).toEqual(
      expect.arrayContaining(['workerId', 'action', 'message']),
    );
    expect((await apiClient(url).get('/docs')).status).toBe(200);
  });

  it('never writes an API key or the database password into its logs', async () => {
    const key = (await admin().post('/api/v1/api-keys', { name: 'secret-check', role: 'agent' })).body.key as string;
    await admin().post('/api/v1/logs', { workerId: 'w', action: 'leak', message: `token ${key} and ${ADMIN_KEY}` });
    const page = await admin().get('/api/v1/logs?action=leak');
    expect(page.body.items[0].message).not.toContain(key);
    expect(page.body.items[0].message).toContain('[REDACTED]');
    expect(stack.logs.text()).not.toContain(key);
    expect(stack.logs.text()).not.toContain(ADMIN_KEY);
  });
});
