import { AckPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import { inboxPrefixOf } from '@juggernaut/messaging';
import {
  apiClient,
  createTestDatabase,
  eventually,
  NatsServerProcess,
  ServiceProcess,
  type TestDatabase,
  testNamespace,
} from '@juggernaut/testing';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * deploy/nats/nats-server.conf, as checked in, on a real nats-server: the services boot with their
 * own users and work end to end, and the server refuses everything the file does not allow.
 * tools/deploy/nats-permissions.spec.ts checks the file against the contracts and the code.
 */
const CONFIG = join(__dirname, '..', 'deploy', 'nats', 'nats-server.conf');
const ADMIN = 'nats-auth-admin-key-0123456789abcdef';
const SERVICES = [
  'governance-api',
  'revenue-ledger',
  'task-dispatcher',
  'experiment-tracker',
  'dev-bot',
  'agent-runner',
] as const;
const USERS = [...SERVICES, 'external', 'operator'] as const;
type User = (typeof USERS)[number];
const passwordVar = (user: User) => `NATS_PASS_${user.toUpperCase().replace(/-/g, '_')}`;

/** What the config's header tells a deployment with NATS_NAMESPACE to do: its own sed line, run as written; plus a store dir. */
function render(file: string, namespace: string, storeDir: string): string {
  const line = /^#\s+sed -E '([^']+)' nats-server\.conf > nats-server\.<ns>\.conf$/m.exec(readFileSync(file, 'utf8'));
  if (!line) throw new Error('the header of nats-server.conf no longer says how to render it for a namespace');
  const rendered = execFileSync('sed', ['-E', line[1]!.replaceAll('<ns>', namespace), file], { encoding: 'utf8' });
  return rendered.replace('store_dir: "/data/jetstream"', `store_dir: ${JSON.stringify(storeDir)}`);
}

describe('NATS users and permissions (deploy/nats/nats-server.conf)', () => {
  const ns = testNamespace();
  const passwords = Object.fromEntries(USERS.map((u) => [u, `p${randomBytes(12).toString('hex')}`])) as Record<
    User,
    string
  >;
  const procs: Partial<Record<(typeof SERVICES)[number], ServiceProcess>> = {};
  const conns: NatsConnection[] = [];
  let dir: string;
  let nats: NatsServerProcess;
  let db: TestDatabase;
  let api: ReturnType<typeof apiClient>;
  const subject = (s: string) => `${ns}.${s}`;
  const as = async (user: User, opts: { pass?: string; inboxPrefix?: string } = {}): Promise<NatsConnection> => {
    const nc = await connect({
      servers: nats.url,
      user,
      pass: opts.pass ?? passwords[user],
      inboxPrefix: opts.inboxPrefix ?? inboxPrefixOf(user),
      maxReconnectAttempts: 0,
    });
    conns.push(nc);
    return nc;
  };
  const violations = () => nats.output.filter((l) => /Permissions Violation|Violation -/i.test(l));
  /** Resolves with the next permission violation the server reports to this connection. */
  const nextViolation = async (nc: NatsConnection): Promise<Error> => {
    for await (const s of nc.status()) {
      if (s.type === 'error' && (s as { error?: Error }).error?.name === 'PermissionViolationError')
        return (s as { error: Error }).error;
    }
    throw new Error('connection closed without a violation');
  };

  /** Why the server closed a subscription, or 'still open' when it accepted it. */
  const closedWith = async (sub: Subscription): Promise<string> => {
    let timer: NodeJS.Timeout | undefined;
    const open = new Promise<string>((r) => (timer = setTimeout(() => r('still open'), 2_000)));
    try {
      return String(await Promise.race([sub.closed.then((e) => e ?? 'closed'), open]));
    } finally {
      clearTimeout(timer);
    }
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'jg-nats-auth-'));
    const file = join(dir, 'nats-server.conf');
    writeFileSync(file, render(CONFIG, ns, join(dir, 'js')));
    nats = await NatsServerProcess.start(join(dir, 'js'), {
      configFile: file,
      env: Object.fromEntries(USERS.map((u) => [passwordVar(u), passwords[u]])),
    });
    db = await createTestDatabase('natsauth');
    for (const app of ['governance-api', 'revenue-ledger', 'task-dispatcher', 'experiment-tracker', 'dev-bot'])
      ServiceProcess.migrate(app, { DATABASE_URL: db.url });
    const env = (app: (typeof SERVICES)[number]) => ({
      DATABASE_URL: db.url,
      NATS_URL: nats.url,
      NATS_NAMESPACE: ns,
      NATS_USER: app,
      NATS_PASS: passwords[app],
      LOG_LEVEL: 'warn',
      DATABASE_POOL_SIZE: '3',
    });
    procs['governance-api'] = await ServiceProcess.start('governance-api', {
      ...env('governance-api'),
      JUGGERNAUT_ADMIN_KEY: ADMIN,
    });
    await Promise.all(
      (['revenue-ledger', 'task-dispatcher', 'experiment-tracker', 'dev-bot'] as const).map(
        async (app) => (procs[app] = await ServiceProcess.start(app, env(app))),
      ),
    );
    procs['agent-runner'] = await ServiceProcess.start('agent-runner', {
      ...env('agent-runner'),
      RUNNER_POLL_INTERVAL_MS: '300',
      RUNNER_DRAIN_MS: '500',
    });
    api = apiClient(`http://127.0.0.1:${procs['governance-api'].port}`, ADMIN);
  }, 180_000);

  afterAll(async () => {
    for (const nc of conns) await nc.close().catch(() => undefined);
    await Promise.all(Object.values(procs).map((p) => p.kill('SIGTERM')));
    await nats?.stop();
    await db?.drop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('boots every service with its own user and carries the flows end to end without a single violation', async () => {
    for (const p of Object.values(procs))
      expect((await fetch(`http://127.0.0.1:${p.metricsPort}/health/ready`)).status).toBe(200);

    // Another system publishes revenue as the external user; the ledger posts it; REST shows it.
    const external = await as('external');
    const ack = await jetstream(external).publish(
      subject('juggernaut.revenue.recorded.v1'),
      JSON.stringify({
        eventId: 'nats-auth-sale-1',
        amountMinor: 4_200,
        currency: 'USD',
        source: 'shop',
        occurredAt: '2026-11-25T10:00:00Z',
      }),
      { msgID: 'nats-auth-sale-1' },
    );
    expect(ack.duplicate).toBe(false);
    const page = await eventually(async () => {
      const r = await api.get('/api/v1/ledger/transactions?eventId=nats-auth-sale-1');
      return r.body.items?.length ? r.body : undefined;
    }, 20_000);
    expect(page.items).toEqual([expect.objectContaining({ kind: 'revenue', source: 'shop' })]);
    // The ledger acknowledged the message (the acknowledgement is a reply the server must let through).
    const jsm = await jetstreamManager(await as('revenue-ledger'));
    const consumer = await eventually(async () => {
      const info = await jsm.consumers.info(`${ns}_JUGGERNAUT_INBOUND`, `${ns}_revenue-ledger-revenue`);
      return info.num_ack_pending === 0 && info.delivered.consumer_seq >= 1 ? info : undefined;
    });
    expect(consumer.num_redelivered).toBe(0);

    // A task goes REST → dispatcher → runner → succeeded, which needs every service-to-service reply.
    const task = await api.post('/api/v1/tasks', { type: 'noop', payload: { sleepMs: 10 } });
    expect(task.status).toBe(201);
    await eventually(async () => (await api.get(`/api/v1/tasks/${task.body.id}`)).body.status === 'succeeded', 20_000);
    const workers = await api.get('/api/v1/workers');
    expect(workers.body.items?.length ?? workers.body.length).toBeGreaterThan(0);
    expect((await api.get('/api/v1/experiments')).status).toBe(200);
    expect((await api.get('/api/v1/repositories')).status).toBe(200);
    expect((await api.get('/api/v1/policies')).status).toBe(200);

    expect(violations()).toEqual([]);
  });

  it('refuses a wrong password and a missing user', async () => {
    await expect(as('governance-api', { pass: 'not-the-password' })).rejects.toThrow(/Authorization Violation/i);
    await expect(connect({ servers: nats.url, maxReconnectAttempts: 0 })).rejects.toThrow(/Authorization Violation/i);
    await expect(as('external', { pass: passwords['governance-api'] })).rejects.toThrow(/Authorization Violation/i);
    // the same call with the right password succeeds, so the refusals are about the credentials
    await expect(as('governance-api')).resolves.toBeDefined();
  });

  it('lets the external user publish inbound events but not subscribe to, or request, governance subjects', async () => {
    const external = await as('external');
    const sub = external.subscribe(subject('juggernaut.approval.request.v1'));
    expect(await closedWith(sub)).toMatch(/Permissions Violation for Subscription/i);
    const snoop = external.subscribe('_INBOX.>');
    expect(await closedWith(snoop)).toMatch(/Permissions Violation for Subscription/i);
    await expect(external.request(subject('juggernaut.policy.get.v1'), '{}', { timeout: 2_000 })).rejects.toThrow(
      /Permissions Violation for Publish/i,
    );
    await expect(
      external.request(subject('juggernaut.task.submit.v1'), JSON.stringify({ type: 'noop' }), { timeout: 2_000 }),
    ).rejects.toThrow(/Permissions Violation for Publish/i);
    // a runner's user may ask the same question and is answered: the refusal above is the external user's
    const runner = await as('agent-runner');
    const reply = (await runner.request(subject('juggernaut.policy.get.v1'), '{}', { timeout: 5_000 })).json<{
      ok: boolean;
    }>();
    expect(reply.ok).toBe(true);
    // without its private inbox prefix the external user cannot even receive replies
    const plain = await as('external', { inboxPrefix: '_INBOX' });
    await expect(
      jetstream(plain).publish(subject('juggernaut.revenue.recorded.v1'), '{}', { timeout: 2_000 }),
    ).rejects.toThrow(/Permissions Violation/i);
  });

  it("stops a service user publishing another service's events, answering for another service or deleting streams", async () => {
    const ledger = await as('revenue-ledger');
    const refused = nextViolation(ledger);
    ledger.publish(subject('juggernaut.task.succeeded.v1'), JSON.stringify({ id: 'forged' }));
    expect(String(await refused)).toMatch(/Publish to "[^"]*juggernaut\.task\.succeeded\.v1"/);
    await expect(
      jetstream(ledger).publish(subject('juggernaut.policy.changed.v1'), '{}', { timeout: 2_000 }),
    ).rejects.toThrow(/Permissions Violation for Publish/i);
    const impostor = ledger.subscribe(subject('juggernaut.task.claim.v1'), { queue: 'task-dispatcher' });
    expect(await closedWith(impostor)).toMatch(/Permissions Violation for Subscription/i);
    const peek = ledger.subscribe(`${inboxPrefixOf('governance-api')}.>`);
    expect(await closedWith(peek)).toMatch(/Permissions Violation for Subscription/i);

    const runner = await as('agent-runner');
    await expect(
      runner.request(subject('juggernaut.ledger.transaction.post.v1'), '{}', { timeout: 2_000 }),
    ).rejects.toThrow(/Permissions Violation for Publish/i);
    const gov = await as('governance-api');
    await expect(jetstreamManager(gov).then((m) => m.streams.delete(`${ns}_JUGGERNAUT_INBOUND`))).rejects.toThrow(
      /Permissions Violation/i,
    );
    // the stream is still there and the ledger's own event subject is still publishable by the ledger
    expect((await (await jetstreamManager(ledger)).streams.info(`${ns}_JUGGERNAUT_INBOUND`)).config.name).toBe(
      `${ns}_JUGGERNAUT_INBOUND`,
    );
    expect(violations().some((l) => l.includes('"revenue-ledger"') || l.includes('revenue-ledger'))).toBe(true);
  });

  it("keeps each user to its own part of JetStream: no purging or changing streams, no pulling from another service's consumer", async () => {
    const inbound = `${ns}_JUGGERNAUT_INBOUND`;
    const events = `${ns}_JUGGERNAUT_EVENTS`;
    const ledgerDurable = `${ns}_revenue-ledger-revenue`;
    const refused = /Permissions Violation/i;
    // A runner (every agent-runner replica has this user, dev-bot another) may not purge or update a stream ...
    const runner = await jetstreamManager(await as('agent-runner'), { checkAPI: false });
    await expect(runner.streams.purge(inbound)).rejects.toThrow(refused);
    const config = (await (await jetstreamManager(await as('revenue-ledger'))).streams.info(inbound)).config;
    await expect(runner.streams.update(inbound, { ...config, max_msgs: 1 })).rejects.toThrow(refused);
    await expect(
      runner.streams.add({ name: `${ns}_RUNNER_OWN`, subjects: [`${ns}.juggernaut.task.submit.v1`] }),
    ).rejects.toThrow(refused);
    // ... nor create a consumer, nor look up or pull from the ledger's
    await expect(
      runner.consumers.add(inbound, {
        durable_name: `${ns}_runner-peek`,
        ack_policy: AckPolicy.Explicit,
        filter_subject: `${ns}.juggernaut.revenue.recorded.v1`,
      }),
    ).rejects.toThrow(refused);
    await expect(runner.consumers.info(inbound, ledgerDurable)).rejects.toThrow(refused);
    const runnerNc = await as('agent-runner');
    await expect(
      runnerNc.request(
        `$JS.API.CONSUMER.MSG.NEXT.${inbound}.${ledgerDurable}`,
        JSON.stringify({ batch: 1, no_wait: true }),
        { timeout: 2_000 },
      ),
    ).rejects.toThrow(/Permissions Violation for Publish/i);
    // dev-bot, a different user, cannot pull from the ledger's consumer either, nor change a stream
    const devbot = await as('dev-bot');
    await expect(
      devbot.request(
        `$JS.API.CONSUMER.MSG.NEXT.${inbound}.${ledgerDurable}`,
        JSON.stringify({ batch: 1, no_wait: true }),
        { timeout: 2_000 },
      ),
    ).rejects.toThrow(/Permissions Violation for Publish/i);
    await expect(
      (await jetstreamManager(devbot)).streams.update(events, {
        ...(await (await jetstreamManager(devbot)).streams.info(events)).config,
        max_age: 1_000_000_000,
      }),
    ).rejects.toThrow(refused);
    // the ledger may create and pull from its own consumers only: not the experiment tracker's, not a new name
    const ledger = await as('revenue-ledger');
    await expect(
      ledger.request(
        `$JS.API.CONSUMER.MSG.NEXT.${inbound}.${ns}_experiment-tracker-exposures`,
        JSON.stringify({ batch: 1, no_wait: true }),
        { timeout: 2_000 },
      ),
    ).rejects.toThrow(/Permissions Violation for Publish/i);
    await expect(
      (await jetstreamManager(ledger)).consumers.add(inbound, {
        durable_name: `${ns}_ledger-extra`,
        ack_policy: AckPolicy.Explicit,
        filter_subject: `${ns}.juggernaut.cost.recorded.v1`,
      }),
    ).rejects.toThrow(refused);
    // not even the stream administrator may purge or delete
    const gov = await jetstreamManager(await as('governance-api'));
    await expect(gov.streams.purge(inbound)).rejects.toThrow(refused);
    // the ledger's own consumer still works for it, and every event is still there
    expect((await (await jetstreamManager(ledger)).consumers.info(inbound, ledgerDurable)).name).toBe(ledgerDurable);
    const info = await (await jetstreamManager(ledger)).streams.info(inbound);
    expect(info.config.max_msgs).toBe(config.max_msgs);
    expect(info.state.messages).toBeGreaterThanOrEqual(1);
    expect(violations().some((l) => l.includes('agent-runner') && l.includes('PURGE'))).toBe(true);
  });
});
