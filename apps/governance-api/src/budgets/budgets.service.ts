import { Injectable, NotFoundException } from '@nestjs/common';
import type {
  BudgetReservationV1,
  BudgetSettlementV1,
  BudgetUsageV1,
  ReserveBudgetV1,
  SettleBudgetV1,
} from '@juggernaut/contracts';
import { Metrics } from '@juggernaut/observability';
import { capExceeded } from './budget-caps';
import { BudgetsRepository } from './budgets.repository';
import { PolicyView } from './policy-view';

/**
 * Spend control before the money is spent: a model call is made only after a reservation for
 * its worst-case cost fits under every cap in the policy (per task, per worker per day, per level
 * per day, global per day). Settlement replaces the reservation with the provider-reported cost.
 */
@Injectable()
export class BudgetsService {
  private readonly refused;

  constructor(
    private readonly repo: BudgetsRepository,
    private readonly policy: PolicyView,
    metrics: Metrics,
  ) {
    this.refused = metrics.counter(
      'juggernaut_budget_refusals_total',
      'Budget reservations refused, by the cap that refused them',
      ['cap'],
    );
  }

  async reserve(req: ReserveBudgetV1): Promise<BudgetReservationV1> {
    let policy;
    try {
      policy = await this.policy.current();
    } catch {
      this.refused.inc({ cap: 'policy' });
      return {
        reservationId: req.reservationId,
        granted: false,
        reason: 'no policy available, so no spend is allowed',
        taskSpentMinor: 0,
      };
    }
    return this.repo.locked(async (em) => {
      const existing = await this.repo.find(em, req.reservationId);
      const used = await this.repo.usage(em, req);
      if (existing) return { reservationId: req.reservationId, granted: true, taskSpentMinor: used.task };
      const exceeded = capExceeded(policy.budgets, req, used);
      if (exceeded) {
        this.refused.inc({ cap: exceeded.split(' ')[0]! });
        return { reservationId: req.reservationId, granted: false, reason: exceeded, taskSpentMinor: used.task };
      }
      await this.repo.insert(em, req);
      return { reservationId: req.reservationId, granted: true, taskSpentMinor: used.task + req.amountMinor };
    });
  }

  async settle(req: SettleBudgetV1): Promise<BudgetSettlementV1> {
    const actual = await this.repo.settle(req.reservationId, req.actualMinor);
    if (actual === undefined) throw new NotFoundException(`reservation ${req.reservationId} not found`);
    return { reservationId: req.reservationId, actualMinor: actual };
  }

  async usage(): Promise<BudgetUsageV1> {
    const policy = await this.policy.current().catch(() => undefined);
    return this.repo.today(policy?.budgets.currency ?? 'USD');
  }

  /** Today's spend (settled or held) of each worker, and the per-worker daily cap it counts against. */
  async workerSpend(): Promise<{
    currency: string;
    dailyCapMinor: number | null;
    byWorkerMinor: Record<string, number>;
  }> {
    const policy = await this.policy.current().catch(() => undefined);
    const usage = await this.repo.today(policy?.budgets.currency ?? 'USD');
    return {
      currency: usage.currency,
      dailyCapMinor: policy?.budgets.perWorkerDailyCapMinor ?? null,
      byWorkerMinor: usage.byWorkerMinor,
    };
  }
}
