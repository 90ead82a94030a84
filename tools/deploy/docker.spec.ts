import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DockerfileParser, type Instruction } from 'dockerfile-ast';
import { validate } from 'dockerfile-utils';
import { parse } from 'yaml';
import { APPS, root, SCHEMA_OWNERS } from './kubernetes';

/**
 * docker/: the Dockerfile is linted by dockerfile-utils (the linter of the Docker language server)
 * and parsed by dockerfile-ast to check the image's promises; the compose file is validated by
 * docker-compose's own `config`. No Docker engine runs here, so no image is built in this suite.
 */
const dockerfile = readFileSync(join(root, 'docker', 'Dockerfile'), 'utf8');
const lint = (text: string) => validate(text).map((d) => `line ${d.range.start.line + 1}: ${d.message}`);

function stages(text: string): Instruction[][] {
  const out: Instruction[][] = [];
  for (const i of DockerfileParser.parse(text).getInstructions()) {
    if (i.getKeyword() === 'FROM') out.push([]);
    out.at(-1)?.push(i);
  }
  return out;
}
const args = (i: Instruction) => i.getArgumentsContent() ?? '';

describe('docker/Dockerfile', () => {
  it('passes the Dockerfile linter with no problem reported', () => {
    expect(lint(dockerfile)).toEqual([]);
  });

  it('the linter reports a broken Dockerfile (it is not a rubber stamp)', () => {
    expect(lint('FROM node:20-bookworm-slim\nRUNN npm ci\nEXPOSE port\nHEALTHCHECK CMD\n')).toHaveLength(3);
  });

  it('is multi-stage on an exact release of the current Node LTS (24), whose digest is pinned at build time; the runtime stage is non-root, has a HEALTHCHECK on the metrics port and holds only the built app (plus git and bubblewrap for dev-bot)', () => {
    const all = stages(dockerfile);
    expect(all.length).toBeGreaterThanOrEqual(2);
    // an exact release (major.minor.patch), never a moving tag; no digest invented where none could be looked up
    expect(dockerfile).toMatch(/^ARG NODE_IMAGE=node:24\.\d+\.\d+-bookworm-slim$/m);
    expect(dockerfile).toContain('--build-arg NODE_IMAGE=node:24.');
    expect(dockerfile).toMatch(/@sha256:<digest>/);
    // the source's own promise stays what it is tested on
    expect(JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).engines.node).toBe('>=20.19.0');
    for (const s of all) expect(args(s[0]!)).toMatch(/^\$\{NODE_IMAGE\}/);
    const runtime = all.at(-1)!;
    const user = runtime
      .filter((i) => i.getKeyword() === 'USER')
      .map(args)
      .at(-1);
    expect(user).toBeDefined();
    expect(user).not.toMatch(/^(root|0)(:|$)/);
    const health = runtime.find((i) => i.getKeyword() === 'HEALTHCHECK');
    expect(args(health!)).toContain('/health/live');
    // health and metrics have their own port (not the API's), open to the container network only
    expect(args(health!)).toContain('process.env.METRICS_PORT||9464');
    const env = runtime
      .filter((i) => i.getKeyword() === 'ENV')
      .map(args)
      .join(' ');
    expect(env).toMatch(/\bMETRICS_PORT=9464\b/);
    expect(env).toMatch(/\bMETRICS_HOST=0\.0\.0\.0\b/);
    const copies = runtime.filter((i) => i.getKeyword() === 'COPY').map((i) => i.getTextContent());
    expect(copies).toEqual([expect.stringContaining('--from=deps'), expect.stringContaining('/src/dist/apps/${APP}/')]);
    // The one RUN installs tini for every service, and git and bubblewrap (the check sandbox; prlimit comes
    // with util-linux) for dev-bot only; every other service's runtime is node, tini and its bundle.
    const runs = runtime.filter((i) => i.getKeyword() === 'RUN').map(args);
    expect(runs).toEqual([
      expect.stringMatching(
        /^apt-get update\s*\\?\s*&& apt-get install -y --no-install-recommends tini\s*\\?\s*&& if \[ "\$\{APP\}" = "dev-bot" \]; then apt-get install -y --no-install-recommends git bubblewrap/,
      ),
    ]);
  });

  it('runs node under tini, an init process that forwards signals and reaps the children dev-bot leaves behind', () => {
    const runtime = stages(dockerfile).at(-1)!;
    const entrypoint = JSON.parse(args(runtime.find((i) => i.getKeyword() === 'ENTRYPOINT')!)) as string[];
    expect(entrypoint.slice(0, 3)).toEqual(['/usr/bin/tini', '--', 'node']);
    expect(entrypoint.at(-1)).toBe('main.js');
  });

  it("starts node with the services' Node.js options (the heap limit), from the file the build copies beside main.js, as npm start, the benchmarks and the test helpers do", () => {
    const runtime = stages(dockerfile).at(-1)!;
    const entrypoint = JSON.parse(args(runtime.find((i) => i.getKeyword() === 'ENTRYPOINT')!)) as string[];
    expect(runtime.filter((i) => i.getKeyword() === 'WORKDIR').map(args)).toEqual(['/app']);
    expect(entrypoint).toContain('--env-file=/app/service.node.env');
    expect(readFileSync(join(root, 'apps', 'service.webpack.cjs'), 'utf8')).toContain("glob: 'service.node.env'");
    expect(readFileSync(join(root, 'apps', 'service.node.env'), 'utf8')).toMatch(
      /^NODE_OPTIONS=--max-old-space-size=1024$/m,
    );
  });

  it('.dockerignore sends only the sources the build copies', () => {
    const ignore = readFileSync(join(root, '.dockerignore'), 'utf8')
      .split('\n')
      .filter((l) => l && !l.startsWith('#'));
    expect(ignore[0]).toBe('**');
    expect(ignore).toEqual(expect.arrayContaining(['!apps/**', '!libs/**', '**/node_modules', '**/dist']));
  });
});

describe('docker/compose.yaml', () => {
  const composeConfig = (file: string) =>
    spawnSync('docker-compose', ['-f', file, 'config', '-q'], { encoding: 'utf8' });

  it('is valid for docker-compose', () => {
    const r = composeConfig(join(root, 'docker', 'compose.yaml'));
    if (r.error) throw new Error(`docker-compose is needed (apt-get install docker-compose): ${r.error.message}`);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('docker-compose rejects a broken compose file (it is not a rubber stamp)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'compose-'));
    try {
      writeFileSync(
        join(dir, 'compose.yaml'),
        'services:\n  a:\n    image: x\n    depends_on: { b: { condition: when-it-feels-like-it } }\n  b: { image: y }\n',
      );
      expect(composeConfig(join(dir, 'compose.yaml')).status).not.toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('runs Postgres, NATS with JetStream, a migration per schema owner before its service, all six services, Prometheus and Grafana', () => {
    const compose = parse(readFileSync(join(root, 'docker', 'compose.yaml'), 'utf8'), { merge: true }) as {
      services: Record<string, { command?: string[]; depends_on?: Record<string, { condition: string }> }>;
    };
    const names = Object.keys(compose.services);
    expect(names).toEqual(expect.arrayContaining(['postgres', 'nats', 'prometheus', 'grafana', ...APPS]));
    // JetStream is enabled by the configuration file nats runs with (-c deploy/nats/nats-server.conf)
    expect(compose.services['nats']!.command).toContain('-c');
    expect(readFileSync(join(root, 'deploy', 'nats', 'nats-server.conf'), 'utf8')).toMatch(/^jetstream \{/m);
    for (const app of SCHEMA_OWNERS) {
      expect(compose.services[`migrate-${app}`]!.command).toEqual(['migrate']);
      expect(compose.services[app]!.depends_on![`migrate-${app}`]).toEqual({
        condition: 'service_completed_successfully',
      });
    }
  });

  it("migrates as each schema's owner (through the administrator's URL) and runs each service as its runtime role only", () => {
    const compose = parse(readFileSync(join(root, 'docker', 'compose.yaml'), 'utf8'), { merge: true }) as {
      services: Record<string, { environment?: Record<string, string> }>;
    };
    const userOf = (url: string | undefined) => /^postgres:\/\/([^:@/]+)[:@]/.exec(url ?? '')?.[1];
    const runtimeRoles = new Set<string>();
    for (const app of SCHEMA_OWNERS) {
      const migration = compose.services[`migrate-${app}`]!.environment!;
      const service = compose.services[app]!.environment!;
      const admin = userOf(migration['DATABASE_ADMIN_URL']);
      expect(admin).toBe('juggernaut');
      // the migration names the same runtime role (and password) the service connects with
      expect(migration['DATABASE_URL']).toBe(service['DATABASE_URL']);
      const runtime = userOf(service['DATABASE_URL'])!;
      expect(runtime).toMatch(/^jg_[a-z]+$/);
      runtimeRoles.add(runtime);
      expect(service['DATABASE_ADMIN_URL']).toBeUndefined();
    }
    expect(runtimeRoles.size).toBe(SCHEMA_OWNERS.length);
    expect(
      Object.entries(compose.services)
        .filter(([name, s]) => !name.startsWith('migrate-') && s.environment?.['DATABASE_ADMIN_URL'])
        .map(([n]) => n),
    ).toEqual([]);
    // the stateless runner gets no database credentials at all
    expect(compose.services['agent-runner']!.environment?.['DATABASE_URL']).toBeUndefined();
  });

  it('runs NATS with deploy/nats/nats-server.conf, each service logged in as its own user, and publishes no metrics port', () => {
    const compose = parse(readFileSync(join(root, 'docker', 'compose.yaml'), 'utf8'), { merge: true }) as {
      services: Record<
        string,
        { command?: string[]; volumes?: string[]; ports?: string[]; environment?: Record<string, string> }
      >;
    };
    const nats = compose.services['nats']!;
    expect(nats.command).toEqual(['-c', '/etc/nats/nats-server.conf', '-m', '8222']);
    expect(nats.volumes).toContain('../deploy/nats/nats-server.conf:/etc/nats/nats-server.conf:ro');
    const conf = readFileSync(join(root, 'deploy', 'nats', 'nats-server.conf'), 'utf8');
    const wanted = [...conf.matchAll(/password: \$(NATS_PASS_[A-Z_]+)/g)].map((m) => m[1]!).sort();
    expect(Object.keys(nats.environment!).sort()).toEqual(wanted);
    const passwords = new Set<string>();
    for (const app of APPS) {
      const env = compose.services[app]!.environment!;
      expect([app, env['NATS_USER']]).toEqual([app, app]);
      expect(env['NATS_PASS']).toBe(nats.environment![`NATS_PASS_${app.toUpperCase().replace(/-/g, '_')}`]);
      passwords.add(env['NATS_PASS']!);
      expect(env['METRICS_PORT']).toBe('9464');
      expect(compose.services[app]!.ports ?? []).toEqual(app === 'governance-api' ? ['3000:3000'] : []);
    }
    expect(passwords.size).toBe(APPS.length);
  });
});
