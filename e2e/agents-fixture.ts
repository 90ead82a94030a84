import type { NatsConnection } from '@nats-io/transport-node';
import type { BaseEnv } from '@juggernaut/config';
import type {
  AgentStepLogData,
  AgentStopReason,
  CostRecordedV1,
  PolicySettingsV1,
  TaskWithHistory,
} from '@juggernaut/contracts';
import type { RunningService } from '@juggernaut/service-kit';
import { apiClient, connectTestNats, eventually, FakeOpenAI, readStream, TestStack } from '@juggernaut/testing';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { agentRunner } from '../apps/agent-runner/src/service';
import { PolicyState } from '../apps/agent-runner/src/policy/policy-state';
import type { ExecutionLogView } from '../apps/governance-api/src/logs/logs.service';
import { governanceApi } from '../apps/governance-api/src/service';
import { revenueLedger } from '../apps/revenue-ledger/src/service';
import { taskDispatcher } from '../apps/task-dispatcher/src/service';

/**
 * What the agent suites share: governance (policies, approvals, budgets, logs), the dispatcher,
 * an OpenAI-compatible fake server used through the real SDK, and a local HTTP server standing in
 * for the web. Runners are started per suite with the settings each needs.
 */
export const ADMIN = 'agents-admin-key-0123456789abcdef';
export const PRICE = { prompt: 100_000, completion: 200_000 };
/** What the runner must charge for a call with this usage: ceil((p × 100000 + c × 200000) / 1e6). */
export const costOf = (p: number, c: number) => Math.ceil((p * PRICE.prompt + c * PRICE.completion) / 1_000_000);

export const DISPATCH = {
  DISPATCH_LEASE_SECONDS: '2',
  DISPATCH_REAPER_INTERVAL_MS: '100',
  DISPATCH_REAPER_GRACE_MS: '500',
  DISPATCH_RETRY_BASE_MS: '20',
  DISPATCH_RETRY_MAX_MS: '200',
  DISPATCH_TIMER_MAX_MS: '200',
};

export const BASE_POLICY: PolicySettingsV1 = {
  budgets: { currency: 'USD', perTaskCapMinor: 1_000_000, globalDailyCapMinor: 100_000_000 },
  permissions: { taskTypes: {}, tools: {} },
  approvals: { toolsRequiringApproval: [], ttlSeconds: 3600 },
};

/** What a finished agent run puts in its task's result (the scan and plan handlers add their own fields). */
export interface AgentOutcome {
  stopReason: AgentStopReason;
  answer?: unknown;
  steps: number;
  tokens: { prompt: number; completion: number };
  costMinor: number;
  currency: string;
}

/** The result of an opportunity scan. */
export interface ScanOutcome extends Partial<AgentOutcome> {
  scanned: number;
  recorded: Array<{ id: string; item: string }>;
  failures: string[];
}

/** The result of a goal plan: the sub-tasks it submitted. */
export interface PlanOutcome extends AgentOutcome {
  summary: string | null;
  subTasks: Array<{ key: string; id: string; title: string; dependsOn: string[] }>;
}

/** A task as GET /tasks/:id answers it, its result as the handler that ran it writes it (null until it finishes). */
export type AgentTask<R = AgentOutcome> = Omit<TaskWithHistory, 'result'> & { result: R | null };

/** An execution log line as GET /logs answers it; an agent step's line carries the step's data. */
export type AgentLogLine = Omit<ExecutionLogView, 'outputData'> & { outputData: AgentStepLogData | null };

/** A chat message in a request the runner sent to the model (as the fake server recorded it). */
export interface SentMessage {
  role: 'system' | 'developer' | 'user' | 'assistant' | 'tool';
  content: string | null;
  tool_calls?: Array<{ id: string; type: 'function'; function: { name: string; arguments: string } }>;
  tool_call_id?: string;
}

/** A tool offered to the model in such a request. */
export interface OfferedTool {
  type: 'function';
  function: { name: string; description?: string; parameters?: Record<string, unknown> };
}

export class AgentsFixture {
  stack!: TestStack;
  fake!: FakeOpenAI;
  web!: Server;
  nc!: NatsConnection;
  api!: ReturnType<typeof apiClient>;
  /** Pages the local web server serves, by path. */
  readonly pages = new Map<string, { status?: number; type?: string; body: string }>();

  static async start(label: string, governanceEnv: Record<string, string> = {}): Promise<AgentsFixture> {
    const f = new AgentsFixture();
    f.stack = await TestStack.create(label);
    await f.stack.start(governanceApi, { JUGGERNAUT_ADMIN_KEY: ADMIN, ...governanceEnv });
    await f.stack.start(taskDispatcher, DISPATCH);
    await f.stack.start(revenueLedger);
    f.api = apiClient(f.stack.services[0]!.url, ADMIN);
    f.fake = await FakeOpenAI.start();
    f.web = createServer((req, res) => {
      const page = f.pages.get(req.url ?? '');
      res.writeHead(page?.status ?? (page ? 200 : 404), { 'content-type': page?.type ?? 'text/plain' });
      res.end(page?.body ?? 'not found');
    });
    await new Promise<void>((r) => f.web.listen(0, '127.0.0.1', r));
    f.nc = await connectTestNats();
    await f.setPolicy(BASE_POLICY);
    return f;
  }

  get webHost(): string {
    return `127.0.0.1:${(this.web.address() as AddressInfo).port}`;
  }

  runnerEnv(extra: Record<string, string> = {}): Record<string, string> {
    return {
      OPENAI_BASE_URL: this.fake.baseUrl,
      OPENAI_API_KEY: 'sk-test-secret-key-0123456789abcdef',
      JUGGERNAUT_MODEL: 'fake-model',
      AGENT_PRICES: JSON.stringify({ 'fake-model': PRICE }),
      AGENT_MAX_TOKENS: '256',
      AGENT_HTTP_ALLOW_HOSTS: this.webHost,
      AGENT_MODEL_MAX_RETRIES: '2',
      RUNNER_HEARTBEAT_INTERVAL_MS: '300',
      RUNNER_PRESENCE_INTERVAL_MS: '500',
      RUNNER_POLL_INTERVAL_MS: '300',
      RUNNER_DRAIN_MS: '300',
      RUNNER_CONCURRENCY: '4',
      ...extra,
    };
  }

  async startRunner(extra: Record<string, string> = {}): Promise<RunningService<BaseEnv>> {
    const runner = await this.stack.start(agentRunner, this.runnerEnv(extra));
    await eventually(() => runner.app.get(PolicyState).current !== undefined);
    return runner;
  }

  async stopRunner(runner: RunningService<BaseEnv>): Promise<void> {
    await runner.close();
    this.stack.services.splice(this.stack.services.indexOf(runner), 1);
  }

  /** Sets the policy through the REST API and waits until the given runners hold the new version. */
  async setPolicy(settings: PolicySettingsV1, runners: RunningService<BaseEnv>[] = []): Promise<number> {
    const r = await this.api.put('/api/v1/policies', settings);
    if (r.status !== 200) throw new Error(`policy update failed: ${r.status} ${JSON.stringify(r.body)}`);
    await this.awaitVersion(r.body.version, runners);
    return r.body.version;
  }

  async killSwitch(engaged: boolean, runners: RunningService<BaseEnv>[] = []): Promise<void> {
    const r = await this.api.put('/api/v1/policies/kill-switch', { engaged, ...(engaged ? { reason: 'drill' } : {}) });
    if (r.status !== 200) throw new Error(`kill switch failed: ${r.status} ${JSON.stringify(r.body)}`);
    await this.awaitVersion(r.body.version, runners);
  }

  private async awaitVersion(version: number, runners: RunningService<BaseEnv>[]): Promise<void> {
    for (const runner of runners)
      await eventually(() => (runner.app.get(PolicyState).current?.version ?? 0) >= version, 5_000);
  }

  async submit(body: Record<string, unknown>): Promise<string> {
    const r = await this.api.post('/api/v1/tasks', body);
    if (r.status !== 201) throw new Error(`submit failed: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body.id;
  }

  task<R = AgentOutcome>(id: string): Promise<AgentTask<R>> {
    return this.api.get<AgentTask<R>>(`/api/v1/tasks/${id}`).then((r) => r.body);
  }

  until<R = AgentOutcome>(id: string, status: string, ms = 15_000): Promise<AgentTask<R>> {
    return eventually(async () => {
      const t = await this.task<R>(id);
      return t.status === status ? t : undefined;
    }, ms);
  }

  /**
   * The task's execution log through the REST API, in run order: by step, and within a step the
   * model call, then its approvals and tools, then the stop (lines arrive through a stream
   * consumer that stores several at once, so their insertion order is not the run order).
   */
  async steps(id: string): Promise<AgentLogLine[]> {
    const r = await this.api.get<{ items: AgentLogLine[] }>(`/api/v1/logs?taskId=${id}&limit=200`);
    const rank = ['agent.reconcile', 'agent.model', 'agent.approval', 'agent.tool', 'agent.note', 'agent.stop'];
    return r.body.items
      .slice()
      .sort(
        (a, b) =>
          (a.step ?? 0) - (b.step ?? 0) ||
          rank.indexOf(a.action) - rank.indexOf(b.action) ||
          a.createdAt.localeCompare(b.createdAt),
      );
  }

  async costEvents(taskId: string): Promise<CostRecordedV1[]> {
    const all = await readStream<CostRecordedV1>(
      this.nc,
      `${this.stack.namespace}_JUGGERNAUT_INBOUND`,
      `${this.stack.namespace}.juggernaut.cost.recorded.v1`,
    );
    return all.filter((e) => e.taskId === taskId);
  }

  async close(): Promise<void> {
    await this.nc?.close();
    await this.stack?.close();
    await this.fake?.close();
    await new Promise((r) => this.web?.close(r));
  }
}
