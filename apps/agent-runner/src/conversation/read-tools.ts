import {
  ALERT_KINDS,
  APPROVAL_STATUSES,
  CONVERSATION_READ_ROLES,
  type ConversationRead,
  EXPERIMENT_STATUSES,
  GOAL_STATUSES,
  LEDGER_KINDS,
  LOG_LEVELS,
  PNL_GROUPS,
  PNL_PERIODS,
  Subjects,
  TASK_STATUSES,
} from '@juggernaut/contracts';
import { Bus, RpcError } from '@juggernaut/messaging';
import { type AgentTool, type JsonSchema, type ToolContext, ToolDeniedError, ToolError } from '../tools/tool';

const uuid = { type: 'string', format: 'uuid' };
const limit = { type: 'integer', minimum: 1, maximum: 200, description: 'At most this many (default 50).' };
const cursor = { type: 'string', maxLength: 512, description: 'nextCursor of the previous page.' };
const time = { type: 'string', maxLength: 40, description: 'ISO 8601, e.g. 2026-05-01T00:00:00Z.' };
const text = { type: 'string', maxLength: 200 };
const object = (properties: Record<string, unknown>, required: string[] = []): JsonSchema => ({
  type: 'object',
  properties,
  ...(required.length ? { required } : {}),
  additionalProperties: false,
});
const byId = (what: string) => object({ id: { ...uuid, description: `The ${what}'s id.` } }, ['id']);

interface ReadSpec {
  name: string;
  resource: ConversationRead;
  description: string;
  parameters: JsonSchema;
}

/**
 * The tools of a conversation: each the same read as a REST route (GET …), asked of governance-api
 * for the turn's caller, so what they show follows the caller's role. None of them changes anything.
 */
export const READ_TOOLS: readonly ReadSpec[] = [
  {
    name: 'ledger_summary',
    resource: 'ledger.summary',
    description:
      'Business totals from the ledger: revenue, cost and net per currency (minor units), and progress to the revenue target (GET /ledger/summary).',
    parameters: object({}),
  },
  {
    name: 'ledger_balances',
    resource: 'ledger.balances',
    description:
      'Balance of a ledger account and its subaccounts, now or as of a time (GET /ledger/balances). Accounts: revenue, expenses, assets, …',
    parameters: object(
      { account: { type: 'string', maxLength: 200, description: 'e.g. revenue, expenses:llm' }, asOf: time },
      ['account'],
    ),
  },
  {
    name: 'ledger_pnl',
    resource: 'ledger.pnl',
    description:
      "Profit and loss grouped by period, source, experiment, goal or task type, in minor units (GET /ledger/pnl). Grouped by experiment, each row's key is the experiment id.",
    parameters: object(
      {
        groupBy: { type: 'string', enum: [...PNL_GROUPS] },
        period: { type: 'string', enum: [...PNL_PERIODS] },
        from: time,
        to: time,
        currency: { type: 'string', pattern: '^[A-Z]{3}$' },
      },
      ['groupBy'],
    ),
  },
  {
    name: 'ledger_transactions',
    resource: 'ledger.transactions',
    description:
      'Ledger transactions, newest first, filtered by kind, account, experiment, goal, task or event (GET /ledger/transactions).',
    parameters: object({
      kind: { type: 'string', enum: [...LEDGER_KINDS] },
      account: text,
      experimentId: text,
      goalId: text,
      taskId: text,
      eventId: text,
      limit,
      cursor,
    }),
  },
  {
    name: 'ledger_transaction',
    resource: 'ledger.transaction',
    description: 'One ledger transaction with its postings (GET /ledger/transactions/{id}).',
    parameters: byId('transaction'),
  },
  {
    name: 'tasks_list',
    resource: 'tasks',
    description: 'Tasks, newest first, by status, type, goal, worker or parent (GET /tasks).',
    parameters: object({
      status: { type: 'string', enum: [...TASK_STATUSES] },
      type: { type: 'string', maxLength: 100 },
      goalId: uuid,
      workerId: text,
      parentTaskId: uuid,
      limit,
      cursor,
    }),
  },
  {
    name: 'task_get',
    resource: 'task',
    description: 'One task with every state change it went through and why (GET /tasks/{id}).',
    parameters: byId('task'),
  },
  {
    name: 'goals_list',
    resource: 'goals',
    description: 'Goals, newest first (GET /goals).',
    parameters: object({ status: { type: 'string', enum: [...GOAL_STATUSES] }, limit, cursor }),
  },
  {
    name: 'goal_get',
    resource: 'goal',
    description:
      'One goal with its success criteria, budget and progress counted over every task under it (GET /goals/{id}).',
    parameters: byId('goal'),
  },
  {
    name: 'goal_progress',
    resource: 'goal.progress',
    description: "A goal's tasks with their states and reasons: why a goal is stuck (GET /goals/{id}/progress).",
    parameters: byId('goal'),
  },
  {
    name: 'experiments_list',
    resource: 'experiments',
    description: 'Revenue experiments, newest first (GET /experiments).',
    parameters: object({ status: { type: 'string', enum: [...EXPERIMENT_STATUSES] }, limit, cursor }),
  },
  {
    name: 'experiment_get',
    resource: 'experiment',
    description: 'One experiment with its variants and latest decisions (GET /experiments/{id}).',
    parameters: byId('experiment'),
  },
  {
    name: 'experiment_results',
    resource: 'experiment.results',
    description:
      "An experiment's statistics now: per variant, chance to beat control, expected loss, tests, guardrails and what the rules would decide (GET /experiments/{id}/results).",
    parameters: byId('experiment'),
  },
  {
    name: 'workers_list',
    resource: 'workers',
    description:
      "Agent workers with level, status, current tasks and today's model spend against the per-worker cap (GET /workers).",
    parameters: object({ status: { type: 'string', enum: ['online', 'draining', 'offline'] } }),
  },
  {
    name: 'worker_get',
    resource: 'worker',
    description: "One worker, by its id (e.g. agent-runner-3), with today's spend (GET /workers/{id}).",
    parameters: object({ id: { type: 'string', maxLength: 200 } }, ['id']),
  },
  {
    name: 'budget_usage',
    resource: 'budgets.usage',
    description: 'Model spend today (UTC), globally, by level and by worker, in minor units (GET /budgets/usage).',
    parameters: object({}),
  },
  {
    name: 'alerts_list',
    resource: 'alerts',
    description:
      'Alerts the monitor raised (stuck tasks, silent workers, budget burn, error spikes …), newest first (GET /alerts).',
    parameters: object({
      status: { type: 'string', enum: ['active', 'resolved'] },
      kind: { type: 'string', enum: [...ALERT_KINDS] },
      limit,
      cursor,
    }),
  },
  {
    name: 'approvals_list',
    resource: 'approvals',
    description: 'Approvals, newest first; status pending is what waits for a human (GET /approvals).',
    parameters: object({
      status: { type: 'string', enum: [...APPROVAL_STATUSES] },
      action: text,
      taskId: uuid,
      workerId: text,
      limit,
      cursor,
    }),
  },
  {
    name: 'logs_list',
    resource: 'logs',
    description: 'Execution log lines (every agent step), newest first, by task, worker, action or level (GET /logs).',
    parameters: object({
      taskId: uuid,
      workerId: text,
      action: text,
      level: { type: 'string', enum: [...LOG_LEVELS] },
      since: time,
      limit,
      cursor,
    }),
  },
  {
    name: 'audit_log',
    resource: 'audit',
    description: 'The audit log: who changed what, newest first (GET /audit; admin and operator keys only).',
    parameters: object({
      actor: text,
      action: { type: 'string', maxLength: 100 },
      resourceType: { type: 'string', maxLength: 100 },
      resourceId: text,
      since: time,
      until: time,
      limit,
      cursor,
    }),
  },
  {
    name: 'api_keys_list',
    resource: 'api-keys',
    description: 'API keys: names, roles, last use (never the keys themselves) (GET /api-keys; admin keys only).',
    parameters: object({}),
  },
];

/** Counts what a list holds, so a count the answer states has a tool result to rest on. */
function counted(result: unknown): unknown {
  if (Array.isArray(result)) return { count: result.length, items: result };
  if (result && typeof result === 'object' && Array.isArray((result as { items?: unknown }).items)) {
    return { count: (result as { items: unknown[] }).items.length, ...(result as object) };
  }
  return result;
}

class ReadTool implements AgentTool {
  readonly minLevel = 2;
  readonly sideEffects = false;
  readonly name: string;
  readonly description: string;
  readonly parameters: JsonSchema;

  constructor(
    private readonly spec: ReadSpec,
    private readonly bus: Bus,
  ) {
    this.name = spec.name;
    this.description = spec.description;
    this.parameters = spec.parameters;
  }

  async run(args: Record<string, unknown>, ctx: ToolContext): Promise<unknown> {
    try {
      return counted(
        await this.bus.request(
          Subjects.conversationRead,
          { taskId: ctx.task.id, resource: this.spec.resource, query: args },
          20_000,
        ),
      );
    } catch (e) {
      if (e instanceof RpcError && e.status === 403) throw new ToolDeniedError(e.message);
      if (e instanceof RpcError) throw new ToolError(e.message);
      throw e;
    }
  }
}

/** The read tools a caller of this role may use: those whose REST route allows the role. */
export function readToolsFor(role: string, bus: Bus): AgentTool[] {
  return READ_TOOLS.filter((t) => CONVERSATION_READ_ROLES[t.resource].includes(role)).map((t) => new ReadTool(t, bus));
}

/** Why a read tool is refused to this role, or undefined when it is not a read tool. */
export function readRefusal(name: string, role: string): string | undefined {
  const t = READ_TOOLS.find((x) => x.name === name);
  if (!t) return undefined;
  const roles = CONVERSATION_READ_ROLES[t.resource];
  const route = t.description.match(/\(GET [^;)]*/)?.[0]?.slice(1) ?? t.resource;
  return `${name} reads what only ${roles.join(' and ')} keys may read (${route}), and this conversation's caller holds a ${role} key. Tell the caller so: someone with such a key must ask.`;
}
