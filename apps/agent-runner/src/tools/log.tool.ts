import { Subjects } from '@juggernaut/contracts';
import type { Bus } from '@juggernaut/messaging';
import { redact } from '@juggernaut/observability';
import { type AgentTool, type JsonSchema, type ToolContext } from './tool';

/** `log`: the agent writes a line to its task's execution log (a note for the humans watching). */
export class LogTool implements AgentTool {
  readonly name = 'log';
  readonly description = "Write a short note to this task's execution log for the operators.";
  readonly minLevel = 1;
  readonly sideEffects = true;
  readonly parameters: JsonSchema = {
    type: 'object',
    properties: {
      message: { type: 'string', minLength: 1, maxLength: 2000 },
      level: { type: 'string', enum: ['info', 'warn'] },
    },
    required: ['message'],
    additionalProperties: false,
  };

  constructor(private readonly bus: Bus) {}

  async run(args: Record<string, unknown>, ctx: ToolContext): Promise<unknown> {
    await this.bus.publish(
      Subjects.logAppend,
      {
        workerId: ctx.workerId,
        taskId: ctx.task.id,
        step: ctx.step,
        action: 'agent.note',
        level: args['level'] === 'warn' ? 'warn' : 'info',
        message: redact(String(args['message'])),
        logId: ctx.idempotencyKey,
      },
      { msgId: ctx.idempotencyKey },
    );
    return { logged: true };
  }
}
