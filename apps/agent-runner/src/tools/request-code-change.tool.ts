import { Subjects } from '@juggernaut/contracts';
import type { Bus } from '@juggernaut/messaging';
import { type AgentTool, type JsonSchema, type ToolContext } from './tool';

/**
 * `request_code_change` (L4): files a change request for the dev-bot as a `dev.change` task
 * (payload {repository, targetBranch?, goal, title?}), which only a level-4 worker with the
 * `dev-bot` capability claims. The agent never edits code itself; the dev-bot's gates, reviewer
 * and approvals decide whether the change is merged.
 */
export class RequestCodeChangeTool implements AgentTool {
  readonly name = 'request_code_change';
  readonly description =
    'Ask the dev-bot for a change to a registered repository: what to change and why, with the acceptance criteria. It is queued as a dev.change task; it does not change code by itself.';
  readonly minLevel = 4;
  readonly sideEffects = true;
  readonly parameters: JsonSchema = {
    type: 'object',
    properties: {
      repository: {
        type: 'string',
        pattern: '^[a-z0-9][a-z0-9._-]{0,99}$',
        description: 'The name of a repository registered with the dev-bot.',
      },
      targetBranch: {
        type: 'string',
        minLength: 1,
        maxLength: 200,
        description: "Default: the repository's default branch.",
      },
      title: { type: 'string', minLength: 1, maxLength: 200 },
      description: { type: 'string', minLength: 1, maxLength: 9000 },
      acceptanceCriteria: { type: 'array', items: { type: 'string', maxLength: 1000 }, maxItems: 20 },
    },
    required: ['repository', 'title', 'description'],
    additionalProperties: false,
  };

  constructor(private readonly bus: Bus) {}

  async run(args: Record<string, unknown>, ctx: ToolContext): Promise<unknown> {
    const criteria = (args['acceptanceCriteria'] as string[] | undefined) ?? [];
    const goal = `${String(args['description'])}${criteria.length ? `\n\nAcceptance criteria:\n${criteria.map((c) => `- ${c}`).join('\n')}` : ''}`;
    return this.bus.request(Subjects.taskSubmit, {
      type: 'dev.change',
      title: String(args['title']),
      requiredLevel: 4,
      requiredCapabilities: ['dev-bot'],
      idempotencyKey: ctx.idempotencyKey,
      payload: {
        repository: String(args['repository']),
        goal,
        title: String(args['title']),
        requestedBy: `task:${ctx.task.id}`,
        ...(typeof args['targetBranch'] === 'string' ? { targetBranch: args['targetBranch'] } : {}),
      },
      ...(ctx.task.goalId ? { goalId: ctx.task.goalId } : {}),
    });
  }
}
