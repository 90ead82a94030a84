import { Subjects } from '@juggernaut/contracts';
import type { Bus } from '@juggernaut/messaging';
import { createHash } from 'node:crypto';
import { type AgentTool, type JsonSchema, type ToolContext, ToolError } from './tool';

/** The dedupe key of an opportunity: the same type, category and description is the same opportunity. */
export function opportunityKey(type: string, category: string, description: string): string {
  const norm = (s: string) => s.trim().toLowerCase().replace(/\s+/g, ' ');
  return `opp:${createHash('sha256')
    .update(`${norm(type)}\n${norm(category)}\n${norm(description)}`)
    .digest('hex')
    .slice(0, 40)}`;
}

/** `create_opportunity`: records a revenue opportunity in governance (deduplicated). */
export class CreateOpportunityTool implements AgentTool {
  readonly name = 'create_opportunity';
  readonly description =
    'Record a revenue opportunity with its estimated value (integer minor units, e.g. cents) and confidence (0-1). Duplicates are merged.';
  readonly minLevel = 3;
  readonly sideEffects = true;
  readonly parameters: JsonSchema = {
    type: 'object',
    properties: {
      opportunityType: { type: 'string', minLength: 1, maxLength: 100 },
      category: { type: 'string', minLength: 1, maxLength: 100 },
      description: { type: 'string', minLength: 1, maxLength: 5000 },
      estimatedValueMinor: { type: 'integer', minimum: 0, maximum: 1e15 },
      confidenceScore: { type: 'number', minimum: 0, maximum: 1 },
      source: { type: 'string', maxLength: 2048 },
      dedupeKey: { type: 'string', maxLength: 200, description: 'Optional stable key (e.g. the source item URL).' },
    },
    required: ['opportunityType', 'category', 'description', 'estimatedValueMinor', 'confidenceScore'],
    additionalProperties: false,
  };

  constructor(private readonly bus: Bus) {}

  async run(args: Record<string, unknown>, ctx: ToolContext): Promise<unknown> {
    const type = String(args['opportunityType']);
    const category = String(args['category']);
    const description = String(args['description']);
    try {
      const opp = await this.bus.request(Subjects.opportunityCreate, {
        opportunityType: type,
        category,
        description,
        estimatedValueMinor: Number(args['estimatedValueMinor']),
        confidenceScore: Number(args['confidenceScore']),
        dedupeKey:
          typeof args['dedupeKey'] === 'string' && args['dedupeKey']
            ? `opp:${args['dedupeKey']}`.slice(0, 200)
            : opportunityKey(type, category, description),
        workerId: ctx.workerId,
        taskId: ctx.task.id,
        ...(typeof args['source'] === 'string' ? { source: args['source'] } : {}),
      });
      return { id: opp.id, status: opp.status, dedupeKey: opp.dedupeKey };
    } catch (e) {
      if ((e as { status?: number }).status === 400) throw new ToolError((e as Error).message);
      throw e;
    }
  }
}
