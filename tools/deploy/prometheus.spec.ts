import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { root } from './kubernetes';

/**
 * deploy/: alert rules checked and unit-tested by promtool (from Debian's prometheus package),
 * the compose stack's Prometheus config checked by promtool, the dashboards regenerated from their
 * definitions without drift, and Grafana's provisioning pointing at them. The dashboards' queries
 * run against live data in e2e/prometheus-dashboards.e2e.spec.ts.
 */
const prom = join(root, 'deploy', 'prometheus');
function run(cmd: string, args: string[], cwd = root) {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8' });
  if (r.error) throw new Error(`${cmd} is needed (apt-get install prometheus): ${r.error.message}`);
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

describe('Prometheus alert rules', () => {
  it('pass promtool check rules', () => {
    const r = run('promtool', ['check', 'rules', join(prom, 'alerts.rules.yml')]);
    expect(r.out).toContain('SUCCESS');
    expect(r.status).toBe(0);
  });

  it('pass their unit tests (promtool test rules)', () => {
    const r = run('promtool', ['test', 'rules', 'alerts.test.yml'], prom);
    expect(r.out).toContain('SUCCESS');
    expect(r.status).toBe(0);
  });

  it('the unit tests fail when a rule stops firing as expected (they are not a rubber stamp)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rules-'));
    try {
      cpSync(join(prom, 'alerts.test.yml'), join(dir, 'alerts.test.yml'));
      const rules = readFileSync(join(prom, 'alerts.rules.yml'), 'utf8').replace(
        'max(juggernaut_queue_oldest_pending_age_seconds) > 300',
        'max(juggernaut_queue_oldest_pending_age_seconds) > 30000',
      );
      writeFileSync(join(dir, 'alerts.rules.yml'), rules);
      const r = run('promtool', ['test', 'rules', 'alerts.test.yml'], dir);
      expect(r.status).not.toBe(0);
      expect(r.out).toContain('JuggernautQueueStuck');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('cover every alert the issue asks for, each with a unit test', () => {
    const names = (
      parse(readFileSync(join(prom, 'alerts.rules.yml'), 'utf8')) as {
        groups: Array<{ rules: Array<{ alert: string }> }>;
      }
    ).groups.flatMap((g) => g.rules.map((r) => r.alert));
    expect(names).toEqual(
      expect.arrayContaining([
        'JuggernautQueueStuck',
        'JuggernautNoWorkers',
        'JuggernautDeadLettersRising',
        'JuggernautHighErrorRate',
        'JuggernautServiceDown',
        'JuggernautTargetMissing',
      ]),
    );
    const tested = new Set(
      (
        parse(readFileSync(join(prom, 'alerts.test.yml'), 'utf8')) as {
          tests: Array<{ alert_rule_test: Array<{ alertname: string }> }>;
        }
      ).tests.flatMap((t) => t.alert_rule_test.map((a) => a.alertname)),
    );
    expect(names.filter((n) => !tested.has(n))).toEqual([]);
  });

  it('link every alert to its runbook in docs/runbooks/, and select targets by the label every setup gives them, never the job', () => {
    type Rule = { alert: string; expr: string; annotations: Record<string, string> };
    const rules = (
      parse(readFileSync(join(prom, 'alerts.rules.yml'), 'utf8')) as { groups: Array<{ rules: Rule[] }> }
    ).groups.flatMap((g) => g.rules);
    for (const r of rules) {
      const runbook = /^https:\/\/github\.com\/juggernaut\/juggernaut\/blob\/main\/(docs\/runbooks\/[a-z-]+\.md)$/.exec(
        r.annotations['runbook_url'] ?? '',
      );
      expect([r.alert, runbook && existsSync(join(root, runbook[1]!))]).toEqual([r.alert, true]);
      expect([r.alert, r.expr]).not.toEqual([r.alert, expect.stringMatching(/job\s*=/)]);
    }
    // every service has its own absent() (absent names the missing one by the label it matches on)
    const missing = rules.find((r) => r.alert === 'JuggernautTargetMissing')!.expr;
    const apps = readdirSync(join(root, 'apps')).filter((a) => existsSync(join(root, 'apps', a, 'src', 'main.ts')));
    expect([...missing.matchAll(/absent\(up\{service="([^"]+)"\}\)/g)].map((m) => m[1]).sort()).toEqual(apps.sort());
    const down = rules.find((r) => r.alert === 'JuggernautServiceDown')!.expr;
    expect(/service=~"([^"]+)"/.exec(down)![1]!.split('|').sort()).toEqual(apps.sort());
  });

  it('label every target with its service in the compose and npm start configurations, as the Kubernetes PodMonitor does', () => {
    type Job = {
      honor_labels?: boolean;
      static_configs?: Array<{ labels?: Record<string, string> }>;
      relabel_configs?: Array<{ target_label?: string }>;
    };
    for (const file of ['prometheus.compose.yml', 'prometheus.local.yml']) {
      for (const job of (parse(readFileSync(join(prom, file), 'utf8')) as { scrape_configs: Job[] }).scrape_configs) {
        const labelled =
          (job.relabel_configs ?? []).some((r) => r.target_label === 'service') ||
          (job.static_configs ?? []).every((c) => c.labels?.['service']);
        expect([file, labelled, job.honor_labels]).toEqual([file, true, true]);
      }
    }
  });
});

describe('Prometheus and Grafana configuration', () => {
  it("the compose stack's Prometheus config passes promtool check config", () => {
    const r = run('promtool', ['check', 'config', join(prom, 'prometheus.compose.yml')]);
    expect(r.status).toBe(0);
  });

  it("the local stack's Prometheus config passes promtool check config", () => {
    const r = run('promtool', ['check', 'config', join(prom, 'prometheus.local.yml')]);
    expect(r.status).toBe(0);
  });

  it('scrapes the port each service serves health and metrics on, never the API port', () => {
    type Config = {
      scrape_configs: Array<{
        static_configs?: Array<{ targets: string[] }>;
        dns_sd_configs?: Array<{ port: number }>;
      }>;
    };
    const ports = (file: string) => {
      const c = parse(readFileSync(join(prom, file), 'utf8')) as Config;
      return c.scrape_configs.flatMap((j) => [
        ...(j.static_configs ?? []).flatMap((s) => s.targets.map((t) => Number(t.split(':')[1]))),
        ...(j.dns_sd_configs ?? []).map((d) => d.port),
      ]);
    };
    const compose = parse(readFileSync(join(root, 'docker', 'compose.yaml'), 'utf8'), { merge: true }) as {
      services: Record<string, { environment?: Record<string, string> }>;
    };
    const composeMetrics = Number(compose.services['task-dispatcher']!.environment!['METRICS_PORT']);
    expect(composeMetrics).toBe(9464);
    expect(new Set(ports('prometheus.compose.yml'))).toEqual(new Set([composeMetrics]));
    // npm start: JUGGERNAUT_METRICS_PORT_BASE (9400) + each service's offset, runners from 9410 (tools/stack/services.mjs)
    expect(ports('prometheus.local.yml').sort()).toEqual([9400, 9401, 9402, 9403, 9404, 9410, 9411]);
    expect(readFileSync(join(root, 'tools', 'stack', 'services.mjs'), 'utf8')).toMatch(
      /JUGGERNAUT_METRICS_PORT_BASE \|\| 9400/,
    );
  });

  it('the dashboards are what deploy/grafana/dashboards.mjs generates', () => {
    const r = run(process.execPath, [join(root, 'deploy', 'grafana', 'dashboards.mjs'), '--check']);
    expect(r.out).toBe('');
    expect(r.status).toBe(0);
  });

  it("Kubernetes' PrometheusRule and dashboard ConfigMaps are what deploy/k8s-monitoring.mjs generates from the rules and dashboards", () => {
    const r = run(process.execPath, [join(root, 'deploy', 'k8s-monitoring.mjs'), '--check']);
    expect(r.out).toBe('');
    expect(r.status).toBe(0);
  });

  it('Grafana provisioning loads the dashboards from the folder compose mounts, against the datasource every panel names', () => {
    const grafana = join(root, 'deploy', 'grafana');
    const provider = parse(readFileSync(join(grafana, 'provisioning', 'dashboards', 'juggernaut.yaml'), 'utf8'));
    const datasource = parse(readFileSync(join(grafana, 'provisioning', 'datasources', 'prometheus.yaml'), 'utf8'));
    const compose = readFileSync(join(root, 'docker', 'compose.yaml'), 'utf8');
    expect(compose).toContain(`../deploy/grafana/dashboards:${provider.providers[0].options.path}:ro`);
    const uid = datasource.datasources[0].uid;
    const files = readdirSync(join(grafana, 'dashboards')).filter((f) => f.endsWith('.json'));
    expect(files.sort()).toEqual([
      'agents.json',
      'experiments.json',
      'money.json',
      'overview.json',
      'service-health.json',
    ]);
    for (const f of files) {
      const d = JSON.parse(readFileSync(join(grafana, 'dashboards', f), 'utf8'));
      for (const p of d.panels) expect(p.datasource.uid).toBe(uid);
    }
  });
});
