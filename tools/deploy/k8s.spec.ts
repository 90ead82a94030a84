import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { APPS, type K8sObject, kustomize, root, SCHEMA_OWNERS, validateObject } from './kubernetes';

/**
 * The Kubernetes manifests: every overlay renders with kustomize, every object is valid against the
 * Kubernetes API schemas, and the rendered Deployments keep the promises the README makes.
 */
const OVERLAYS = ['k8s/overlays/dev', 'k8s/overlays/prod'];

type Container = {
  name: string; image: string; args?: string[];
  env?: Array<{ name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string; optional?: boolean } } }>;
  envFrom?: Array<{ configMapRef?: { name: string } }>;
  securityContext?: Record<string, unknown>;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  livenessProbe?: { httpGet?: { path: string; port: string | number } }; readinessProbe?: { httpGet?: { path: string; port: string | number } };
  startupProbe?: { httpGet?: { path: string; port: string | number } };
  ports?: Array<{ name?: string; containerPort: number }>;
  lifecycle?: { preStop?: { exec?: { command: string[] } } };
};
type PodSpec = {
  containers: Container[]; initContainers?: Container[]; terminationGracePeriodSeconds?: number; securityContext?: Record<string, unknown>;
  volumes?: Array<{ name: string; configMap?: { name: string } }>;
};
const podOf = (o: K8sObject) => (o as unknown as { spec: { template: { spec: PodSpec } } }).spec.template.spec;
const annotationsOf = (o: K8sObject) => (o as unknown as { spec: { template: { metadata: { annotations?: Record<string, string> } } } }).spec.template.metadata.annotations ?? {};
const find = (objs: K8sObject[], kind: string, name: string) => objs.find((o) => o.kind === kind && o.metadata.name === name);
const envOf = (c: Container, name: string) => c.env?.find((e) => e.name === name);
const natsUsers = [...readFileSync(join(root, 'deploy', 'nats', 'nats-server.conf'), 'utf8').matchAll(/^\s*user: "([^"]+)"/gm)].map((m) => m[1]);

describe.each(OVERLAYS)('%s', (overlay) => {
  let objects: K8sObject[];
  beforeAll(() => {
    objects = kustomize(overlay);
  });

  it('renders, and every object validates against the Kubernetes API schema of its kind', () => {
    expect(objects.length).toBeGreaterThan(20);
    const errors: string[] = [];
    for (const o of objects) {
      try {
        validateObject(o);
      } catch (e) {
        errors.push((e as Error).message);
      }
    }
    expect(errors).toEqual([]);
  });

  it('has a Deployment and a Service for every app, and a migration Job for every app that owns a schema', () => {
    for (const app of APPS) {
      expect(find(objects, 'Deployment', app)).toBeDefined();
      expect(find(objects, 'Service', app)).toBeDefined();
    }
    const jobs = objects.filter((o) => o.kind === 'Job').map((o) => o.metadata.name).sort();
    expect(jobs).toEqual(SCHEMA_OWNERS.map((a) => `${a}-migrate`).sort());
    for (const app of SCHEMA_OWNERS) {
      const job = podOf(find(objects, 'Job', `${app}-migrate`)!);
      expect(job.containers[0]).toMatchObject({ args: ['migrate'] });
      expect(job.containers[0]!.image).toContain(`/${app}`);
      expect(envOf(job.containers[0]!, 'DATABASE_URL')?.valueFrom?.secretKeyRef).toMatchObject({ name: expect.stringMatching(`^juggernaut-db-${app}`), key: 'DATABASE_URL' });
      // migrations run as the schema's owner through the administrator's connection: it is required,
      // since the runtime role the service's own DATABASE_URL names may not run DDL
      const admin = envOf(job.containers[0]!, 'DATABASE_ADMIN_URL')?.valueFrom?.secretKeyRef;
      expect(admin).toMatchObject({ name: expect.stringMatching(/^juggernaut-db-admin/), key: 'DATABASE_ADMIN_URL' });
      expect(admin?.optional).not.toBe(true);
    }
  });

  it("gives each migration Job and its Deployment the same runtime role's URL, and only the Job the administrator's", () => {
    for (const app of SCHEMA_OWNERS) {
      const job = podOf(find(objects, 'Job', `${app}-migrate`)!).containers[0]!;
      const deployment = podOf(find(objects, 'Deployment', app)!).containers.find((c) => c.name === 'app')!;
      expect(envOf(job, 'DATABASE_URL')?.valueFrom?.secretKeyRef).toEqual(envOf(deployment, 'DATABASE_URL')?.valueFrom?.secretKeyRef);
    }
    const secrets = objects.filter((o) => o.kind === 'Secret') as unknown as Array<{ metadata: { name: string }; data?: Record<string, string> }>;
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
        expect(c.securityContext).toMatchObject({ runAsNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
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
        expect(envOf(app, key)?.valueFrom?.secretKeyRef).toMatchObject({ name: expect.stringMatching(`^juggernaut-nats-${d.metadata.name}`), key });
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
      for (const c of [...pod.containers, ...(pod.initContainers ?? [])]) expect(envOf(c, 'DATABASE_ADMIN_URL')).toBeUndefined();
    }
  });

  it('serves health and metrics on their own port (9464), scraped there; only governance-api has the API port', () => {
    for (const d of objects.filter((o) => o.kind === 'Deployment' && APPS.includes(o.metadata.name))) {
      const app = podOf(d).containers.find((c) => c.name === 'app')!;
      const ports = Object.fromEntries((app.ports ?? []).map((p) => [p.name, p.containerPort]));
      expect([d.metadata.name, ports]).toEqual([d.metadata.name, d.metadata.name === 'governance-api' ? { metrics: 9464, http: 3000 } : { metrics: 9464 }]);
      expect(annotationsOf(d)).toMatchObject({ 'prometheus.io/scrape': 'true', 'prometheus.io/port': '9464', 'prometheus.io/path': '/metrics' });
    }
    const config = find(objects, 'ConfigMap', 'juggernaut-config') ?? objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith('juggernaut-config'));
    expect((config as unknown as { data: Record<string, string> }).data).toMatchObject({ METRICS_PORT: '9464', METRICS_HOST: '0.0.0.0', HTTP_PORT: '3000' });
    const ingressPorts = (name: string) => ((find(objects, 'NetworkPolicy', name) as unknown as { spec: { ingress: Array<{ ports: Array<{ port: number }> }> } }).spec.ingress.flatMap((i) => i.ports.map((p) => p.port)));
    expect(ingressPorts('allow-api-ingress')).toEqual([3000]);
    expect(ingressPorts('allow-metrics-scrape')).toEqual([9464]);
    const servicePorts = (name: string) => (find(objects, 'Service', name) as unknown as { spec: { ports: Array<{ name: string; port: number }> } }).spec.ports;
    expect(servicePorts('governance-api')).toEqual([expect.objectContaining({ name: 'http', port: 3000 })]);
    for (const app of APPS.filter((a) => a !== 'governance-api')) expect(servicePorts(app)).toEqual([expect.objectContaining({ name: 'metrics', port: 9464 })]);
  });

  it("gives agent-runner a grace period that covers preStop, its drain and the release of its leases", () => {
    const pod = podOf(find(objects, 'Deployment', 'agent-runner')!);
    const app = pod.containers.find((c) => c.name === 'app')!;
    const preStop = Number(app.lifecycle!.preStop!.exec!.command[1]);
    const shutdownGraceMs = Number(envOf(app, 'SHUTDOWN_GRACE_MS')!.value);
    const drainMs = Number(envOf(app, 'RUNNER_DRAIN_MS')!.value);
    // The process exits at the latest SHUTDOWN_GRACE_MS + 2 s after SIGTERM (service-kit runService).
    expect(pod.terminationGracePeriodSeconds!).toBeGreaterThanOrEqual(preStop + shutdownGraceMs / 1000 + 2);
    // Draining ends early enough to release the leases of unfinished tasks before the process gives up.
    expect(shutdownGraceMs - drainMs).toBeGreaterThanOrEqual(5_000);
    expect(find(objects, 'PodDisruptionBudget', 'agent-runner')).toBeDefined();
  });

  it('denies all traffic by default and allows only what the services need', () => {
    const policies = objects.filter((o) => o.kind === 'NetworkPolicy').map((o) => o.metadata.name);
    expect(policies).toEqual(expect.arrayContaining(['default-deny', 'allow-dns-postgres-nats', 'allow-api-ingress', 'allow-metrics-scrape']));
  });
});

describe('k8s/overlays/dev: NATS with the users of deploy/nats/nats-server.conf', () => {
  const secretData = (o: K8sObject) => Object.fromEntries(Object.entries((o as unknown as { data: Record<string, string> }).data).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));

  it('runs nats-server with a copy of the configuration kept identical to deploy/nats/nats-server.conf', () => {
    const copy = readFileSync(join(root, 'k8s', 'overlays', 'dev', 'nats-server.conf'), 'utf8');
    // after a change to deploy/nats/nats-server.conf: cp deploy/nats/nats-server.conf k8s/overlays/dev/
    expect(copy).toBe(readFileSync(join(root, 'deploy', 'nats', 'nats-server.conf'), 'utf8'));
    const dev = kustomize('k8s/overlays/dev');
    const nats = podOf(find(dev, 'StatefulSet', 'nats')!);
    expect(nats.containers[0]!.args).toEqual(['-c', '/etc/nats/nats-server.conf', '-m', '8222']);
    const cm = dev.find((o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith('nats-config'))!;
    expect(nats.volumes?.find((v) => v.name === 'config')?.configMap?.name).toBe(cm.metadata.name);
    expect((cm as unknown as { data: Record<string, string> }).data['nats-server.conf']).toBe(copy);
  });

  it('gives the server every password it reads, and each service the password of its own user; nats-server accepts the result', () => {
    const dev = kustomize('k8s/overlays/dev');
    const passwords = secretData(dev.find((o) => o.kind === 'Secret' && o.metadata.name.startsWith('nats-passwords'))!);
    const conf = readFileSync(join(root, 'deploy', 'nats', 'nats-server.conf'), 'utf8');
    const wanted = [...conf.matchAll(/password: \$(NATS_PASS_[A-Z_]+)/g)].map((m) => m[1]!).sort();
    expect(Object.keys(passwords).sort()).toEqual(wanted);
    for (const app of APPS) {
      const own = secretData(dev.find((o) => o.kind === 'Secret' && o.metadata.name.startsWith(`juggernaut-nats-${app}-`))!);
      expect(own).toEqual({ NATS_USER: app, NATS_PASS: passwords[`NATS_PASS_${app.toUpperCase().replace(/-/g, '_')}`] });
    }
    // the real server parses the file with these passwords (nats-server -t: configuration test)
    const dir = mkdtempSync(join(tmpdir(), 'jg-nats-dev-'));
    try {
      writeFileSync(join(dir, 'nats-server.conf'), conf.replace('store_dir: "/data/jetstream"', `store_dir: ${JSON.stringify(join(dir, 'js'))}`));
      const r = spawnSync(process.env['NATS_SERVER_BIN'] ?? '/usr/sbin/nats-server', ['-c', join(dir, 'nats-server.conf'), '-t'], { env: { PATH: process.env['PATH'] ?? '', ...passwords }, encoding: 'utf8' });
      expect(`${r.stdout}${r.stderr}`).toContain('is valid');
      expect(r.status).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('overlay differences', () => {
  it('prod autoscales agent-runner with an HPA; dev leaves it to kubectl scale', () => {
    const prod = kustomize('k8s/overlays/prod');
    const dev = kustomize('k8s/overlays/dev');
    expect(find(prod, 'HorizontalPodAutoscaler', 'agent-runner')).toMatchObject({ spec: { scaleTargetRef: { kind: 'Deployment', name: 'agent-runner' } } });
    expect(find(dev, 'HorizontalPodAutoscaler', 'agent-runner')).toBeUndefined();
    expect(prod.filter((o) => o.kind === 'Secret')).toEqual([]);
    expect(new Set(prod.filter((o) => o.kind !== 'Namespace').map((o) => o.metadata.namespace))).toEqual(new Set(['juggernaut']));
  });

  it('the schema validator rejects a broken object (it is not a rubber stamp)', () => {
    const d = structuredClone(find(kustomize('k8s/overlays/dev'), 'Deployment', 'task-dispatcher')!) as any;
    d.spec.template.spec.containers[0].ports[0].containerPort = 'three thousand';
    expect(() => validateObject(d)).toThrow(/containerPort must be integer/);
    delete d.spec.selector;
    expect(() => validateObject(d)).toThrow(/selector/);
    expect(() => validateObject({ apiVersion: 'apps/v1', kind: 'Deploymint', metadata: { name: 'x' } })).toThrow(/no Kubernetes schema/);
  });
});
