import { Injectable } from '@nestjs/common';
import { Subjects } from '@juggernaut/contracts';
import { Bus } from '@juggernaut/messaging';
import { AgentLoop } from '../agent/agent-loop';
import { budgetLeftMinor } from '../agent/agent-rules';
import { ModelClient } from '@juggernaut/llm';
import { levelFor, SUB_TASK_FIELDS } from '../tools/create-task.tool';
import { ToolRegistry } from '../tools/tool-registry';
import type { JsonSchema } from '../tools/tool';
import { outcomeOf, requireModel } from './agent-goal.handler';
import { checkPlan, type PlannedTask } from './plan-graph';
import { type TaskContext, type TaskHandler, TerminalTaskError } from './task-handler';

const SYSTEM = `You are the planner of Juggernaut, a business run by AI agents under human governance.
Decompose the goal into a small graph of sub-tasks for other agents. Each sub-task has a natural-language goal,
the autonomy level it needs (3: use tools; 4: scan for opportunities, propose experiments; 5: plan), the
capabilities it needs, a budget in minor units, and the keys of sub-tasks it must wait for (listed before it).
Read the goal's notes first: other agents may already have found things.`;

const PLAN: JsonSchema = {
  type: 'object',
  properties: {
    summary: { type: 'string', maxLength: 2000 },
    tasks: {
      type: 'array',
      minItems: 1,
      maxItems: 20,
      items: {
        type: 'object',
        properties: {
          key: { type: 'string', pattern: '^[a-z0-9][a-z0-9_-]{0,39}$' },
          ...SUB_TASK_FIELDS,
          dependsOn: {
            type: 'array',
            items: { type: 'string' },
            maxItems: 20,
            description: 'Keys of sub-tasks listed before this one.',
          },
        },
        required: ['key', 'type', 'title', 'goal', 'requiredLevel', 'budgetMinor'],
        additionalProperties: false,
      },
    },
  },
  required: ['tasks'],
  additionalProperties: false,
};

/**
 * `goal.plan` (L5): decomposes a goal into a DAG of sub-tasks for other agents (levels,
 * capabilities, budgets), checked before anything is created, then submits them under the same
 * goal with their dependencies. The goal's progress is the state of those tasks
 * (`GET /api/v1/goals/{goalId}/progress`). Payload: `{ goal: string }`.
 */
@Injectable()
export class GoalPlanHandler implements TaskHandler {
  readonly type = 'goal.plan';
  readonly minLevel = 5;

  constructor(
    private readonly loop: AgentLoop,
    private readonly model: ModelClient,
    private readonly tools: ToolRegistry,
    private readonly bus: Bus,
  ) {}

  async run(payload: Record<string, unknown>, ctx: TaskContext): Promise<Record<string, unknown>> {
    const goal = payload['goal'];
    if (typeof goal !== 'string' || !goal.trim())
      throw new TerminalTaskError('goal.plan payload: goal must be a non-empty string');
    requireModel(this.model);
    const context = await this.goalContext(ctx.task.goalId);
    // A child never gets more than its parent has: what this task may hand out is its budget minus its own spend.
    const budgetLeft = () =>
      budgetLeftMinor(
        ctx.task.budgetMinor,
        (ctx.task.checkpoint?.['agent'] as { spentMinor?: number } | undefined)?.spentMinor ?? 0,
      );
    const run = await this.loop.run(
      {
        system: SYSTEM,
        user: `Goal: ${goal}\n${context}${ctx.task.budgetMinor !== null ? `Budget for all sub-tasks together: at most ${ctx.task.budgetMinor} minor units, less what planning costs.` : ''}\nAnswer with JSON: {"summary": "...", "tasks": [...]}.`,
        tools: ctx.task.goalId ? [this.tools.get('goal_notes_read')] : [],
        outputSchema: PLAN,
        checkAnswer: (v) => checkPlan((v as { tasks: PlannedTask[] }).tasks, budgetLeft()),
      },
      ctx,
    );
    const { answer, ...summary } = outcomeOf(run);
    const plan = answer as { summary?: string; tasks: PlannedTask[] };
    const left = budgetLeftMinor(ctx.task.budgetMinor, run.costMinor);
    const problem = checkPlan(plan.tasks, left);
    if (problem) throw new TerminalTaskError(`the plan no longer fits: ${problem}`);

    const ids = new Map<string, string>();
    for (const t of plan.tasks) {
      const reply = await this.bus.request(Subjects.taskSubmit, {
        type: t.type,
        title: t.title,
        payload: { goal: t.goal, parentTaskId: ctx.task.id, planKey: t.key },
        requiredLevel: levelFor(t.type, t.requiredLevel),
        budgetMinor: t.budgetMinor,
        // Idempotent per plan and key: a resumed or retried planner never creates a sub-task twice.
        idempotencyKey: `plan:${ctx.task.id}:${t.key}`,
        ...(t.capabilities?.length ? { requiredCapabilities: t.capabilities } : {}),
        ...(t.dependsOn?.length ? { dependsOn: t.dependsOn.map((k) => ids.get(k)!) } : {}),
        ...(ctx.task.goalId ? { goalId: ctx.task.goalId } : {}),
      });
      ids.set(t.key, reply.id);
    }
    if (ctx.task.goalId) {
      await this.bus.request(Subjects.goalNoteAdd, {
        goalId: ctx.task.goalId,
        taskId: ctx.task.id,
        author: ctx.workerId,
        key: 'plan',
        noteId: `plan:${ctx.task.id}`,
        content: `${plan.summary ?? 'Plan'}\n${plan.tasks.map((t) => `- ${t.key} (${ids.get(t.key)}): ${t.title}${t.dependsOn?.length ? ` after ${t.dependsOn.join(', ')}` : ''}`).join('\n')}`,
      });
    }
    return {
      ...summary,
      summary: plan.summary ?? null,
      subTasks: plan.tasks.map((t) => ({
        key: t.key,
        id: ids.get(t.key),
        title: t.title,
        dependsOn: t.dependsOn ?? [],
      })),
    };
  }

  /**
   * What governance knows about the goal (title, success criteria, budget), for the planner. A goal
   * that is achieved or abandoned is not planned for; one governance does not know is planned from
   * the task's own text.
   */
  private async goalContext(goalId: string | null): Promise<string> {
    if (!goalId) return '';
    let g;
    try {
      g = await this.bus.request(Subjects.goalGet, { id: goalId }, 3_000);
    } catch {
      return '';
    }
    if (g.status !== 'active') throw new TerminalTaskError(`goal ${goalId} is ${g.status}; nothing to plan`);
    return (
      `The goal as governance records it: ${g.title}${g.description ? ` — ${g.description}` : ''}\n` +
      `Success criteria:\n${g.successCriteria.map((c) => `- ${c}`).join('\n')}\n` +
      (g.budgetMinor !== null ? `Goal budget: ${g.budgetMinor} ${g.currency} minor units.\n` : '')
    );
  }
}
