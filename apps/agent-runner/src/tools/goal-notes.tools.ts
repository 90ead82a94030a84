import { Subjects } from '@juggernaut/contracts';
import type { Bus } from '@juggernaut/messaging';
import { type AgentTool, type JsonSchema, type ToolContext, ToolError } from './tool';

function goalOf(ctx: ToolContext): string {
  if (!ctx.task.goalId) throw new ToolError('this task has no goal, so there is no goal memory');
  return ctx.task.goalId;
}

/** `goal_note_write`: adds a note to the goal's shared memory, for every task under the goal. */
export class GoalNoteWriteTool implements AgentTool {
  readonly name = 'goal_note_write';
  readonly description =
    "Save a finding to the shared memory of this task's goal, so other agents working on the goal can build on it.";
  readonly minLevel = 2;
  readonly sideEffects = true;
  readonly parameters: JsonSchema = {
    type: 'object',
    properties: {
      key: {
        type: 'string',
        pattern: '^[a-z0-9][a-z0-9_.-]*$',
        maxLength: 100,
        description: 'Topic, e.g. "competitors".',
      },
      content: { type: 'string', minLength: 1, maxLength: 10000 },
    },
    required: ['content'],
    additionalProperties: false,
  };

  constructor(private readonly bus: Bus) {}

  async run(args: Record<string, unknown>, ctx: ToolContext): Promise<unknown> {
    const note = await this.bus.request(Subjects.goalNoteAdd, {
      goalId: goalOf(ctx),
      taskId: ctx.task.id,
      author: ctx.workerId,
      content: String(args['content']),
      noteId: ctx.idempotencyKey,
      ...(typeof args['key'] === 'string' ? { key: args['key'] } : {}),
    });
    return { id: note.id };
  }
}

/** `goal_notes_read`: reads the goal's shared memory (newest first). */
export class GoalNotesReadTool implements AgentTool {
  readonly name = 'goal_notes_read';
  readonly description =
    "Read the shared memory of this task's goal: what other agents working on it found (newest first).";
  readonly minLevel = 2;
  readonly sideEffects = false;
  readonly parameters: JsonSchema = {
    type: 'object',
    properties: { key: { type: 'string', maxLength: 100 }, limit: { type: 'integer', minimum: 1, maximum: 100 } },
    additionalProperties: false,
  };

  constructor(private readonly bus: Bus) {}

  async run(args: Record<string, unknown>, ctx: ToolContext): Promise<unknown> {
    const notes = await this.bus.request(Subjects.goalNoteList, {
      goalId: goalOf(ctx),
      limit: typeof args['limit'] === 'number' ? args['limit'] : 20,
      ...(typeof args['key'] === 'string' ? { key: args['key'] } : {}),
    });
    return notes.map((n) => ({ key: n.key, content: n.content, author: n.author, at: n.createdAt }));
  }
}
