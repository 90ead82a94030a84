import { type ClaimedTaskV1, Subjects } from '@juggernaut/contracts';
import type { Bus } from '@juggernaut/messaging';
import type { Metrics } from '@juggernaut/observability';

export interface SpendOptions {
  /** ISO 4217 currency of prices, budgets and costs. */
  currency: string;
  /** Who spent it, on the cost event (`agent-runner`, `dev-bot`). */
  source: string;
}

/** What a reservation and a cost are booked against. */
export type SpendTask = Pick<ClaimedTaskV1, 'id' | 'type' | 'budgetMinor' | 'goalId'>;

/** Governance did not answer a budget request: no model call is made, and the task is retried later. */
export class BudgetUnavailableError extends Error {}

/**
 * Money around a model call: a reservation before it (governance checks every cap and refuses
 * what does not fit), a settlement after it at the provider-reported cost, and the cost posted
 * to the ledger as `juggernaut.cost.recorded.v1` with an event id per task step, so a replay
 * posts nothing twice.
 */
export class Spend {
  private readonly costTotal;
  private readonly reserved;

  constructor(
    private readonly bus: Bus,
    private readonly options: SpendOptions,
    metrics: Metrics,
  ) {
    this.costTotal = metrics.counter(
      'juggernaut_llm_cost_minor_total',
      'LLM spend in minor units, from provider-reported usage',
      ['model', 'currency'],
    );
    this.reserved = metrics.counter(
      'juggernaut_budget_reserved_minor_total',
      'Minor units reserved before model calls',
    );
  }

  get currency(): string {
    return this.options.currency;
  }

  async reserve(
    task: SpendTask,
    workerId: string,
    level: number,
    reservationId: string,
    amountMinor: number,
  ): Promise<{ granted: boolean; reason?: string }> {
    let reply;
    try {
      reply = await this.bus.request(Subjects.budgetReserve, {
        reservationId,
        taskId: task.id,
        workerId,
        level,
        amountMinor,
        currency: this.currency,
        ...(task.budgetMinor !== null ? { taskBudgetMinor: task.budgetMinor } : {}),
      });
    } catch (e) {
      throw new BudgetUnavailableError(`budget reservation failed, so no model call was made: ${(e as Error).message}`);
    }
    if (reply.granted) this.reserved.inc(amountMinor);
    return reply.granted ? { granted: true } : { granted: false, reason: reply.reason ?? 'budget cap reached' };
  }

  async settle(reservationId: string, actualMinor: number): Promise<void> {
    await this.bus.request(Subjects.budgetSettle, { reservationId, actualMinor });
  }

  /** Posts the cost of one model call to the ledger; the event id makes a replay a no-op. */
  async record(
    task: SpendTask,
    step: number,
    model: string,
    amountMinor: number,
    usage?: { promptTokens: number; completionTokens: number },
  ): Promise<void> {
    if (amountMinor <= 0) return;
    const eventId = `llm:${task.id}:${step}`;
    const { duplicate } = await this.bus.publish(
      Subjects.costRecorded,
      {
        eventId,
        amountMinor,
        currency: this.currency,
        category: `llm:${model}`,
        source: this.options.source,
        occurredAt: new Date().toISOString(),
        taskId: task.id,
        taskType: task.type,
        ...(task.goalId ? { goalId: task.goalId } : {}),
        description: usage
          ? `${model}: ${usage.promptTokens} prompt + ${usage.completionTokens} completion tokens (step ${step})`
          : `${model}: usage not reported by the provider, the reservation was charged (step ${step})`,
      },
      { msgId: eventId },
    );
    if (!duplicate) this.costTotal.inc({ model, currency: this.currency }, amountMinor);
  }
}
