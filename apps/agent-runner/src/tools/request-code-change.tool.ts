import { Subjects } from '@juggernaut/contracts';
import type { Bus } from '@juggernaut/messaging';
import { type AgentTool, type JsonSchema, type ToolContext } from './tool';

/**
 * `request_code_change` (L4): files a change request for the dev-bot as a `code.change` task,
 * which only a runner with the `dev-bot` capability claims. The agent never edits code itself.
 */
export class RequestCodeChangeTool implements AgentTool {
  readonly name = 'request_code_change';
  readonly description = 'Ask the dev-bot for a code change: what to change and why, with the acceptance criteria. It is queued as a code.change task; it does not change code by itself.';
  readonly minLevel = 4;
  readonly sideEffects = true;
  readonly parameters: JsonSchema = {
    type: 'object',
    properties: {
      title: { type: 'string', minLength: 1, maxLength: 200 },
      description: { type: 'string', minLength: 1, maxLength: 10000 },
      acceptanceCriteria: { type: 'array', items: { type: 'string', maxLength: 1000 }, maxItems: 20 },
    },
    required: ['title', 'description'],
    additionalProperties: false,
  };

  constructor(private readonly bus: Bus) {}

  async run(args: Record<string, unknown>, ctx: ToolContext): Promise<unknown> {
    return this.bus.request(Subjects.taskSubmit, {
      type: 'code.change', title: String(args['title']), requiredCapabilities: ['dev-bot'], idempotencyKey: ctx.idempotencyKey,
      payload: { description: String(args['description']), acceptanceCriteria: (args['acceptanceCriteria'] as string[] | undefined) ?? [], requestedBy: ctx.task.id },
      ...(ctx.task.goalId ? { goalId: ctx.task.goalId } : {}),
    });
  }
}
