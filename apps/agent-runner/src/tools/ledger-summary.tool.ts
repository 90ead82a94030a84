import { Subjects } from '@juggernaut/contracts';
import type { Bus } from '@juggernaut/messaging';
import { type AgentTool, type JsonSchema } from './tool';

/** `ledger_summary` (read-only): revenue, cost and progress to the target, from the ledger. */
export class LedgerSummaryTool implements AgentTool {
  readonly name = 'ledger_summary';
  readonly description =
    'Read the business totals from the ledger: revenue and cost by currency and progress to the revenue target (amounts in minor units).';
  readonly minLevel = 2;
  readonly sideEffects = false;
  readonly parameters: JsonSchema = { type: 'object', properties: {}, additionalProperties: false };

  constructor(private readonly bus: Bus) {}

  run(): Promise<unknown> {
    return this.bus.request(Subjects.ledgerSummaryGet, {});
  }
}
