import { readFileSync } from 'node:fs';
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
  livenessProbe?: { httpGet?: { path: string } }; readinessProbe?: { httpGet?: { path: string } };
  lifecycle?: { preStop?: { exec?: { command: string[] } } };
};
type PodSpec = { containers: Container[]; initContainers?: Container[]; terminationGracePeriodSeconds?: number; securityContext?: Record<string, unknown> };
const podOf = (o: K8sObject) => (o as unknown as { spec: { template: { spec: PodSpec } } }).spec.template.spec;
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
      expect(app.livenessProbe?.httpGet?.path).toBe('/health/live');
      expect(app.readinessProbe?.httpGet?.path).toBe('/health/ready');
      expect(envOf(app, 'NATS_URL')?.valueFrom?.secretKeyRef?.key).toBe('NATS_URL');
      // its own NATS user (a user of that name in deploy/nats/nats-server.conf), from its own optional Secret
      for (const key of ['NATS_USER', 'NATS_PASS']) {
        expect(envOf(app, key)?.valueFrom?.secretKeyRef).toEqual({ name: `juggernaut-nats-${d.metadata.name}`, key, optional: true });
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
