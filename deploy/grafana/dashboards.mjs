#!/usr/bin/env node
// Writes the Grafana dashboards in deploy/grafana/dashboards/ from the definitions below:
// `npm run dashboards`; `--check` only reports dashboards that differ from their definitions. Every panel queries metrics the services serve; the e2e test
// e2e/prometheus-dashboards.e2e.spec.ts runs each panel's query against a real Prometheus
// scraping the running services and fails on any that returns no data.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

const out = join(dirname(fileURLToPath(import.meta.url)), 'dashboards');
const ds = { type: 'prometheus', uid: 'prometheus' };
const R = '$__rate_interval';
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The backlog agent-runner's autoscaler reads, as its ScaledObject queries it (one definition, shown as is). */
const runnerBacklog = parse(
  readFileSync(join(root, 'k8s', 'components', 'keda-autoscaling', 'scaled-object.yaml'), 'utf8'),
).spec.triggers[0].metadata.query;
/** The services' targets, as every scrape configuration labels them (compose, npm start, the Kubernetes PodMonitor). */
const SERVICES = 'governance-api|task-dispatcher|revenue-ledger|experiment-tracker|dev-bot|agent-runner';

/** A time series panel: [expr, legend] pairs. */
const ts = (title, unit, targets, description = '') => ({ type: 'timeseries', title, unit, targets, description });
/** A single-number panel. */
const stat = (title, unit, expr, description = '') => ({
  type: 'stat',
  title,
  unit,
  targets: [[expr, title]],
  description,
});

const quantile = (q, metric, by = '') =>
  `histogram_quantile(${q}, sum by (le${by ? `, ${by}` : ''}) (rate(${metric}_bucket[${R}])))`;

const dashboards = {
  overview: {
    title: 'Juggernaut — Overview',
    description: 'Task throughput, pickup latency, queue depth and age, workers, failures and dead letters.',
    panels: [
      stat('Queue depth', 'short', 'max(juggernaut_queue_depth)', 'Tasks due and waiting for a runner.'),
      stat(
        'Oldest due task',
        's',
        'max(juggernaut_queue_oldest_pending_age_seconds)',
        'How long the oldest due task has waited.',
      ),
      stat(
        'Workers online',
        'short',
        'max(juggernaut_workers_online)',
        'Agent runners heartbeating (draining ones included).',
      ),
      stat(
        'Dead tasks',
        'short',
        'max(juggernaut_tasks{state="dead"})',
        'Tasks that exhausted their attempts; redrive with POST /api/v1/tasks/:id/retry.',
      ),
      ts('Throughput (tasks finished per second)', 'ops', [
        [`sum by (outcome) (rate(juggernaut_tasks_completed_total[${R}]))`, '{{outcome}}'],
      ]),
      ts('Tasks created per second', 'ops', [
        [`sum by (type) (rate(juggernaut_tasks_created_total[${R}]))`, '{{type}}'],
      ]),
      ts(
        'Pickup latency',
        's',
        [
          [quantile(0.5, 'juggernaut_task_pickup_latency_seconds'), 'p50'],
          [quantile(0.95, 'juggernaut_task_pickup_latency_seconds'), 'p95'],
          [quantile(0.99, 'juggernaut_task_pickup_latency_seconds'), 'p99'],
        ],
        'From due (created or run-at) to claimed.',
      ),
      ts('Run time p95 by type', 's', [[quantile(0.95, 'juggernaut_task_run_duration_seconds', 'type'), '{{type}}']]),
      ts('Queue depth and oldest due task', 'short', [
        ['max(juggernaut_queue_depth)', 'depth'],
        ['max(juggernaut_queue_oldest_pending_age_seconds)', 'oldest age (s)'],
      ]),
      ts('Tasks by state', 'short', [['max by (state) (juggernaut_tasks)', '{{state}}']]),
      ts(
        'Failures per second',
        'ops',
        [
          [
            `sum by (type, outcome) (rate(juggernaut_tasks_completed_total{outcome=~"failed|dead"}[${R}]))`,
            '{{type}} {{outcome}}',
          ],
        ],
        'Failed attempts (retried) and tasks that went dead.',
      ),
      ts('Dead-lettered messages (last hour)', 'short', [
        [
          'sum by (service, subject) (increase(juggernaut_messages_dead_lettered_total[1h]))',
          '{{service}} {{subject}}',
        ],
      ]),
      ts('Workers online and leases expired', 'short', [
        ['max(juggernaut_workers_online)', 'workers online'],
        ['sum(increase(juggernaut_leases_expired_total[1h]))', 'leases expired (last hour)'],
      ]),
    ],
  },
  agents: {
    title: 'Juggernaut — Agents',
    description:
      'What the agent runners are doing, and the governance around them: approvals, kill switch, policy, audit.',
    panels: [
      stat('Tasks running', 'short', 'sum(juggernaut_runner_tasks_running)'),
      stat(
        'Runner backlog (autoscaler)',
        'short',
        runnerBacklog,
        'Due and running tasks the runners take (their types, levels 1-3), 0 while the kill switch is engaged: KEDA runs one runner per 8 of them (k8s/components/keda-autoscaling).',
      ),
      stat(
        'Approvals waiting',
        'short',
        'max(juggernaut_approvals_pending)',
        'Risky actions waiting for a human decision (GET /api/v1/approvals).',
      ),
      stat(
        'Kill switch',
        'short',
        'max(juggernaut_kill_switch_engaged)',
        '1 while engaged: no task is claimed (PUT /api/v1/policies/kill-switch).',
      ),
      stat('Policy version', 'short', 'max(juggernaut_policy_version)', 'Version of the policy in force.'),
      stat(
        'LLM spend, last 24 h (minor units)',
        'short',
        'sum by (currency) (increase(juggernaut_llm_cost_minor_total[24h]))',
        'From provider-reported usage at the configured prices.',
      ),
      stat(
        'Tool denials, last hour',
        'short',
        'sum(increase(juggernaut_tool_calls_total{outcome="denied"}[1h]))',
        "Tool calls refused: the worker's level is below the tool's, or an approval was rejected or expired.",
      ),
      stat(
        'Budget reserved, last hour (minor units)',
        'short',
        'sum(increase(juggernaut_budget_reserved_minor_total[1h]))',
        'Reserved before each model call, settled against reported usage.',
      ),
      ts('Tasks running per runner', 'short', [
        ['sum by (instance) (juggernaut_runner_tasks_running)', '{{instance}}'],
      ]),
      ts(
        'Due and running tasks by type and level',
        'short',
        [['max by (type, level, state) (juggernaut_tasks_due_or_running)', '{{type}} L{{level}} {{state}}']],
        'What the runners could be doing now, read from the queue; the autoscaler counts the types and levels the runners claim.',
      ),
      ts('Handler time p95 by type', 's', [
        [quantile(0.95, 'juggernaut_runner_task_duration_seconds', 'type'), '{{type}}'],
      ]),
      ts('Tasks handled per second by outcome', 'ops', [
        [`sum by (outcome) (rate(juggernaut_runner_task_duration_seconds_count[${R}]))`, '{{outcome}}'],
      ]),
      ts(
        'Leases lost (last hour)',
        'short',
        [['sum by (instance) (increase(juggernaut_runner_leases_lost_total[1h]))', '{{instance}}']],
        'Tasks cancelled or reclaimed while a runner worked on them.',
      ),
      ts('LLM tokens per second', 'short', [
        [`sum by (model, kind) (rate(juggernaut_llm_tokens_total[${R}]))`, '{{model}} {{kind}}'],
      ]),
      ts(
        'LLM spend against budget reservations (per hour, minor units)',
        'short',
        [
          ['sum by (model, currency) (increase(juggernaut_llm_cost_minor_total[1h]))', 'spent {{model}} {{currency}}'],
          ['sum(increase(juggernaut_budget_reserved_minor_total[1h]))', 'reserved'],
        ],
        'Spend settles reservations; a large gap means reservations are far above real usage.',
      ),
      ts('LLM request time p95', 's', [
        [quantile(0.95, 'juggernaut_llm_request_duration_seconds', 'model'), '{{model}}'],
      ]),
      ts(
        'Tool calls by outcome (last hour)',
        'short',
        [['sum by (tool, outcome) (increase(juggernaut_tool_calls_total[1h]))', '{{tool}} {{outcome}}']],
        'ok, error, denied (level or approval), approval (waiting).',
      ),
      ts('Agent runs by stop reason (last hour)', 'short', [
        ['sum by (type, stop_reason) (increase(juggernaut_agent_runs_total[1h]))', '{{type}} {{stop_reason}}'],
      ]),
      ts('Approvals waiting and kill switch', 'short', [
        ['max(juggernaut_approvals_pending)', 'approvals waiting'],
        ['max(juggernaut_kill_switch_engaged)', 'kill switch engaged'],
      ]),
      ts('Audit entries per second by action', 'ops', [
        [`sum by (action) (rate(juggernaut_audit_entries_total[${R}]))`, '{{action}}'],
      ]),
    ],
  },
  money: {
    title: 'Juggernaut — Money',
    description:
      'Revenue and cost by source, profit and loss, progress to the revenue target. Amounts in minor units (cents).',
    panels: [
      stat(
        'Progress to target',
        'percentunit',
        'max(juggernaut_ledger_target_progress_ratio)',
        'Revenue to date over the revenue target, in the base currency.',
      ),
      stat(
        'Net income (minor units)',
        'short',
        'max by (currency) (juggernaut_ledger_net_income_minor)',
        'Revenue minus cost, all time, per currency.',
      ),
      stat(
        'Revenue, last 24 h (minor units)',
        'short',
        'sum by (currency) (increase(juggernaut_ledger_revenue_minor_total[24h]))',
      ),
      stat(
        'Cost, last 24 h (minor units)',
        'short',
        'sum by (currency) (increase(juggernaut_ledger_cost_minor_total[24h]))',
      ),
      ts('Revenue by source (per hour)', 'short', [
        ['sum by (currency, source) (increase(juggernaut_ledger_revenue_minor_total[1h]))', '{{source}} {{currency}}'],
      ]),
      ts('Cost by category (per hour)', 'short', [
        ['sum by (currency, category) (increase(juggernaut_ledger_cost_minor_total[1h]))', '{{category}} {{currency}}'],
      ]),
      ts('Profit and loss (net income)', 'short', [
        ['max by (currency) (juggernaut_ledger_net_income_minor)', '{{currency}}'],
      ]),
      ts('Progress to target', 'percentunit', [['max(juggernaut_ledger_target_progress_ratio)', 'progress']]),
      ts('Transactions per second by kind', 'ops', [
        [`sum by (kind) (rate(juggernaut_ledger_transactions_total[${R}]))`, '{{kind}}'],
      ]),
      ts(
        'Duplicate events skipped (last hour)',
        'short',
        [['sum(increase(juggernaut_ledger_duplicates_total[1h]))', 'duplicates']],
        'Redelivered or re-published events the ledger had already posted.',
      ),
    ],
  },
  experiments: {
    title: 'Juggernaut — Experiments',
    description: 'Revenue experiments: how many run, their traffic, decisions and budget allocation.',
    panels: [
      stat('Experiments running', 'short', 'max(juggernaut_experiments_running)'),
      stat(
        'Exposures, last hour',
        'short',
        'sum(increase(juggernaut_experiment_exposures_total[1h]))',
        'Units exposed for the first time.',
      ),
      stat('Conversions, last hour', 'short', 'sum(increase(juggernaut_experiment_conversions_total[1h]))'),
      ts('Exposures and conversions per second', 'ops', [
        [`sum(rate(juggernaut_experiment_exposures_total[${R}]))`, 'exposures'],
        [`sum(rate(juggernaut_experiment_conversions_total[${R}]))`, 'conversions'],
      ]),
      ts(
        'Decisions (last 24 hours)',
        'short',
        [['sum by (decision) (increase(juggernaut_experiment_decisions_total[24h]))', '{{decision}}']],
        'Starts, stops and what the decision rules concluded.',
      ),
      ts(
        'Budget share by experiment',
        'percentunit',
        [['max by (experiment) (juggernaut_experiment_allocation_ratio)', '{{experiment}}']],
        'Share of the budget pool the last Thompson-sampling allocation gave each running experiment.',
      ),
    ],
  },
  'service-health': {
    title: 'Juggernaut — Service health',
    description: 'HTTP latency and errors, NATS and Postgres health, process resources.',
    panels: [
      ts(
        'Up',
        'short',
        [[`up{service=~"${SERVICES}"}`, '{{service}} {{instance}}']],
        'Scrape succeeded (1) or not (0), by the target label service every scrape configuration sets.',
      ),
      ts(
        'Dependencies reachable',
        'short',
        [['min by (service, dependency) (juggernaut_dependency_up)', '{{service}} → {{dependency}}']],
        'The readiness checks: 1 when the service reaches Postgres or NATS.',
      ),
      ts('HTTP request latency p95', 's', [
        [quantile(0.95, 'juggernaut_http_request_duration_seconds', 'service'), '{{service}}'],
      ]),
      ts('HTTP requests per second', 'reqps', [
        [
          `sum by (service, status_code) (rate(juggernaut_http_request_duration_seconds_count[${R}]))`,
          '{{service}} {{status_code}}',
        ],
      ]),
      ts(
        'HTTP 5xx ratio',
        'percentunit',
        [
          [
            `(sum by (service) (rate(juggernaut_http_request_duration_seconds_count{status_code=~"5.."}[${R}])) or sum by (service) (rate(juggernaut_http_request_duration_seconds_count[${R}])) * 0) / sum by (service) (rate(juggernaut_http_request_duration_seconds_count[${R}]))`,
            '{{service}}',
          ],
        ],
        'Share of answers that are server errors (0 when there are none).',
      ),
      ts('NATS messages handled per second', 'ops', [
        [`sum by (service, outcome) (rate(juggernaut_messages_handled_total[${R}]))`, '{{service}} {{outcome}}'],
      ]),
      ts('NATS messages published per second', 'ops', [
        [`sum by (service) (rate(juggernaut_messages_published_total[${R}]))`, '{{service}}'],
      ]),
      ts('NATS request handling p95', 's', [
        [quantile(0.95, 'juggernaut_request_handler_duration_seconds', 'service'), '{{service}}'],
      ]),
      ts('CPU (cores)', 'short', [
        [`sum by (service) (rate(juggernaut_process_cpu_seconds_total[${R}]))`, '{{service}}'],
      ]),
      ts('Resident memory', 'bytes', [['sum by (service) (juggernaut_process_resident_memory_bytes)', '{{service}}']]),
      ts('Event loop lag p99', 's', [
        ['max by (service) (juggernaut_nodejs_eventloop_lag_p99_seconds)', '{{service}}'],
      ]),
    ],
  },
};

function panelJson(p, id, gridPos) {
  return {
    id,
    type: p.type,
    title: p.title,
    description: p.description,
    datasource: ds,
    gridPos,
    fieldConfig: { defaults: { unit: p.unit }, overrides: [] },
    options:
      p.type === 'stat'
        ? {
            reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false },
            colorMode: 'value',
            graphMode: 'area',
          }
        : {
            legend: { displayMode: 'list', placement: 'bottom', showLegend: true },
            tooltip: { mode: 'multi', sort: 'desc' },
          },
    targets: p.targets.map(([expr, legendFormat], i) => ({
      refId: String.fromCharCode(65 + i),
      datasource: ds,
      expr,
      legendFormat,
      range: true,
    })),
  };
}

/** Stats go four to a row at the top; time series two to a row below them. */
function layout(panels) {
  let x = 0;
  let y = 0;
  let rowHeight = 0;
  return panels.map((p, i) => {
    const [w, h] = p.type === 'stat' ? [6, 4] : [12, 8];
    if (x + w > 24 || (i > 0 && panels[i - 1].type !== p.type)) {
      x = 0;
      y += rowHeight;
      rowHeight = 0;
    }
    const gridPos = { x, y, w, h };
    x += w;
    rowHeight = Math.max(rowHeight, h);
    return panelJson(p, i + 1, gridPos);
  });
}

export function buildDashboards() {
  return Object.entries(dashboards).map(([uid, d]) => ({
    file: `${uid}.json`,
    json: {
      uid: `juggernaut-${uid}`,
      title: d.title,
      description: d.description,
      tags: ['juggernaut'],
      timezone: 'utc',
      schemaVersion: 39,
      version: 1,
      editable: true,
      refresh: '30s',
      time: { from: 'now-1h', to: 'now' },
      templating: { list: [] },
      annotations: { list: [] },
      links: [{ type: 'dashboards', tags: ['juggernaut'], asDropdown: true, title: 'Juggernaut' }],
      panels: layout(d.panels),
    },
  }));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const built = buildDashboards().map(({ file, json }) => ({ file, text: `${JSON.stringify(json, null, 2)}\n` }));
  if (process.argv.includes('--check')) {
    const stale = built
      .filter(({ file, text }) => !existsSync(join(out, file)) || readFileSync(join(out, file), 'utf8') !== text)
      .map((b) => b.file);
    const extra = readdirSync(out).filter((f) => f.endsWith('.json') && !built.some((b) => b.file === f));
    for (const f of stale)
      console.error(
        `deploy/grafana/dashboards/${f} differs from deploy/grafana/dashboards.mjs: run npm run dashboards`,
      );
    for (const f of extra)
      console.error(`deploy/grafana/dashboards/${f} is not defined in deploy/grafana/dashboards.mjs`);
    process.exit(stale.length || extra.length ? 1 : 0);
  }
  mkdirSync(out, { recursive: true });
  for (const { file, text } of built) {
    writeFileSync(join(out, file), text);
    console.log(`wrote deploy/grafana/dashboards/${file}`);
  }
}
