import { jetstream } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import {
  answer,
  apiClient,
  cleanupNamespace,
  connectTestNats,
  createTestDatabase,
  eventually,
  FakeOpenAI,
  freePort,
  ServiceProcess,
  type TestDatabase,
  TEST_NATS_URL,
  testNamespace,
  toolCall,
} from '@juggernaut/testing';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import type { ExperimentResultsV1 } from '@juggernaut/contracts';

/**
 * The Grafana dashboards against live data: the six built services run as processes, a real
 * Prometheus (Debian's package) scrapes them every second with the alert rules loaded, tasks flow
 * (successes, a dead task, a dead-lettered message, a 404, revenue and cost, an agent task whose model
 * (an OpenAI-compatible fake) calls a tool the worker's level may not use, an experiment with
 * traffic and an allocation), and then every query of every panel of
 * every dashboard in deploy/grafana/dashboards must return data. A panel whose metric no service
 * serves fails here, by dashboard and panel title.
 */
const root = join(__dirname, '..');
const ADMIN = 'dashboards-admin-key-0123456789abcdef';
const APPS = ['governance-api', 'task-dispatcher', 'revenue-ledger', 'experiment-tracker', 'dev-bot', 'agent-runner'];
const SCHEMA_OWNERS = APPS.filter((a) => a !== 'agent-runner');
const PROMETHEUS = process.env['PROMETHEUS_BIN'] ?? '/usr/bin/prometheus';
// Grafana's $__rate_interval: at a 1 s scrape interval, 30 s holds plenty of samples.
const RATE_INTERVAL = '30s';

interface Panel {
  title: string;
  targets?: Array<{ expr: string }>;
}
const dashboards = readdirSync(join(root, 'deploy', 'grafana', 'dashboards'))
  .filter((f) => f.endsWith('.json'))
  .map(
    (f) =>
      JSON.parse(readFileSync(join(root, 'deploy', 'grafana', 'dashboards', f), 'utf8')) as {
        title: string;
        panels: Panel[];
      },
  );
const queries = dashboards.flatMap((d) =>
  d.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ where: `${d.title} › ${p.title}`, expr: t.expr }))),
);

describe('Grafana dashboards on a real Prometheus scraping the running services', () => {
  let db: TestDatabase;
  let nc: NatsConnection;
  let dir: string;
  let prometheus: ChildProcess | undefined;
  let promUrl: string;
  let traffic: NodeJS.Timeout | undefined;
  let fake: FakeOpenAI | undefined;
  const namespace = testNamespace();
  const procs: ServiceProcess[] = [];

  const promQuery = async (expr: string) => {
    const res = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(expr)}`);
    const body = (await res.json()) as {
      status: string;
      error?: string;
      data?: { result: Array<{ metric: Record<string, string>; value: [number, string] }> };
    };
    if (body.status !== 'success') throw new Error(body.error);
    return body.data!.result;
  };

  beforeAll(async () => {
    db = await createTestDatabase('dashboards');
    const env = {
      DATABASE_URL: db.url,
      NATS_URL: TEST_NATS_URL,
      NATS_NAMESPACE: namespace,
      LOG_LEVEL: 'warn',
      DATABASE_POOL_SIZE: '3',
    };
    for (const app of SCHEMA_OWNERS) ServiceProcess.migrate(app, env);
    const extra: Record<string, Record<string, string>> = {
      'governance-api': { JUGGERNAUT_ADMIN_KEY: ADMIN },
      'task-dispatcher': { DISPATCH_RETRY_BASE_MS: '20', DISPATCH_TIMER_MAX_MS: '200' },
      'agent-runner': { HOSTNAME: 'dash-runner', RUNNER_POLL_INTERVAL_MS: '200', RUNNER_DRAIN_MS: '200' },
    };
    const services = APPS.filter((a) => a !== 'agent-runner');
    procs.push(...(await Promise.all(services.map((app) => ServiceProcess.start(app, { ...env, ...extra[app] })))));
    // The policy is in force before the runner starts: http_fetch needs level 5, the runner has 3.
    const policy = await apiClient(`http://127.0.0.1:${procs[0]!.port}`, ADMIN).put('/api/v1/policies', {
      budgets: { currency: 'USD', perTaskCapMinor: 1_000_000, globalDailyCapMinor: 100_000_000 },
      permissions: { taskTypes: {}, tools: { http_fetch: 5 } },
      approvals: { toolsRequiringApproval: [], ttlSeconds: 3600 },
    });
    if (policy.status !== 200) throw new Error(`policy: ${policy.status} ${JSON.stringify(policy.body)}`);
    fake = await FakeOpenAI.start();
    procs.push(
      await ServiceProcess.start('agent-runner', {
        ...env,
        ...extra['agent-runner'],
        RUNNER_LEVEL: '3',
        OPENAI_BASE_URL: fake.baseUrl,
        OPENAI_API_KEY: 'sk-dashboards-0123456789abcdef',
        JUGGERNAUT_MODEL: 'fake-model',
        AGENT_PRICES: JSON.stringify({ 'fake-model': { prompt: 100_000, completion: 200_000 } }),
      }),
    );

    dir = mkdtempSync(join(tmpdir(), 'jg-prometheus-'));
    const port = await freePort();
    promUrl = `http://127.0.0.1:${port}`;
    writeFileSync(
      join(dir, 'prometheus.yml'),
      stringify({
        global: { scrape_interval: '1s', evaluation_interval: '1s' },
        rule_files: [join(root, 'deploy', 'prometheus', 'alerts.rules.yml')],
        // Each service scraped twice, with the target labels of both setups the rules and panels must
        // work with: compose and npm start (job "juggernaut", the label service set by the scrape
        // configuration) and Kubernetes' PodMonitor (job <namespace>/<PodMonitor>, namespace, pod,
        // container, endpoint, and service from the pod label app.kubernetes.io/name).
        scrape_configs: [
          {
            job_name: 'juggernaut',
            honor_labels: true,
            // health and metrics have their own port (METRICS_PORT), apart from the API's
            static_configs: procs.map((p) => ({ targets: [`127.0.0.1:${p.metricsPort}`], labels: { service: p.app } })),
          },
          {
            job_name: 'juggernaut/juggernaut',
            honor_labels: true,
            static_configs: procs.map((p, i) => ({
              targets: [`127.0.0.1:${p.metricsPort}`],
              labels: {
                service: p.app,
                namespace: 'juggernaut',
                pod: `${p.app}-5d8f7c9b6-${i}x2q`,
                container: 'app',
                endpoint: 'metrics',
              },
            })),
          },
        ],
      }),
    );
    prometheus = spawn(
      PROMETHEUS,
      [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--log.level=warn',
      ],
      { stdio: 'ignore' },
    );
    await eventually(async () => (await fetch(`${promUrl}/-/ready`)).ok, 20_000, 200);
  });

  afterAll(async () => {
    clearInterval(traffic);
    prometheus?.kill('SIGTERM');
    await Promise.all(procs.map((p) => p.kill('SIGTERM')));
    await fake?.close();
    await nc?.close();
    await cleanupNamespace(namespace).catch(() => undefined);
    await db?.drop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('scrapes every service', async () => {
    await eventually(
      async () => {
        const res = (await (await fetch(`${promUrl}/api/v1/targets`)).json()) as {
          data: { activeTargets: Array<{ health: string }> };
        };
        return (
          res.data.activeTargets.length === 2 * APPS.length && res.data.activeTargets.every((t) => t.health === 'up')
        );
      },
      20_000,
      250,
    );
  });

  it("selects every service's target under both label sets, as the Up panel and JuggernautServiceDown do", async () => {
    const serviceDown = (
      parse(readFileSync(join(root, 'deploy', 'prometheus', 'alerts.rules.yml'), 'utf8')) as {
        groups: Array<{ rules: Array<{ alert: string; expr: string }> }>;
      }
    ).groups
      .flatMap((g) => g.rules)
      .find((r) => r.alert === 'JuggernautServiceDown')!.expr;
    const selector = /^(up\{[^}]*\})/.exec(serviceDown)![1]!;
    const up = queries.find((q) => q.expr.startsWith('up{'))!.expr;
    expect(up).toBe(selector);
    const found = await eventually(
      async () => {
        const result = await promQuery(selector);
        return result.length === 2 * APPS.length ? result : undefined;
      },
      20_000,
      250,
    );
    const seen = found.map((r) => `${r.metric['job']} ${r.metric['service']}`).sort();
    expect(seen).toEqual(APPS.flatMap((a) => [`juggernaut ${a}`, `juggernaut/juggernaut ${a}`]).sort());
  });

  it('every panel query of every dashboard returns data while tasks flow', async () => {
    const api = apiClient(`http://127.0.0.1:${procs[0]!.port}`, ADMIN);
    const submit = async (body: Record<string, unknown>) => {
      const r = await api.post('/api/v1/tasks', body);
      if (r.status !== 201) throw new Error(`submit: ${r.status} ${JSON.stringify(r.body)}`);
      return r.body.id as string;
    };
    // Successes, one task that fails its only attempt (dead), a message that fails validation
    // (dead-lettered), a request for a route that does not exist.
    const ids = await Promise.all(Array.from({ length: 20 }, () => submit({ type: 'noop', payload: { sleepMs: 20 } })));
    const dead = await submit({ type: 'noop', payload: { fail: true }, maxAttempts: 1 });
    nc = await connectTestNats();
    const js = jetstream(nc);
    await js.publish(`${namespace}.juggernaut.log.append.v1`, JSON.stringify({ nonsense: true }));
    // Revenue and spend reach the ledger as other systems and runners send them.
    const now = new Date().toISOString();
    for (const [i, source] of ['stripe', 'gumroad'].entries()) {
      await js.publish(
        `${namespace}.juggernaut.revenue.recorded.v1`,
        JSON.stringify({
          eventId: `rev-${i}`,
          amountMinor: 125_000 * (i + 1),
          currency: 'USD',
          source,
          occurredAt: now,
        }),
      );
    }
    await js.publish(
      `${namespace}.juggernaut.cost.recorded.v1`,
      JSON.stringify({
        eventId: 'cost-1',
        amountMinor: 4_200,
        currency: 'USD',
        category: 'llm:small',
        source: 'agent-runner',
        occurredAt: now,
      }),
    );
    expect((await api.get('/api/v1/no-such-route')).status).toBe(404);
    // An agent task: the model asks for a tool above the worker's level (denied), then answers.
    fake!.script([
      toolCall('http_fetch', { url: 'http://127.0.0.1:9/' }, { prompt_tokens: 120, completion_tokens: 30 }),
      answer('done', { prompt_tokens: 150, completion_tokens: 10 }),
    ]);
    const agentTask = await submit({
      type: 'agent.goal',
      payload: { goal: 'Summarise the day' },
      budgetMinor: 100_000,
    });
    // An experiment with traffic, and a budget allocation across the running ones.
    const experiment = await api.post('/api/v1/experiments', {
      name: 'Dashboards check',
      hypothesis: 'A shorter form converts more.',
      primaryMetric: 'conversion',
      budgetMinor: 50_000,
      variants: [
        { key: 'control', weight: 50, control: true },
        { key: 'short', weight: 50 },
      ],
    });
    expect(experiment.status).toBe(201);
    expect((await api.post(`/api/v1/experiments/${experiment.body.id}/start`)).status).toBe(200);
    for (let i = 0; i < 10; i++) {
      const unit = {
        experimentId: experiment.body.id,
        variantKey: i % 2 ? 'short' : 'control',
        unitId: `u${i}`,
        occurredAt: now,
      };
      await js.publish(`${namespace}.juggernaut.experiment.exposure.v1`, JSON.stringify(unit));
      if (i % 3 === 0) await js.publish(`${namespace}.juggernaut.experiment.conversion.v1`, JSON.stringify(unit));
    }
    await eventually(
      async () =>
        (await api.get<ExperimentResultsV1>(`/api/v1/experiments/${experiment.body.id}/results`)).body.variants?.reduce(
          (n, v) => n + v.units,
          0,
        ) === 10,
      20_000,
      200,
    );
    expect((await api.post('/api/v1/experiments/allocation')).status).toBe(200);
    const agentDone = await eventually(
      async () => {
        const t = (await api.get(`/api/v1/tasks/${agentTask}`)).body;
        return ['succeeded', 'dead'].includes(t.status) ? t : undefined;
      },
      20_000,
      200,
    );
    expect(agentDone).toMatchObject({ status: 'succeeded', result: { stopReason: 'completed' } });
    await eventually(async () => (await api.get(`/api/v1/tasks/${dead}`)).body.status === 'dead', 20_000, 200);
    await eventually(
      async () => {
        const states = await Promise.all(ids.map(async (id) => (await api.get(`/api/v1/tasks/${id}`)).body.status));
        return states.every((s) => s === 'succeeded');
      },
      20_000,
      200,
    );
    // Keep work flowing while the panels are queried, as on a live system: noops, and an agent task
    // a second whose model (any further request) answers at once. The noops run half a second, so a
    // scrape finds work running (a waiting runner takes a task at once: short ones are gone between
    // two scrapes, and the due-or-running gauge has nothing to show).
    fake!.fallback(() => answer('ok', { prompt_tokens: 40, completion_tokens: 4 }));
    let tick = 0;
    traffic = setInterval(() => {
      const task =
        tick++ % 4 === 0
          ? { type: 'agent.goal', payload: { goal: 'Keep going' }, budgetMinor: 10_000 }
          : { type: 'noop', payload: { sleepMs: 500 } };
      void submit(task).catch(() => undefined);
    }, 250);

    expect(queries.length).toBeGreaterThan(20);
    const deadline = Date.now() + 40_000;
    const empty: string[] = [];
    for (const q of queries) {
      const expr = q.expr.replaceAll('$__rate_interval', RATE_INTERVAL);
      let ok = false;
      let last = 'no data';
      while (!ok) {
        try {
          const result = await promQuery(expr);
          ok = result.some((r) => Number.isFinite(Number(r.value[1])));
          if (!ok) last = result.length ? 'only NaN or infinite values' : 'no data';
        } catch (e) {
          last = `query failed: ${(e as Error).message}`;
        }
        if (ok || Date.now() > deadline) break;
        await new Promise((r) => setTimeout(r, 500));
      }
      if (!ok) empty.push(`${q.where}: ${last} for ${q.expr}`);
    }
    expect(empty).toEqual([]);
  }, 120_000);

  it('loads the alert rules and evaluates each of them without error', async () => {
    const rules = await eventually(
      async () => {
        const res = (await (await fetch(`${promUrl}/api/v1/rules`)).json()) as {
          data: { groups: Array<{ rules: Array<{ name: string; health: string; lastError?: string }> }> };
        };
        const all = res.data.groups.flatMap((g) => g.rules);
        return all.length > 0 && all.every((r) => r.health !== 'unknown') ? all : undefined;
      },
      20_000,
      250,
    );
    expect(rules.filter((r) => r.health !== 'ok').map((r) => `${r.name}: ${r.lastError}`)).toEqual([]);
    expect(rules.map((r) => r.name)).toEqual(
      expect.arrayContaining(['JuggernautQueueStuck', 'JuggernautNoWorkers', 'JuggernautServiceDown']),
    );
  });
});
