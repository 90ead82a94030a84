import { randomUUID } from 'node:crypto';
import { Subjects } from '@juggernaut/contracts';
import { Bus } from '@juggernaut/messaging';
import { createLogger, Metrics } from '@juggernaut/observability';
import { createServiceDataSource, enqueueEvent, enqueueEvents, outboxTableSql } from '@juggernaut/persistence';
import { OutboxRelay, type OutboxRelayOptions } from '@juggernaut/service-kit';
import {
  cleanupNamespace,
  connectTestNats,
  createTestDatabase,
  eventually,
  LogCapture,
  NatsServerProcess,
  readStream,
  TEST_NATS_URL,
  TEST_PG_ADMIN_URL,
  testNamespace,
  type TestDatabase,
} from '@juggernaut/testing';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import type { DataSource } from 'typeorm';

/**
 * The transactional outbox relay against the real Postgres and NATS, under the faults seen in
 * production: its LISTEN connection killed again and again (also while the database refuses
 * connections), a message the stream refuses, NATS down and back, and two replicas draining one schema. It lives
 * here rather than beside the relay because it needs @juggernaut/testing, which depends on service-kit.
 */
const NEVER = 600_000; // a fallback timer that never fires within a test: only NOTIFY can wake the relay

describe('outbox relay under faults', () => {
  let db: TestDatabase;
  let admin: Client;
  let nc: NatsConnection;
  const logs = new LogCapture();
  const logger = createLogger({ service: 'outbox-test', level: 'warn', destination: logs, pretty: false });
  const cleanups: Array<() => Promise<unknown>> = [];

  beforeAll(async () => {
    db = await createTestDatabase('outbox');
    admin = new Client({ connectionString: TEST_PG_ADMIN_URL });
    await admin.connect();
    nc = await connectTestNats();
  });

  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
  });

  afterAll(async () => {
    await admin.query(`ALTER DATABASE ${db.name} ALLOW_CONNECTIONS true`).catch(() => undefined);
    await nc?.close();
    await admin?.end();
    await db?.drop();
  });

  /** A schema with an outbox and a data source on it, as a service has. */
  async function outboxSchema(schema: string, poolSize = 4): Promise<DataSource> {
    const c = new Client({ connectionString: db.url });
    await c.connect();
    await c.query(`CREATE SCHEMA ${schema}`);
    await c.query(outboxTableSql(schema));
    await c.end();
    return dataSource(schema, poolSize);
  }

  async function dataSource(schema: string, poolSize = 4): Promise<DataSource> {
    const ds = createServiceDataSource({ url: db.url, schema, service: `relay-test-${schema}`, poolSize });
    await ds.initialize();
    cleanups.push(() => ds.destroy());
    return ds;
  }

  async function bus(namespace: string, metrics = new Metrics('outbox-test')): Promise<Bus> {
    const b = await Bus.connect({ servers: TEST_NATS_URL, namespace, service: 'outbox-test', logger, metrics });
    cleanups.push(() => b.close());
    return b;
  }

  function relay(ds: DataSource, schema: string, b: Bus, options: OutboxRelayOptions): OutboxRelay {
    const r = new OutboxRelay(ds, db.url, schema, b, logger, { reconnectMs: 50, reconnectMaxMs: 400, ...options });
    cleanups.push(() => r.stop());
    return r;
  }

  function taskEvent(taskId: string, attempt: number, reason?: string) {
    return {
      taskId,
      type: 'noop',
      status: 'pending' as const,
      attempt,
      at: new Date().toISOString(),
      ...(reason ? { reason } : {}),
    };
  }

  async function outboxIds(ds: DataSource, schema: string): Promise<string[]> {
    const rows = (await ds.query(`SELECT id FROM ${schema}.outbox ORDER BY id`)) as Array<{ id: string }>;
    return rows.map((r) => r.id);
  }

  const eventsStream = (ns: string) => `${ns}_JUGGERNAUT_EVENTS`;
  const created = (ns: string) => `${ns}.${Subjects.taskCreated}`;

  it('keeps one LISTEN connection through repeated lost connections and a database that refuses connections, and still wakes on NOTIFY', async () => {
    const schema = 'listen';
    const app = `juggernaut-outbox-${schema}`;
    const ds = await outboxSchema(schema);
    const ns = testNamespace();
    cleanups.push(() => cleanupNamespace(ns));
    const b = await bus(ns);
    await b.ensureStreams();

    const listeners = async () => {
      const { rows } = await admin.query<{ n: number; listening: number }>(
        `SELECT count(*)::int AS n, count(*) FILTER (WHERE state = 'idle' AND query LIKE 'LISTEN%')::int AS listening
           FROM pg_stat_activity WHERE datname = $1 AND application_name = $2`,
        [db.name, app],
      );
      return rows[0]!;
    };
    // Samples the listener connections all through the test: the most ever seen at once must be one.
    let most = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        most = Math.max(most, (await listeners()).n);
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    cleanups.push(() => {
      sampling = false;
      return sampler;
    });
    const kill = () =>
      admin.query(
        `SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity WHERE datname = $1 AND application_name = $2`,
        [db.name, app],
      );
    const settled = async () => {
      await eventually(async () => (await listeners()).listening >= 1, 10_000);
      // A doubled reconnect shows up right after the first one; give it the time to.
      await new Promise((r) => setTimeout(r, 800));
      expect(most).toBeLessThanOrEqual(1);
      expect((await listeners()).n).toBe(1);
    };

    const r = relay(ds, schema, b, { fallbackMs: NEVER });
    await r.start();
    await settled();

    for (let outage = 0; outage < 3; outage++) {
      await kill();
      await settled();
    }

    // The database refuses every new connection for a while: several attempts fail, then one succeeds.
    await admin.query(`ALTER DATABASE ${db.name} ALLOW_CONNECTIONS false`);
    try {
      await kill();
      await new Promise((r) => setTimeout(r, 1_000));
      expect((await listeners()).n).toBe(0);
    } finally {
      await admin.query(`ALTER DATABASE ${db.name} ALLOW_CONNECTIONS true`);
    }
    await settled();
    await kill();
    await settled();

    // Written after the outages, published without the fallback timer: the listener hears the NOTIFY.
    const taskId = randomUUID();
    await enqueueEvent(ds, schema, Subjects.taskCreated, taskEvent(taskId, 0));
    await eventually(async () => (await outboxIds(ds, schema)).length === 0, 10_000);
    const seen = await readStream<{ taskId: string }>(nc, eventsStream(ns), created(ns));
    expect(seen.map((e) => e.taskId)).toContain(taskId);

    await r.stop();
    await eventually(async () => (await listeners()).n === 0, 5_000);
    sampling = false;
    await sampler;
    expect(most).toBeLessThanOrEqual(1);
  });

  it('stop() during an outage cancels the pending reconnect', async () => {
    const schema = 'stopping';
    const app = `juggernaut-outbox-${schema}`;
    const ds = await outboxSchema(schema);
    const ns = testNamespace();
    cleanups.push(() => cleanupNamespace(ns));
    const b = await bus(ns);
    const count = async () =>
      Number(
        (
          await admin.query(
            `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND application_name = $2`,
            [db.name, app],
          )
        ).rows[0].n,
      );

    const r = relay(ds, schema, b, { fallbackMs: NEVER });
    await r.start();
    await eventually(async () => (await count()) === 1, 5_000);
    await admin.query(`ALTER DATABASE ${db.name} ALLOW_CONNECTIONS false`);
    try {
      await admin.query(
        `SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity WHERE datname = $1 AND application_name = $2`,
        [db.name, app],
      );
      await new Promise((res) => setTimeout(res, 300));
      await r.stop();
    } finally {
      await admin.query(`ALTER DATABASE ${db.name} ALLOW_CONNECTIONS true`);
    }
    // Longer than the longest backoff: a reconnect left pending would have connected by now.
    await new Promise((res) => setTimeout(res, 1_000));
    expect(await count()).toBe(0);
  });

  it('keeps a message the stream refuses in the outbox, counted and logged, publishes and deletes the rest, and retries it', async () => {
    const schema = 'refuse';
    const ds = await outboxSchema(schema);
    const ns = testNamespace();
    cleanups.push(() => cleanupNamespace(ns));
    const metrics = new Metrics('outbox-test');
    const b = await bus(ns, metrics);
    await b.ensureStreams();
    // The stream refuses messages over 1 KiB (headers included), as JetStream does with max_msg_size.
    const info = await b.jsm.streams.info(eventsStream(ns));
    await b.jsm.streams.update(eventsStream(ns), { ...info.config, max_msg_size: 1024 });

    const taskId = randomUUID();
    await enqueueEvents(
      ds,
      schema,
      Array.from({ length: 7 }, (_, i) => ({
        subject: Subjects.taskCreated,
        payload: taskEvent(taskId, i, i === 3 ? 'x'.repeat(4_000) : undefined),
      })),
    );
    const ids = await outboxIds(ds, schema);
    expect(ids).toHaveLength(7);

    const r = relay(ds, schema, b, { fallbackMs: NEVER, metrics });
    await r.start();
    await eventually(async () => (await readStream(nc, eventsStream(ns), created(ns))).length >= 6, 10_000);
    await eventually(async () => (await outboxIds(ds, schema)).length <= 1, 10_000);
    expect(await outboxIds(ds, schema)).toEqual([ids[3]]);
    const stored = await readStream<{ attempt: number }>(nc, eventsStream(ns), created(ns));
    expect(stored.map((e) => e.attempt)).toEqual([0, 1, 2, 4, 5, 6]);
    const failures = async () =>
      Number(/juggernaut_outbox_publish_failures_total\{[^}]*\} (\d+)/.exec(await metrics.render())?.[1] ?? 0);
    expect(await failures()).toBeGreaterThanOrEqual(1);
    const refusal = logs.lines.find((l) => l.includes('did not acknowledge outbox rows'));
    expect(refusal).toBeDefined();
    expect(JSON.parse(refusal!)).toMatchObject({ schema, refused: 1, ids: [ids[3]] });
    expect(refusal).toMatch(/size/i);

    // The next drain retries it: refused again while the limit stands, published once it is lifted.
    const before = await failures();
    r.kick();
    await eventually(async () => (await failures()) > before, 10_000);
    expect(await outboxIds(ds, schema)).toEqual([ids[3]]);
    await b.jsm.streams.update(eventsStream(ns), { ...info.config, max_msg_size: -1 });
    r.kick();
    await eventually(async () => (await outboxIds(ds, schema)).length === 0, 10_000);
    const all = await readStream<{ attempt: number }>(nc, eventsStream(ns), created(ns));
    expect(all.map((e) => e.attempt)).toEqual([0, 1, 2, 4, 5, 6, 3]);
  });

  it('a drain whose delete fails rolls its transaction back: the connection goes back to the pool usable, and the rows stay and go out once on the next drain', async () => {
    const schema = 'faildelete';
    // One pooled connection: whatever the failed drain left on it, the next query meets.
    const ds = await outboxSchema(schema, 1);
    const ns = testNamespace();
    cleanups.push(() => cleanupNamespace(ns));
    const b = await bus(ns);
    await b.ensureStreams();
    await ds.query(
      `CREATE FUNCTION ${schema}.refuse_delete() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'outbox delete refused'; END $$`,
    );
    await ds.query(
      `CREATE TRIGGER refuse BEFORE DELETE ON ${schema}.outbox FOR EACH ROW EXECUTE FUNCTION ${schema}.refuse_delete()`,
    );
    const taskId = randomUUID();
    await enqueueEvents(
      ds,
      schema,
      [0, 1, 2].map((i) => ({ subject: Subjects.taskCreated, payload: taskEvent(taskId, i) })),
    );

    const r = relay(ds, schema, b, { fallbackMs: NEVER });
    await r.start();
    await eventually(() => logs.lines.some((l) => l.includes('outbox delete refused')), 10_000);
    // Published, but not deleted: the rows are still there, and the connection is not stuck in the aborted transaction.
    await eventually(async () => (await readStream(nc, eventsStream(ns), created(ns))).length === 3, 10_000);
    expect(await ds.query(`SELECT count(*)::int AS n FROM ${schema}.outbox`)).toEqual([{ n: 3 }]);

    await ds.query(`DROP TRIGGER refuse ON ${schema}.outbox`);
    r.kick();
    await eventually(async () => (await outboxIds(ds, schema)).length === 0, 10_000);
    // Published a second time with the same message ids: the stream kept each event once.
    const stored = await readStream<{ attempt: number }>(nc, eventsStream(ns), created(ns));
    expect(stored.map((e) => e.attempt)).toEqual([0, 1, 2]);
  });

  it('NATS down: a drain neither waits for acknowledgements that cannot come nor holds its transaction open, and the events go out as soon as NATS is back', async () => {
    const schema = 'outage';
    const ds = await outboxSchema(schema);
    // A nats-server of its own, to stop and start again (never the shared one).
    const store = mkdtempSync(join(tmpdir(), 'jg-relay-nats-'));
    const nats = await NatsServerProcess.start(store);
    cleanups.push(async () => {
      await nats.stop();
      rmSync(store, { recursive: true, force: true });
    });
    const ns = testNamespace();
    const b = await Bus.connect({
      servers: nats.url,
      namespace: ns,
      service: 'outbox-test',
      logger,
      metrics: new Metrics('outbox-test'),
    });
    cleanups.push(() => b.close());
    await b.ensureStreams();
    const r = relay(ds, schema, b, { fallbackMs: 200 });
    await r.start();

    await nats.stop();
    const taskId = randomUUID();
    await enqueueEvents(
      ds,
      schema,
      Array.from({ length: 5 }, (_, i) => ({ subject: Subjects.taskCreated, payload: taskEvent(taskId, i) })),
    );
    // Published while the connection is down, a batch is lost when the client dials again (it
    // discards what it buffered meanwhile): refused at once rather than after the ack timeout.
    const t = performance.now();
    const [outcome] = await b.publishBatch(
      [{ subject: Subjects.taskCreated, data: JSON.stringify(taskEvent(taskId, 99)), msgId: randomUUID() }],
      5_000,
    );
    expect(performance.now() - t).toBeLessThan(1_000);
    expect(outcome!.status).toBe('rejected');
    // Meanwhile the relay drains every 200 ms, and none of its transactions (on the data source's
    // pool, shared with the service's requests) stays open waiting for NATS.
    let longest = 0;
    const until = performance.now() + 3_000;
    while (performance.now() < until) {
      const { rows } = await admin.query(
        `SELECT coalesce(max(extract(epoch FROM now() - xact_start)), 0)::float8 AS s FROM pg_stat_activity
         WHERE datname = $1 AND application_name = $2 AND xact_start IS NOT NULL`,
        [db.name, `juggernaut-relay-test-${schema}`],
      );
      longest = Math.max(longest, rows[0].s as number);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(longest).toBeLessThan(1.5);
    expect(await outboxIds(ds, schema)).toHaveLength(5);

    await nats.restart();
    const back = performance.now();
    await eventually(async () => (await outboxIds(ds, schema)).length === 0, 10_000, 50);
    expect(performance.now() - back).toBeLessThan(3_000);
    const reader = await connect({ servers: nats.url });
    try {
      const stored = await readStream<{ attempt: number }>(reader, eventsStream(ns), created(ns));
      expect(stored.map((e) => e.attempt)).toEqual([0, 1, 2, 3, 4]);
    } finally {
      await reader.close();
    }
  });

  it('two relays draining one schema deliver its events in outbox order', async () => {
    const schema = 'twin';
    const ds = await outboxSchema(schema);
    const ns = testNamespace();
    cleanups.push(() => cleanupNamespace(ns));
    const [b1, b2] = [await bus(ns), await bus(ns)];
    await b1.ensureStreams();

    // Five tasks whose events interleave; `attempt` carries the outbox order.
    const tasks = Array.from({ length: 5 }, () => randomUUID());
    const n = 10_000;
    for (let i = 0; i < n; i += 500) {
      await enqueueEvents(
        ds,
        schema,
        Array.from({ length: 500 }, (_, j) => ({
          subject: Subjects.taskCreated,
          payload: taskEvent(tasks[(i + j) % tasks.length]!, i + j),
        })),
      );
    }
    // Each replica has its own pool and NATS connection, as two processes would.
    const ds2 = await dataSource(schema);
    const r1 = relay(ds, schema, b1, { fallbackMs: 200, batchSize: 50 });
    const r2 = relay(ds2, schema, b2, { fallbackMs: 200, batchSize: 50 });
    await Promise.all([r1.start(), r2.start()]);
    await eventually(async () => (await outboxIds(ds, schema)).length === 0, 30_000);

    const stored = await readStream<{ taskId: string; attempt: number }>(nc, eventsStream(ns), created(ns));
    expect(stored).toHaveLength(n);
    expect(stored.map((e) => e.attempt)).toEqual(Array.from({ length: n }, (_, i) => i));
  });
});
