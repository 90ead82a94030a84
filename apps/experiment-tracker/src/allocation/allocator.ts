import { Inject, Injectable } from '@nestjs/common';
import { type ExperimentAllocationV1, Subjects } from '@juggernaut/contracts';
import { currentCorrelationId } from '@juggernaut/observability';
import { enqueueEvent, type Narrow } from '@juggernaut/persistence';
import { APP_CONFIG } from '@juggernaut/service-kit';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { analyze } from '../analysis/analyze';
import { betaPosterior } from '../stats/posterior';
import type { ExperimentsEnv } from '../config';
import { ExperimentMetrics } from '../experiment-metrics';
import { ExperimentsRepository } from '../experiments/experiments.repository';
import { ExperimentsService } from '../experiments/experiments.service';
import { type AllocationCandidate, thompsonAllocation } from './thompson';
import type { ExperimentsAllocations } from '../db/schema.generated';

/**
 * Computes the Thompson sampling allocation over running experiments, stores it and publishes
 * `juggernaut.experiment.allocation.v1` through the outbox. An advisory lock makes replicas take
 * turns, so each allocation is computed from one consistent view.
 */
@Injectable()
export class Allocator {
  constructor(
    private readonly db: DataSource,
    private readonly experiments: ExperimentsRepository,
    private readonly service: ExperimentsService,
    private readonly metrics: ExperimentMetrics,
    @Inject(APP_CONFIG) private readonly config: ExperimentsEnv,
  ) {}

  async allocate(): Promise<ExperimentAllocationV1> {
    const allocation = await this.db.transaction(async (em) => {
      await em.query(`SELECT pg_advisory_xact_lock(hashtext('juggernaut:experiments:allocate'))`);
      const running = await this.experiments.running();
      const spent = await this.experiments.spent(
        running.map((r) => r.id),
        em,
      );
      const candidates: AllocationCandidate[] = [];
      for (const row of running) {
        const analysis = analyze(await this.service.analysisInput(row, em));
        candidates.push({
          experimentId: row.id,
          name: row.name,
          currency: row.currency,
          remainingBudgetMinor: Math.max(0, Number(row.budget_minor) - (spent.get(row.id) ?? 0)),
          // Revenue experiments without two units per variant yet are scored on conversion until they have.
          variants: analysis.variants.map((v, i) => ({
            key: v.key,
            control: v.control,
            posterior: analysis.posteriors[i] ?? betaPosterior(v.conversions, v.units),
          })),
        });
      }
      const allocationId = randomUUID();
      const { shares, pools } = thompsonAllocation(candidates, this.config.EXPERIMENTS_ALLOCATION_DRAWS, allocationId);
      const payload: ExperimentAllocationV1 = {
        allocationId,
        at: new Date().toISOString(),
        draws: this.config.EXPERIMENTS_ALLOCATION_DRAWS,
        seed: allocationId,
        poolsMinor: pools,
        experiments: shares,
      };
      const previous = await this.latest(em);
      // Nothing running now and nothing running before: no news to publish.
      if (shares.length === 0 && (!previous || previous.experiments.length === 0)) return payload;
      await em.query(`INSERT INTO experiments.allocations (id, payload, created_at) VALUES ($1, $2, $3)`, [
        allocationId,
        JSON.stringify(payload),
        payload.at,
      ]);
      await enqueueEvent(em, 'experiments', Subjects.experimentAllocation, payload, currentCorrelationId());
      return payload;
    });
    // The gauge carries only running experiments, so its label set stays bounded.
    this.metrics.allocation.reset();
    for (const e of allocation.experiments) this.metrics.allocation.set({ experiment: e.experimentId }, e.share);
    return allocation;
  }

  async latest(
    db: { query(sql: string, params?: unknown[]): Promise<unknown> } = this.db,
  ): Promise<ExperimentAllocationV1 | null> {
    const rows = (await db.query(
      `SELECT payload FROM experiments.allocations ORDER BY created_at DESC, id DESC LIMIT 1`,
    )) as Array<Narrow<Pick<ExperimentsAllocations, 'payload'>, { payload: ExperimentAllocationV1 }>>;
    return rows[0]?.payload ?? null;
  }
}
