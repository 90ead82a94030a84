import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import {
  APPS,
  type K8sObject,
  kustomize,
  parseManifests,
  renderKustomization,
  root,
  SCHEMA_OWNERS,
  validateObject,
  validateObjects,
} from './kubernetes';

/**
 * The Kubernetes manifests: every overlay renders with kustomize (prod also with its optional
 * components switched on, as docs/operations.md has operators do), every object, custom resources included,
 * is valid against the schema of its kind with no field the schema does not declare, and the rendered
 * objects keep the promises docs/operations.md makes.
 */
const PROD_WITH_EVERY_COMPONENT = 'k8s/overlays/prod with nats-cluster and postgres-cnpg';
const OVERLAYS = ['k8s/overlays/dev', 'k8s/overlays/prod', PROD_WITH_EVERY_COMPONENT];
const OPTIONAL_COMPONENTS = ['nats-cluster', 'postgres-cnpg'];

/** Renders an overlay of a copy of k8s/ that `edit` changed first (what an operator's edit would render). */
function renderEdited(overlay: string, edit: (k8s: string) => void): K8sObject[] {
  const dir = mkdtempSync(join(tmpdir(), 'jg-k8s-'));
  try {
    cpSync(join(root, 'k8s'), join(dir, 'k8s'), { recursive: true });
    edit(join(dir, 'k8s'));
    return parseManifests(renderKustomization(join(dir, 'k8s', overlay)), overlay);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
/** The deployment guide's step (docs/operations.md): uncomment the optional components' lines in the prod overlay. */
const enableOptionalComponents = (k8s: string) => {
  const file = join(k8s, 'overlays', 'prod', 'kustomization.yaml');
  let text = readFileSync(file, 'utf8');
  for (const c of OPTIONAL_COMPONENTS) {
    const line = `  # - ../../components/${c}`;
    if (!text.includes(line))
      throw new Error(
        `k8s/overlays/prod/kustomization.yaml has no line "${line}" for docs/operations.md to have uncommented`,
      );
    text = text.replace(line, `  - ../../components/${c}`);
  }
  writeFileSync(file, text);
};
const setRelease = (release: string) => (k8s: string) => {
  const file = join(k8s, 'overlays', 'prod', 'release.yaml');
  writeFileSync(file, readFileSync(file, 'utf8').replace(/release: .*/, `release: "${release}"`));
};
const rendered = new Map<string, K8sObject[]>();
function render(overlay: string): K8sObject[] {
  if (!rendered.has(overlay))
    rendered.set(
      overlay,
      overlay === PROD_WITH_EVERY_COMPONENT
        ? renderEdited('overlays/prod', enableOptionalComponents)
        : kustomize(overlay),
    );
  return rendered.get(overlay)!;
}

type Container = {
  name: string;
  image: string;
  args?: string[];
  env?: Array<{
    name: string;
    value?: string;
    valueFrom?: { secretKeyRef?: { name: string; key: string; optional?: boolean } };
  }>;
  envFrom?: Array<{ configMapRef?: { name: string }; secretRef?: { name: string } }>;
  securityContext?: Record<string, unknown>;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  livenessProbe?: { httpGet?: { path: string; port: string | number } };
  readinessProbe?: { httpGet?: { path: string; port: string | number } };
  startupProbe?: { httpGet?: { path: string; port: string | number } };
  ports?: Array<{ name?: string; containerPort: number }>;
  lifecycle?: { preStop?: { exec?: { command: string[] } } };
};
type PodSpec = {
  containers: Container[];
  initContainers?: Container[];
  terminationGracePeriodSeconds?: number;
  securityContext?: Record<string, unknown>;
  volumes?: Array<{ name: string; configMap?: { name: string } }>;
};
const podOf = (o: K8sObject) => (o as unknown as { spec: { template: { spec: PodSpec } } }).spec.template.spec;
const templateLabelsOf = (o: K8sObject) =>
  (o as unknown as { spec: { template: { metadata: { labels?: Record<string, string> } } } }).spec.template.metadata
    .labels ?? {};
const annotationsOf = (o: K8sObject) =>
  (o as unknown as { spec: { template: { metadata: { annotations?: Record<string, string> } } } }).spec.template
    .metadata.annotations ?? {};
const specOf = <T = Record<string, unknown>>(o: K8sObject | undefined) => (o as unknown as { spec: T }).spec;
/** The fields of KEDA's ScaledObject these tests read. */
type ScaledObjectSpec = {
  scaleTargetRef: { name: string };
  triggers: unknown[];
  minReplicaCount: number;
  maxReplicaCount: number;
  cooldownPeriod: number;
  advanced: { horizontalPodAutoscalerConfig: { behavior: { scaleDown: { stabilizationWindowSeconds: number } } } };
  fallback: { replicas: number };
};
const find = (objs: K8sObject[], kind: string, name: string) =>
  objs.find((o) => o.kind === kind && o.metadata.name === name);
const envOf = (c: Container, name: string) => c.env?.find((e) => e.name === name);
const releaseOf = (objs: K8sObject[]) =>
  (find(objs, 'ConfigMap', 'juggernaut-release') as unknown as { data: { release: string } }).data.release;
const migrationJob = (objs: K8sObject[], app: string) => find(objs, 'Job', `${app}-migrate-${releaseOf(objs)}`);
const natsUsers = [
  ...readFileSync(join(root, 'deploy', 'nats', 'nats-server.conf'), 'utf8').matchAll(/^\s*user: "([^"]+)"/gm),
].map((m) => m[1]);

describe.each(OVERLAYS)('%s', (overlay) => {
  let objects: K8sObject[];
  beforeAll(() => {
    objects = render(overlay);
  });

  it('renders, and every object validates strictly against the schema of its kind (custom resources included)', () => {
    expect(objects.length).toBeGreaterThan(20);
    expect(validateObjects(objects)).toEqual([]);
  });

  it('has a Deployment and a Service for every app, and a migration Job named after the release for every app that owns a schema', () => {
    for (const app of APPS) {
      expect(find(objects, 'Deployment', app)).toBeDefined();
      expect(find(objects, 'Service', app)).toBeDefined();
    }
    const release = releaseOf(objects);
    const jobs = objects
      .filter((o) => o.kind === 'Job')
      .map((o) => o.metadata.name)
      .sort();
    expect(jobs).toEqual(SCHEMA_OWNERS.map((a) => `${a}-migrate-${release}`).sort());
    for (const app of SCHEMA_OWNERS) {
      const job = podOf(migrationJob(objects, app)!);
      expect(job.containers[0]).toMatchObject({ args: ['migrate'] });
      expect(job.containers[0]!.image).toMatch(new RegExp(`/${app}:${release.replace(/\./g, '\\.')}$`));
      expect(envOf(job.containers[0]!, 'DATABASE_URL')?.valueFrom?.secretKeyRef).toMatchObject({
        name: expect.stringMatching(`^juggernaut-db-${app}`),
        key: 'DATABASE_URL',
      });
      // migrations run as the schema's owner through the administrator's connection: it is required,
      // since the runtime role the service's own DATABASE_URL names may not run DDL
      const admin = envOf(job.containers[0]!, 'DATABASE_ADMIN_URL')?.valueFrom?.secretKeyRef;
      expect(admin).toMatchObject({ name: expect.stringMatching(/^juggernaut-db-admin/), key: 'DATABASE_ADMIN_URL' });
      expect(admin?.optional).not.toBe(true);
    }
  });

  it('gives every Job a deadline, and runs every Juggernaut container of the release', () => {
    const release = releaseOf(objects);
    for (const job of objects.filter((o) => o.kind === 'Job')) {
      expect(specOf<{ activeDeadlineSeconds?: number }>(job).activeDeadlineSeconds).toBeGreaterThan(0);
      expect(specOf<{ activeDeadlineSeconds?: number }>(job).activeDeadlineSeconds).toBeLessThanOrEqual(3600);
      expect(job.metadata.labels?.['app.kubernetes.io/version']).toBe(release);
    }
    for (const d of objects.filter((o) => o.kind === 'Deployment')) {
      for (const c of [...podOf(d).containers, ...(podOf(d).initContainers ?? [])])
        expect([d.metadata.name, c.image.split(':').at(-1)]).toEqual([d.metadata.name, release]);
      expect(templateLabelsOf(d)['app.kubernetes.io/version']).toBe(release);
    }
  });

  it("gives each migration Job and its Deployment the same runtime role's URL, and only the Job the administrator's", () => {
    for (const app of SCHEMA_OWNERS) {
      const job = podOf(migrationJob(objects, app)!).containers[0]!;
      const deployment = podOf(find(objects, 'Deployment', app)!).containers.find((c) => c.name === 'app')!;
      expect(envOf(job, 'DATABASE_URL')?.valueFrom?.secretKeyRef).toEqual(
        envOf(deployment, 'DATABASE_URL')?.valueFrom?.secretKeyRef,
      );
    }
    const secrets = objects.filter((o) => o.kind === 'Secret') as unknown as Array<{
      metadata: { name: string };
      data?: Record<string, string>;
    }>;
    if (secrets.length === 0) return; // prod: the Secrets are created by hand (README)
    const value = (prefix: string, key: string) => {
      const s = secrets.find((x) => x.metadata.name.startsWith(prefix));
      return Buffer.from(s!.data![key]!, 'base64').toString('utf8');
    };
    const userOf = (url: string) => decodeURIComponent(new URL(url).username);
    const admin = userOf(value('juggernaut-db-admin', 'DATABASE_ADMIN_URL'));
    const runtimes = SCHEMA_OWNERS.map((app) => userOf(value(`juggernaut-db-${app}-`, 'DATABASE_URL')));
    expect(new Set(runtimes).size).toBe(SCHEMA_OWNERS.length);
    expect(runtimes).not.toContain(admin);
    // the owner role (`<runtime>_owner`) cannot log in, so no Secret holds its credentials
    expect(runtimes.filter((r) => r.endsWith('_owner'))).toEqual([]);
  });

  it('runs every container non-root on a read-only root filesystem, with probes, resources and URLs from Secrets', () => {
    for (const d of objects.filter((o) => o.kind === 'Deployment' && APPS.includes(o.metadata.name))) {
      const pod = podOf(d);
      expect(pod.securityContext).toMatchObject({ runAsNonRoot: true });
      for (const c of [...pod.containers, ...(pod.initContainers ?? [])]) {
        expect(c.securityContext).toMatchObject({
          runAsNonRoot: true,
          readOnlyRootFilesystem: true,
          allowPrivilegeEscalation: false,
          capabilities: { drop: ['ALL'] },
        });
        expect(c.resources?.requests).toBeDefined();
        expect(c.resources?.limits).toBeDefined();
      }
      const app = pod.containers.find((c) => c.name === 'app')!;
      expect(app.livenessProbe?.httpGet).toEqual({ path: '/health/live', port: 'metrics' });
      expect(app.readinessProbe?.httpGet).toEqual({ path: '/health/ready', port: 'metrics' });
      expect(app.startupProbe?.httpGet).toEqual({ path: '/health/live', port: 'metrics' });
      expect(envOf(app, 'NATS_URL')?.valueFrom?.secretKeyRef?.key).toBe('NATS_URL');
      // its own NATS user (a user of that name in deploy/nats/nats-server.conf), from its own Secret: required, so
      // no service starts without NATS authentication
      for (const key of ['NATS_USER', 'NATS_PASS']) {
        expect(envOf(app, key)?.valueFrom?.secretKeyRef).toMatchObject({
          name: expect.stringMatching(`^juggernaut-nats-${d.metadata.name}`),
          key,
        });
        expect(envOf(app, key)?.valueFrom?.secretKeyRef?.optional).toBeUndefined();
      }
      expect(natsUsers).toContain(d.metadata.name);
      if (SCHEMA_OWNERS.includes(d.metadata.name)) {
        // Each service connects as its own role, from its own Secret; only the migration Job has the admin URL.
        const own = { name: expect.stringMatching(`^juggernaut-db-${d.metadata.name}`), key: 'DATABASE_URL' };
        expect(envOf(app, 'DATABASE_URL')?.valueFrom?.secretKeyRef).toMatchObject(own);
        const wait = pod.initContainers?.find((c) => c.name === 'wait-for-migrations');
        expect(wait).toMatchObject({ args: ['migrate', '--check'] });
        expect(envOf(wait!, 'DATABASE_URL')?.valueFrom?.secretKeyRef).toMatchObject(own);
      }
      for (const c of [...pod.containers, ...(pod.initContainers ?? [])])
        expect(envOf(c, 'DATABASE_ADMIN_URL')).toBeUndefined();
    }
  });

  it('serves health and metrics on their own port (9464), scraped there; only governance-api has the API port', () => {
    for (const d of objects.filter((o) => o.kind === 'Deployment' && APPS.includes(o.metadata.name))) {
      const app = podOf(d).containers.find((c) => c.name === 'app')!;
      const ports = Object.fromEntries((app.ports ?? []).map((p) => [p.name, p.containerPort]));
      expect([d.metadata.name, ports]).toEqual([
        d.metadata.name,
        d.metadata.name === 'governance-api' ? { metrics: 9464, http: 3000 } : { metrics: 9464 },
      ]);
      expect(annotationsOf(d)).toMatchObject({
        'prometheus.io/scrape': 'true',
        'prometheus.io/port': '9464',
        'prometheus.io/path': '/metrics',
      });
    }
    const config =
      find(objects, 'ConfigMap', 'juggernaut-config') ??
      objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith('juggernaut-config'));
    expect((config as unknown as { data: Record<string, string> }).data).toMatchObject({
      METRICS_PORT: '9464',
      METRICS_HOST: '0.0.0.0',
      HTTP_PORT: '3000',
    });
    const ingressPorts = (name: string) =>
      (
        find(objects, 'NetworkPolicy', name) as unknown as {
          spec: { ingress: Array<{ ports: Array<{ port: number }> }> };
        }
      ).spec.ingress.flatMap((i) => i.ports.map((p) => p.port));
    expect(ingressPorts('allow-api-ingress')).toEqual([3000]);
    expect(ingressPorts('allow-metrics-scrape')).toEqual([9464]);
    const servicePorts = (name: string) =>
      (find(objects, 'Service', name) as unknown as { spec: { ports: Array<{ name: string; port: number }> } }).spec
        .ports;
    expect(servicePorts('governance-api')).toEqual([expect.objectContaining({ name: 'http', port: 3000 })]);
    for (const app of APPS.filter((a) => a !== 'governance-api'))
      expect(servicePorts(app)).toEqual([expect.objectContaining({ name: 'metrics', port: 9464 })]);
  });

  it('gives agent-runner a grace period that covers preStop, its drain and the release of its leases', () => {
    const pod = podOf(find(objects, 'Deployment', 'agent-runner')!);
    const app = pod.containers.find((c) => c.name === 'app')!;
    const preStop = Number(app.lifecycle!.preStop!.exec!.command[1]);
    const shutdownGraceMs = Number(envOf(app, 'SHUTDOWN_GRACE_MS')!.value);
    const drainMs = Number(envOf(app, 'RUNNER_DRAIN_MS')!.value);
    // The process exits at the latest SHUTDOWN_GRACE_MS + 2 s after SIGTERM (service-kit runService).
    expect(pod.terminationGracePeriodSeconds!).toBeGreaterThanOrEqual(preStop + shutdownGraceMs / 1000 + 2);
    // Draining ends early enough to release the leases of unfinished tasks before the process gives up.
    expect(shutdownGraceMs - drainMs).toBeGreaterThanOrEqual(5_000);
  });

  it('has a PodDisruptionBudget for every workload with more than one replica, none of which can block a drain', () => {
    const pdbs = objects
      .filter((o) => o.kind === 'PodDisruptionBudget')
      .map((o) =>
        specOf<{ maxUnavailable?: number; minAvailable?: number; selector: { matchLabels: Record<string, string> } }>(
          o,
        ),
      );
    const scaled = (name: string) =>
      objects.find((o) => o.kind === 'ScaledObject' && specOf<ScaledObjectSpec>(o).scaleTargetRef.name === name);
    for (const w of objects.filter((o) => ['Deployment', 'StatefulSet'].includes(o.kind))) {
      const replicas: number =
        specOf<{ replicas?: number }>(w).replicas ??
        specOf<ScaledObjectSpec>(scaled(w.metadata.name))?.minReplicaCount ??
        1;
      const labels = templateLabelsOf(w);
      const budget = pdbs.find((p) => Object.entries(p.selector.matchLabels).every(([k, v]) => labels[k] === v));
      if (replicas > 1 || scaled(w.metadata.name))
        expect([w.metadata.name, budget]).toEqual([w.metadata.name, expect.objectContaining({ maxUnavailable: 1 })]);
    }
    for (const p of pdbs) expect(p.minAvailable).toBeUndefined();
  });

  it('denies all traffic by default and allows only what the services need', () => {
    const policies = objects.filter((o) => o.kind === 'NetworkPolicy').map((o) => o.metadata.name);
    expect(policies).toEqual(
      expect.arrayContaining(['default-deny', 'allow-dns-postgres-nats', 'allow-api-ingress', 'allow-metrics-scrape']),
    );
  });
});

describe('k8s/overlays/dev: NATS with the users of deploy/nats/nats-server.conf', () => {
  const secretData = (o: K8sObject) =>
    Object.fromEntries(
      Object.entries((o as unknown as { data: Record<string, string> }).data).map(([k, v]) => [
        k,
        Buffer.from(v, 'base64').toString('utf8'),
      ]),
    );

  it('runs nats-server with a copy of the configuration kept identical to deploy/nats/nats-server.conf', () => {
    const copy = readFileSync(join(root, 'k8s', 'overlays', 'dev', 'nats-server.conf'), 'utf8');
    // after a change to deploy/nats/nats-server.conf: cp deploy/nats/nats-server.conf k8s/overlays/dev/
    expect(copy).toBe(readFileSync(join(root, 'deploy', 'nats', 'nats-server.conf'), 'utf8'));
    const dev = render('k8s/overlays/dev');
    const nats = podOf(find(dev, 'StatefulSet', 'nats')!);
    expect(nats.containers[0]!.args).toEqual(['-c', '/etc/nats/nats-server.conf', '-m', '8222']);
    const cm = dev.find((o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith('nats-config'))!;
    expect(nats.volumes?.find((v) => v.name === 'config')?.configMap?.name).toBe(cm.metadata.name);
    expect((cm as unknown as { data: Record<string, string> }).data['nats-server.conf']).toBe(copy);
  });

  it('gives the server every password it reads, and each service the password of its own user; nats-server accepts the result', () => {
    const dev = render('k8s/overlays/dev');
    const passwords = secretData(dev.find((o) => o.kind === 'Secret' && o.metadata.name.startsWith('nats-passwords'))!);
    const conf = readFileSync(join(root, 'deploy', 'nats', 'nats-server.conf'), 'utf8');
    const wanted = [...conf.matchAll(/password: \$(NATS_PASS_[A-Z_]+)/g)].map((m) => m[1]!).sort();
    expect(Object.keys(passwords).sort()).toEqual(wanted);
    for (const app of APPS) {
      const own = secretData(
        dev.find((o) => o.kind === 'Secret' && o.metadata.name.startsWith(`juggernaut-nats-${app}-`))!,
      );
      expect(own).toEqual({
        NATS_USER: app,
        NATS_PASS: passwords[`NATS_PASS_${app.toUpperCase().replace(/-/g, '_')}`],
      });
    }
    const r = natsConfigTest({ 'nats-server.conf': conf }, 'nats-server.conf', passwords);
    expect(r.out).toContain('is valid');
    expect(r.status).toBe(0);
  });
});

/** `nats-server -t` (configuration test) on configuration files, the JetStream store moved to a temporary directory. */
function natsConfigTest(files: Record<string, string>, main: string, env: Record<string, string>) {
  const dir = mkdtempSync(join(tmpdir(), 'jg-nats-conf-'));
  try {
    for (const [name, text] of Object.entries(files))
      writeFileSync(
        join(dir, name),
        text.replace('store_dir: "/data/jetstream"', `store_dir: ${JSON.stringify(join(dir, 'js'))}`),
      );
    const r = spawnSync(process.env['NATS_SERVER_BIN'] ?? '/usr/sbin/nats-server', ['-c', join(dir, main), '-t'], {
      env: { PATH: process.env['PATH'] ?? '', ...env },
      encoding: 'utf8',
    });
    return { status: r.status, out: `${r.stdout}${r.stderr}` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('who owns agent-runner replicas', () => {
  it('prod: KEDA, through a ScaledObject, and the Deployment prod applies has no spec.replicas to reset it', () => {
    const prod = render('k8s/overlays/prod');
    expect(find(prod, 'ScaledObject', 'agent-runner')).toMatchObject({
      spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'agent-runner' } },
    });
    expect(specOf<{ replicas?: number }>(find(prod, 'Deployment', 'agent-runner')).replicas).toBeUndefined();
    // no second autoscaler fighting KEDA's (KEDA makes its own HPA)
    expect(prod.filter((o) => o.kind === 'HorizontalPodAutoscaler')).toEqual([]);
    expect(prod.filter((o) => o.kind === 'Secret')).toEqual([]);
    expect(new Set(prod.filter((o) => o.kind !== 'Namespace').map((o) => o.metadata.namespace))).toEqual(
      new Set(['juggernaut']),
    );
  });

  it('base and dev: nobody but the operator (kubectl scale): no autoscaler, replicas in the Deployment', () => {
    for (const overlay of ['k8s/base', 'k8s/overlays/dev']) {
      const objs = overlay === 'k8s/base' ? kustomize(overlay) : render(overlay);
      expect(objs.filter((o) => ['HorizontalPodAutoscaler', 'ScaledObject'].includes(o.kind))).toEqual([]);
      expect(specOf<{ replicas?: number }>(find(objs, 'Deployment', 'agent-runner')).replicas).toBeGreaterThanOrEqual(
        1,
      );
    }
  });
});

describe('KEDA scaling rule (k8s/components/keda-autoscaling)', () => {
  const prod = render('k8s/overlays/prod');
  const scaledObject = specOf<ScaledObjectSpec>(find(prod, 'ScaledObject', 'agent-runner'));
  const trigger = scaledObject.triggers[0] as {
    type: string;
    metricType: string;
    metadata: { query: string; threshold: string };
  };
  const runner = podOf(find(prod, 'Deployment', 'agent-runner')!).containers.find((c) => c.name === 'app')!;
  const runnerLevel = Number(envOf(runner, 'RUNNER_LEVEL')!.value);

  /**
   * The replica count the HPA KEDA makes computes for a Prometheus trigger of metric type AverageValue:
   * ceil(value / threshold), unless value / (threshold × current) is within the HPA's default 10%
   * tolerance of 1 (then the current count stays), within [minReplicaCount, maxReplicaCount].
   */
  const kedaReplicas = (value: number, current?: number) => {
    const threshold = Number(trigger.metadata.threshold);
    const clamp = (n: number) => Math.min(scaledObject.maxReplicaCount, Math.max(scaledObject.minReplicaCount, n));
    if (current !== undefined && Math.abs(value / (threshold * current) - 1) <= 0.1) return clamp(current);
    return clamp(Math.ceil(value / threshold));
  };

  it('scales on a Prometheus query, one runner per RUNNER_CONCURRENCY tasks, with a minimum, a cap, a cooldown and scale-in behaviour', () => {
    expect(trigger).toMatchObject({ type: 'prometheus', metricType: 'AverageValue' });
    expect(Number(trigger.metadata.threshold)).toBe(Number(envOf(runner, 'RUNNER_CONCURRENCY')!.value));
    expect(scaledObject.minReplicaCount).toBeGreaterThanOrEqual(2);
    expect(scaledObject.maxReplicaCount).toBeGreaterThan(scaledObject.minReplicaCount);
    expect(scaledObject.cooldownPeriod).toBeGreaterThan(0);
    expect(
      scaledObject.advanced.horizontalPodAutoscalerConfig.behavior.scaleDown.stabilizationWindowSeconds,
    ).toBeGreaterThanOrEqual(60);
    expect(scaledObject.fallback.replicas).toBeGreaterThanOrEqual(scaledObject.minReplicaCount);
  });

  it("counts every task type the runners claim at their level (a new handler is scaled on, or this fails naming it), and no other service's", () => {
    const handlers = join(root, 'apps', 'agent-runner', 'src', 'handlers');
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const contracts = require('@juggernaut/contracts') as Record<string, unknown>;
    const valueOf = (text: string) =>
      /^'(.*)'$/.exec(text)?.[1] ?? (/^\d+$/.test(text) ? Number(text) : contracts[text]);
    const claimed = readdirSync(handlers)
      .filter((f) => f.endsWith('.handler.ts'))
      .flatMap((f) => {
        const source = readFileSync(join(handlers, f), 'utf8');
        const type = /readonly type = ([^;]+);/.exec(source)?.[1]?.trim();
        const minLevel = /readonly minLevel = ([^;]+);/.exec(source)?.[1]?.trim();
        if (!type) return [];
        const resolved = { type: valueOf(type), minLevel: minLevel ? valueOf(minLevel) : 1 };
        if (typeof resolved.type !== 'string' || typeof resolved.minLevel !== 'number')
          throw new Error(`${f}: cannot resolve its type or minLevel`);
        return resolved.minLevel <= runnerLevel ? [resolved.type] : [];
      });
    const query = trigger.metadata.query;
    const types = /type=~"([^"]+)"/
      .exec(query)![1]!
      .split('|')
      .map((t) => t.replace(/\\\\\./g, '.'));
    expect(claimed.length).toBeGreaterThanOrEqual(2);
    expect(claimed.filter((t) => !types.includes(t))).toEqual([]);
    expect(types).not.toContain('dev.change');
    expect(/level=~"([^"]+)"/.exec(query)![1]!.split('|').map(Number)).toEqual(
      Array.from({ length: runnerLevel }, (_, i) => i + 1),
    );
  });

  /** Series the dispatcher serves (two replicas report the same Postgres counts), and the query's value promtool computes from them. */
  const scenarios: Array<{
    name: string;
    series: Record<string, string>;
    value: number;
    replicas: Array<[current: number | undefined, expected: number]>;
  }> = [
    {
      name: 'an empty queue',
      series: {},
      value: 0,
      replicas: [
        [undefined, 2],
        [7, 2],
      ],
    },
    {
      name: "due and running tasks the runners claim, next to work they do not (dev-bot's, level 4 and 5)",
      series: {
        'juggernaut_tasks_due_or_running{type="noop",level="1",state="due"}': '10',
        'juggernaut_tasks_due_or_running{type="agent.goal",level="3",state="running"}': '6',
        'juggernaut_tasks_due_or_running{type="conversation.reply",level="2",state="due"}': '8',
        'juggernaut_tasks_due_or_running{type="dev.change",level="4",state="due"}': '40',
        'juggernaut_tasks_due_or_running{type="opportunity.scan",level="4",state="due"}': '9',
        'juggernaut_tasks_due_or_running{type="agent.goal",level="5",state="due"}': '12',
        juggernaut_kill_switch_engaged: '0',
      },
      value: 24,
      replicas: [
        [undefined, 3],
        [2, 3],
        [3, 3],
      ],
    },
    {
      name: 'a backlog of 130 (within the HPA tolerance of 16 runners, past it for 10)',
      series: {
        'juggernaut_tasks_due_or_running{type="noop",level="1",state="due"}': '100',
        'juggernaut_tasks_due_or_running{type="conversation.reply",level="2",state="running"}': '30',
      },
      value: 130,
      replicas: [
        [undefined, 17],
        [16, 16],
        [10, 17],
      ],
    },
    {
      name: 'a flood',
      series: { 'juggernaut_tasks_due_or_running{type="noop",level="1",state="due"}': '1000' },
      value: 1000,
      replicas: [
        [undefined, 50],
        [50, 50],
      ],
    },
    {
      name: 'the kill switch engaged (nothing is claimed)',
      series: {
        'juggernaut_tasks_due_or_running{type="noop",level="1",state="due"}': '500',
        juggernaut_kill_switch_engaged: '1',
      },
      value: 0,
      replicas: [
        [undefined, 2],
        [20, 2],
      ],
    },
  ];

  it.each(scenarios)(
    "$name: promtool evaluates the query to the expected backlog, and KEDA's formula gives the expected runners",
    ({ series, value, replicas }) => {
      const withService = (s: string, instance: string) =>
        s.includes('{')
          ? s.replace('{', `{service="task-dispatcher",instance="${instance}",`)
          : `${s}{service="governance-api",instance="${instance}"}`;
      const dir = mkdtempSync(join(tmpdir(), 'jg-keda-'));
      try {
        writeFileSync(join(dir, 'rules.yml'), 'groups: []\n');
        writeFileSync(
          join(dir, 'test.yml'),
          JSON.stringify({
            rule_files: ['rules.yml'],
            evaluation_interval: '1m',
            tests: [
              {
                interval: '1m',
                input_series: Object.entries(series).flatMap(([s, v]) =>
                  ['a', 'b'].map((i) => ({ series: withService(s, i), values: `${v}x5` })),
                ),
                promql_expr_test: [
                  { expr: trigger.metadata.query, eval_time: '2m', exp_samples: [{ labels: '{}', value }] },
                ],
              },
            ],
          }),
        );
        const r = spawnSync('promtool', ['test', 'rules', 'test.yml'], { cwd: dir, encoding: 'utf8' });
        expect(`${r.stdout}${r.stderr}`).toContain('SUCCESS');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
      for (const [current, expected] of replicas)
        expect([current, kedaReplicas(value, current)]).toEqual([current, expected]);
    },
  );

  it('the Agents dashboard shows the same quantity the autoscaler reads', () => {
    const agents = readFileSync(join(root, 'deploy', 'grafana', 'dashboards', 'agents.json'), 'utf8');
    expect(
      JSON.parse(agents).panels.flatMap((p: { targets: Array<{ expr: string }> }) => p.targets.map((t) => t.expr)),
    ).toContain(trigger.metadata.query);
  });
});

describe('upgrades re-apply (k8s/components/release, docs/adr/0003)', () => {
  it('a new release renames every migration Job and retags every Juggernaut image; the same release renders the same objects', () => {
    const a = renderEdited('overlays/prod', setRelease('0.2.0'));
    const again = renderEdited('overlays/prod', setRelease('0.2.0'));
    const b = renderEdited('overlays/prod', setRelease('0.3.0-rc.1'));
    expect(again).toEqual(a);
    for (const [objs, release] of [
      [a, '0.2.0'],
      [b, '0.3.0-rc.1'],
    ] as const) {
      expect(
        objs
          .filter((o) => o.kind === 'Job')
          .map((o) => o.metadata.name)
          .sort(),
      ).toEqual(SCHEMA_OWNERS.map((app) => `${app}-migrate-${release}`).sort());
      const images = objs
        .filter((o) => ['Deployment', 'Job'].includes(o.kind))
        .flatMap((o) => [...podOf(o).containers, ...(podOf(o).initContainers ?? [])].map((c) => c.image));
      expect(new Set(images.map((i) => i.split(':').at(-1)))).toEqual(new Set([release]));
    }
    // nothing but the release differs between two releases' Jobs: a Job is never changed in place
    const jobA = find(a, 'Job', 'governance-api-migrate-0.2.0')!;
    const jobB = find(b, 'Job', 'governance-api-migrate-0.3.0-rc.1')!;
    expect(JSON.stringify(jobB).replaceAll('0.3.0-rc.1', '0.2.0')).toBe(JSON.stringify(jobA));
  });

  it("keeps every release's Job names within Kubernetes's limits (a DNS name the Job controller can label its pods with)", () => {
    const release = releaseOf(render('k8s/overlays/prod'));
    const longest = Math.max(...SCHEMA_OWNERS.map((a) => `${a}-migrate-`.length));
    expect(release).toMatch(/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/);
    expect(longest + 36).toBeLessThanOrEqual(63);
    expect(longest + release.length).toBeLessThanOrEqual(63);
    // the shipped overlays set image names only: a tag set there would split the tag from the Job names
    for (const overlay of ['dev', 'prod']) {
      const k = parse(readFileSync(join(root, 'k8s', 'overlays', overlay, 'kustomization.yaml'), 'utf8')) as {
        images?: Array<Record<string, string>>;
      };
      for (const image of k.images ?? []) expect(Object.keys(image).sort()).toEqual(['name', 'newName']);
    }
  });
});

describe('monitoring through the Prometheus Operator (k8s/components/prometheus-operator)', () => {
  const prod = render('k8s/overlays/prod');

  it('carries the alert rules of deploy/prometheus/alerts.rules.yml, generated from them, unchanged', () => {
    const rules = parse(readFileSync(join(root, 'deploy', 'prometheus', 'alerts.rules.yml'), 'utf8')) as {
      groups: unknown[];
    };
    expect(specOf(find(prod, 'PrometheusRule', 'juggernaut-alerts'))).toEqual({ groups: rules.groups });
  });

  it("carries every dashboard of deploy/grafana as a ConfigMap for Grafana's sidecar", () => {
    const dir = join(root, 'deploy', 'grafana', 'dashboards');
    const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
    const maps = prod.filter(
      (o) => o.kind === 'ConfigMap' && o.metadata.labels?.['grafana_dashboard'] === '1',
    ) as unknown as Array<{ data: Record<string, string> }>;
    expect(maps.flatMap((m) => Object.keys(m.data)).sort()).toEqual(files.sort());
    for (const m of maps)
      for (const [file, json] of Object.entries(m.data)) expect(json).toBe(readFileSync(join(dir, file), 'utf8'));
  });

  it('scrapes the metrics port of every service and runner pod and labels each target with its service, as compose does', () => {
    const monitor = specOf<{
      podMetricsEndpoints: Array<Record<string, unknown> & { relabelings: unknown[] }>;
      selector: { matchExpressions: Array<{ key: string; values: string[] }> };
    }>(find(prod, 'PodMonitor', 'juggernaut'));
    const [endpoint] = monitor.podMetricsEndpoints;
    expect(endpoint).toMatchObject({ port: 'metrics', path: '/metrics', honorLabels: true });
    expect(endpoint.relabelings).toEqual([
      { sourceLabels: ['__meta_kubernetes_pod_label_app_kubernetes_io_name'], targetLabel: 'service' },
    ]);
    const selects = (labels: Record<string, string>) =>
      monitor.selector.matchExpressions.every((e) => e.values.includes(labels[e.key]!));
    for (const app of APPS) {
      const labels = templateLabelsOf(find(prod, 'Deployment', app)!);
      // the label the target gets is the app's name: what the services put on their metrics, and what the rules select on
      expect([app, labels['app.kubernetes.io/name'], selects(labels)]).toEqual([app, app, true]);
    }
    for (const job of prod.filter((o) => o.kind === 'Job')) expect(selects(templateLabelsOf(job))).toBe(false);
    // Prometheus without the operator: the same relabelling in deploy/prometheus/prometheus.kubernetes.yml (Debian's
    // promtool is built without Kubernetes discovery, so only its structure is checked here)
    const plain = parse(readFileSync(join(root, 'deploy', 'prometheus', 'prometheus.kubernetes.yml'), 'utf8')) as {
      scrape_configs: Array<{ honor_labels: boolean; relabel_configs: Array<Record<string, unknown>> }>;
    };
    expect(plain.scrape_configs[0]!.honor_labels).toBe(true);
    expect(plain.scrape_configs[0]!.relabel_configs).toEqual(
      expect.arrayContaining([
        { source_labels: ['__meta_kubernetes_pod_container_port_name'], regex: 'metrics', action: 'keep' },
        { source_labels: ['__meta_kubernetes_pod_label_app_kubernetes_io_name'], target_label: 'service' },
      ]),
    );
  });
});

describe('production NATS and Postgres (optional components)', () => {
  const full = render(PROD_WITH_EVERY_COMPONENT);

  it('nats-cluster: three JetStream members routed to each other, with the users of deploy/nats; nats-server accepts the configuration', () => {
    const sts = find(full, 'StatefulSet', 'nats')!;
    expect(specOf(sts)).toMatchObject({ replicas: 3, serviceName: 'nats-headless' });
    const cm = full.find(
      (o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith('nats-cluster-config'),
    ) as unknown as { metadata: { name: string }; data: Record<string, string> };
    expect(podOf(sts).volumes?.find((v) => v.name === 'config')?.configMap?.name).toBe(cm.metadata.name);
    // after a change to deploy/nats/nats-server.conf: cp deploy/nats/nats-server.conf k8s/components/nats-cluster/juggernaut.conf
    expect(cm.data['juggernaut.conf']).toBe(readFileSync(join(root, 'deploy', 'nats', 'nats-server.conf'), 'utf8'));
    const routes = [...cm.data['nats.conf']!.matchAll(/"nats:\/\/([^":]+):6222"/g)].map((m) => m[1]);
    expect(routes).toEqual([0, 1, 2].map((i) => `nats-${i}.nats-headless`));
    expect(podOf(sts).containers[0]!.envFrom).toEqual([{ secretRef: { name: 'nats-passwords' } }]);
    const passwords = Object.fromEntries(
      [...cm.data['juggernaut.conf']!.matchAll(/\$(NATS_PASS_[A-Z_]+)/g)].map((m) => [m[1]!, 'x']),
    );
    const r = natsConfigTest(cm.data, 'nats.conf', { ...passwords, SERVER_NAME: 'nats-0' });
    expect(r.out).toContain('is valid');
    expect(r.status).toBe(0);
  });

  it('postgres-cnpg: three instances, WAL archived and a nightly base backup to an object store left as a placeholder, no PgBouncer', () => {
    const cluster = specOf<{
      instances: number;
      plugins: Array<{ name: string; isWALArchiver?: boolean; parameters: { barmanObjectName: string } }>;
    }>(find(full, 'Cluster', 'juggernaut-pg'));
    expect(cluster.instances).toBe(3);
    const archiver = cluster.plugins.find((p) => p.isWALArchiver)!;
    expect(archiver).toMatchObject({ name: 'barman-cloud.cloudnative-pg.io' });
    const store = specOf<{ configuration: { destinationPath: string } }>(
      find(full, 'ObjectStore', archiver.parameters.barmanObjectName),
    );
    expect(store.configuration.destinationPath).toContain('CHANGE-ME');
    expect(specOf(find(full, 'ScheduledBackup', 'juggernaut-pg-nightly'))).toMatchObject({
      cluster: { name: 'juggernaut-pg' },
      method: 'plugin',
      pluginConfiguration: { name: archiver.name },
    });
    // the services need session features (LISTEN, session advisory locks, startup options): no transaction pooler
    expect(full.filter((o) => o.kind === 'Pooler')).toEqual([]);
    expect(readFileSync(join(root, 'libs', 'service-kit', 'src', 'outbox-relay.ts'), 'utf8')).toContain('LISTEN');
    // the base denies all traffic: the instances and the NATS members have policies of their own
    expect(find(full, 'NetworkPolicy', 'allow-postgres-cluster')).toBeDefined();
    expect(find(full, 'NetworkPolicy', 'allow-nats-cluster')).toBeDefined();
  });
});

describe('strict validation (tools/deploy/kubernetes.ts)', () => {
  const dev = render('k8s/overlays/dev');
  const full = render(PROD_WITH_EVERY_COMPONENT);
  /** A copy of an object to break on purpose, its spec typed as far as the test reaches into it. */
  type Edited<Spec = Record<string, unknown>> = K8sObject & { spec: Spec };
  type EditedDeployment = Edited<{
    selector?: unknown;
    template: {
      metadata: { annotations: Record<string, string> };
      spec: {
        containers: Array<
          Record<string, unknown> & {
            ports: Array<{ containerPort: unknown }>;
            resources: { limits: Record<string, string> };
          }
        >;
      };
    };
  }>;

  it('rejects a misspelled field, as kubeconform -strict does, at any depth and in custom resources too', () => {
    const d = structuredClone(find(dev, 'Deployment', 'task-dispatcher')!) as EditedDeployment;
    d.spec.template.spec.containers[0].readinessProbes = d.spec.template.spec.containers[0].readinessProbe;
    expect(() => validateObject(d)).toThrow(
      'Deployment task-dispatcher: unknown field "spec.template.spec.containers[0].readinessProbes"',
    );
    const so = structuredClone(find(full, 'ScaledObject', 'agent-runner')!) as Edited;
    so.spec.minReplicas = 2;
    expect(() => validateObject(so)).toThrow('ScaledObject agent-runner: unknown field "spec.minReplicas"');
    const pm = structuredClone(find(full, 'PodMonitor', 'juggernaut')!) as Edited<{
      podMetricsEndpoints: Array<{ relabelings: Array<Record<string, unknown>> }>;
    }>;
    pm.spec.podMetricsEndpoints[0].relabelings[0].target_label = 'service';
    expect(() => validateObject(pm)).toThrow('unknown field "spec.podMetricsEndpoints[0].relabelings[0].target_label"');
    const pg = structuredClone(find(full, 'Cluster', 'juggernaut-pg')!) as Edited;
    pg.spec.instance = 3;
    expect(() => validateObject(pg)).toThrow('unknown field "instance"');
  });

  it('accepts what the schemas leave open (labels, annotations, resource quantities, ConfigMap data)', () => {
    const d = structuredClone(find(dev, 'Deployment', 'task-dispatcher')!) as EditedDeployment;
    d.metadata.labels!['example.com/any-key'] = 'x';
    d.spec.template.metadata.annotations['example.com/another'] = 'y';
    d.spec.template.spec.containers[0].resources.limits['ephemeral-storage'] = '1Gi';
    expect(validateObjects([d])).toEqual([]);
  });

  it('still checks types and required fields, and knows no kind it has no schema for', () => {
    const d = structuredClone(find(dev, 'Deployment', 'task-dispatcher')!) as EditedDeployment;
    d.spec.template.spec.containers[0].ports[0].containerPort = 'three thousand';
    expect(() => validateObject(d)).toThrow(/containerPort must be integer/);
    delete d.spec.selector;
    expect(() => validateObject(d)).toThrow(/selector/);
    expect(() => validateObject({ apiVersion: 'apps/v1', kind: 'Deploymint', metadata: { name: 'x' } })).toThrow(
      /no Kubernetes schema/,
    );
    expect(() =>
      validateObject({ apiVersion: 'postgresql.cnpg.io/v1', kind: 'Pooler', metadata: { name: 'x' } }),
    ).toThrow(/no schema for postgresql.cnpg.io\/v1 Pooler/);
    const so = structuredClone(find(full, 'ScaledObject', 'agent-runner')!) as Edited;
    delete so.spec.scaleTargetRef;
    expect(() => validateObject(so)).toThrow(/scaleTargetRef/);
  });
});
