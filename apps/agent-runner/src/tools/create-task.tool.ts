import { Subjects } from '@juggernaut/contracts';
import type { Bus } from '@juggernaut/messaging';
import { type AgentTool, type JsonSchema, type ToolContext, ToolError } from './tool';

/** Task types an agent may hand to other agents, with the autonomy level each needs. */
export const TYPE_LEVELS = { 'agent.goal': 3, 'opportunity.scan': 4, 'goal.plan': 5 } as const;
export const DELEGABLE_TYPES = Object.keys(TYPE_LEVELS) as Array<keyof typeof TYPE_LEVELS>;

/** The fields of a sub-task, shared by `create_task` and the plans of `goal.plan`. */
export const SUB_TASK_FIELDS = {
  type: { type: 'string', enum: DELEGABLE_TYPES },
  title: { type: 'string', minLength: 1, maxLength: 200 },
  goal: { type: 'string', minLength: 1, maxLength: 5000 },
  requiredLevel: { type: 'integer', minimum: 1, maximum: 5 },
  capabilities: { type: 'array', items: { type: 'string', maxLength: 100 }, maxItems: 20 },
  budgetMinor: { type: 'integer', minimum: 0 },
};

/** A sub-task never runs below its type's level, whatever level was asked for. */
export function levelFor(type: string, asked: number): number {
  return Math.max(asked, TYPE_LEVELS[type as keyof typeof TYPE_LEVELS] ?? 1);
}

/**
 * `create_task` (L5): hands a sub-task to other agents, under the same goal, with dependencies on
 * tasks created before it. A child never gets more budget than its parent has left.
 */
export class CreateTaskTool implements AgentTool {
  readonly name = 'create_task';
  readonly description =
    'Create a sub-task for another agent under the same goal. Give it a natural-language goal, the level and capabilities it needs, a budget in minor units, and the ids of tasks it must wait for.';
  readonly minLevel = 5;
  readonly sideEffects = true;
  readonly parameters: JsonSchema = {
    type: 'object',
    properties: {
      ...SUB_TASK_FIELDS,
      dependsOn: { type: 'array', items: { type: 'string', format: 'uuid' }, maxItems: 50 },
    },
    required: ['type', 'title', 'goal', 'requiredLevel', 'budgetMinor'],
    additionalProperties: false,
  };

  constructor(private readonly bus: Bus) {}

  amountOf(args: Record<string, unknown>): number {
    return Number(args['budgetMinor']);
  }

  async run(args: Record<string, unknown>, ctx: ToolContext): Promise<unknown> {
    const budget = Number(args['budgetMinor']);
    if (ctx.budgetLeftMinor !== null && budget > ctx.budgetLeftMinor) {
      throw new ToolError(`budgetMinor ${budget} is more than this task has left (${ctx.budgetLeftMinor})`);
    }
    try {
      const reply = await this.bus.request(Subjects.taskSubmit, {
        type: String(args['type']),
        title: String(args['title']),
        payload: { goal: String(args['goal']), parentTaskId: ctx.task.id },
        requiredLevel: levelFor(String(args['type']), Number(args['requiredLevel'])),
        budgetMinor: budget,
        idempotencyKey: ctx.idempotencyKey,
        ...(Array.isArray(args['capabilities']) ? { requiredCapabilities: args['capabilities'] as string[] } : {}),
        ...(Array.isArray(args['dependsOn']) && args['dependsOn'].length
          ? { dependsOn: args['dependsOn'] as string[] }
          : {}),
        ...(ctx.task.goalId ? { goalId: ctx.task.goalId } : {}),
      });
      return reply;
    } catch (e) {
      const status = (e as { status?: number }).status;
      if (status === 400 || status === 409) throw new ToolError((e as Error).message);
      throw e;
    }
  }
}
