import { EXPERIMENT_METRICS, Subjects } from '@juggernaut/contracts';
import type { Bus } from '@juggernaut/messaging';
import { type AgentTool, type JsonSchema, type ToolContext, ToolError } from './tool';

/**
 * `propose_experiment` (L4): drafts a revenue experiment in the experiment tracker. A draft does
 * nothing until someone starts it; its budget counts as money for the approval threshold.
 */
export class ProposeExperimentTool implements AgentTool {
  readonly name = 'propose_experiment';
  readonly description =
    'Draft a revenue experiment (hypothesis, variants with traffic weights, one control, primary metric, budget in minor units). It is created as a draft for a human or an L4+ agent to start.';
  readonly minLevel = 4;
  readonly sideEffects = true;
  readonly parameters: JsonSchema = {
    type: 'object',
    properties: {
      name: { type: 'string', minLength: 1, maxLength: 150 },
      hypothesis: { type: 'string', minLength: 1, maxLength: 5000 },
      primaryMetric: { type: 'string', enum: [...EXPERIMENT_METRICS] },
      variants: {
        type: 'array',
        minItems: 2,
        maxItems: 10,
        items: {
          type: 'object',
          properties: {
            key: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$' },
            name: { type: 'string', maxLength: 200 },
            weight: { type: 'integer', minimum: 1, maximum: 10000 },
            control: { type: 'boolean' },
          },
          required: ['key', 'weight'],
          additionalProperties: false,
        },
      },
      budgetMinor: { type: 'integer', minimum: 0 },
      opportunityId: { type: 'string', format: 'uuid' },
    },
    required: ['name', 'hypothesis', 'primaryMetric', 'variants', 'budgetMinor'],
    additionalProperties: false,
  };

  constructor(private readonly bus: Bus) {}

  amountOf(args: Record<string, unknown>): number {
    return Number(args['budgetMinor']);
  }

  async run(args: Record<string, unknown>, ctx: ToolContext): Promise<unknown> {
    // The tracker has no idempotency key: the call's key is stored as the author, and a re-run finds its draft.
    const author = `agent:${ctx.idempotencyKey}`.slice(0, 200);
    const drafts = await this.bus.request(Subjects.experimentList, { status: 'draft', limit: 200 });
    const existing = drafts.items.find((e) => e.createdBy === author);
    if (existing) return { id: existing.id, status: existing.status };
    try {
      const created = await this.bus.request(Subjects.experimentCreate, {
        name: String(args['name']),
        hypothesis: String(args['hypothesis']),
        primaryMetric: args['primaryMetric'] as (typeof EXPERIMENT_METRICS)[number],
        variants: args['variants'] as Array<{ key: string; weight: number; name?: string; control?: boolean }>,
        budgetMinor: Number(args['budgetMinor']),
        createdBy: author,
        ...(typeof args['opportunityId'] === 'string' ? { opportunityId: args['opportunityId'] } : {}),
      });
      return { id: created.id, status: created.status };
    } catch (e) {
      const status = (e as { status?: number }).status;
      if (status === 400 || status === 409) throw new ToolError((e as Error).message);
      throw e;
    }
  }
}
