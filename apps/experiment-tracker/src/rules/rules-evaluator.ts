import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { type DecisionV1, Subjects } from '@juggernaut/contracts';
import { currentCorrelationId } from '@juggernaut/observability';
import { enqueueEvent } from '@juggernaut/persistence';
import { APP_CONFIG, LOGGER } from '@juggernaut/service-kit';
import type { Logger } from 'pino';
import { DataSource, type EntityManager } from 'typeorm';
import { Allocator } from '../allocation/allocator';
import { topTwoThompsonWeights } from '../allocation/top-two-thompson';
import type { Analysis } from '../analysis/analyze';
import type { ExperimentsEnv } from '../config';
import { ExperimentMetrics } from '../experiment-metrics';
import { ExperimentError } from '../experiments/experiment-errors';
import { type ExperimentRow, settingsOf } from '../experiments/experiment-row';
import { ExperimentsRepository } from '../experiments/experiments.repository';
import { ExperimentsService } from '../experiments/experiments.service';

/**
 * Runs the rules over running experiments: on a timer (every EXPERIMENTS_EVALUATE_INTERVAL_MS,
 * followed by a new budget allocation) and on demand. Each evaluation locks the experiment row,
 * so a concurrent stop or another replica's evaluation cannot interleave; the decision, the new
 * status and the `experiment.concluded` event commit together.
 */
@Injectable()
export class RulesEvaluator implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer?: NodeJS.Timeout;
  private busy: Promise<unknown> = Promise.resolve();
  private stopped = false;

  constructor(
    private readonly db: DataSource,
    private readonly experiments: ExperimentsRepository,
    private readonly service: ExperimentsService,
    private readonly allocator: Allocator,
    private readonly metrics: ExperimentMetrics,
    @Inject(APP_CONFIG) private readonly config: ExperimentsEnv,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => {
      if (this.stopped) return;
      this.busy = this.tick().catch((e: unknown) =>
        this.logger.warn({ err: e }, 'experiment evaluation failed; will retry'),
      );
    }, this.config.EXPERIMENTS_EVALUATE_INTERVAL_MS);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.busy.catch(() => undefined);
  }

  /** One pass: every running experiment, then the allocation across those still running. */
  async tick(): Promise<void> {
    for (const row of await this.experiments.running()) {
      if (this.stopped) return;
      try {
        await this.evaluate(row.id, 'rules', { onlyChanges: true, skipLocked: true });
      } catch (e) {
        // Stopped by someone between the listing and the lock: nothing to evaluate.
        if (!(e instanceof ExperimentError)) throw e;
      }
    }
    await this.allocator.allocate();
  }

  /**
   * Evaluates one experiment and stores the decision. A timer pass stores a "continue" or
   * "blocked" only when the action differs from the last stored decision (one row per change, not
   * one per tick; the live numbers are always in the results).
   */
  async evaluate(
    id: string,
    by: string,
    opts: { onlyChanges?: boolean; skipLocked?: boolean } = {},
  ): Promise<DecisionV1 | null> {
    const result = await this.db.transaction(async (em) => {
      const row = await this.experiments.find(id, em, opts.skipLocked ? 'FOR UPDATE SKIP LOCKED' : 'FOR UPDATE');
      if (!row) {
        if (opts.skipLocked) return null;
        throw new ExperimentError(404, `experiment ${id} not found`);
      }
      if (row.status !== 'running')
        throw new ExperimentError(409, `experiment ${id} is ${row.status}; only a running experiment is evaluated`);
      const { analysis, decision } = await this.service.evaluateIn(em, row);
      await this.experiments.saveAlwaysValid(em, id, analysis.alwaysValid);
      const ends = decision.action === 'conclude' || decision.action === 'stop';
      if (!ends) await this.reweight(em, row, analysis);
      if (!ends && opts.onlyChanges) {
        const last = await this.experiments.lastDecision(em, id);
        if (last && last.action === decision.action) return null;
      }
      const stored = await this.experiments.addDecision(em, { experimentId: id, ...decision, decidedBy: by });
      if (ends) {
        const status = decision.action === 'conclude' ? 'concluded' : 'stopped';
        await this.experiments.setStatus(em, id, status, { winner: decision.winner, reason: decision.reason });
        await enqueueEvent(
          em,
          'experiments',
          Subjects.experimentConcluded,
          {
            experimentId: id,
            name: row.name,
            status,
            reason: decision.reason,
            decisionId: stored.id,
            at: stored.at,
            ...(decision.winner ? { winner: decision.winner } : {}),
          },
          currentCorrelationId(),
        );
      }
      return stored;
    });
    if (result) this.metrics.decisions.inc({ decision: result.action });
    return result;
  }

  /**
   * A bandit's new traffic weights, under the evaluation's row lock: top-two Thompson sampling on the
   * primary metric's chance to be best, once every variant has the bandit's minimum units, no sooner
   * than its interval after the last set, and never while assignment is suspect (SRM, imbalance).
   */
  private async reweight(em: EntityManager, row: ExperimentRow, analysis: Analysis): Promise<void> {
    const bandit = settingsOf(row).bandit;
    if (!bandit) return;
    if (analysis.srm.flagged || analysis.health.balance.some((b) => b.flagged)) return;
    if (analysis.variants.some((v) => v.units < bandit.minUnitsPerVariant || !v.bayesian)) return;
    const last = analysis.weights;
    if (last && Date.now() - new Date(last.at).getTime() < bandit.reweightEveryMinutes * 60_000) return;
    const chances = analysis.variants.map((v) => v.bayesian!.chanceToBeBest);
    const weights = topTwoThompsonWeights(chances, bandit.topTwoProbability, bandit.minWeight);
    await this.experiments.addWeights(em, row.id, {
      weights: Object.fromEntries(analysis.variants.map((v, i) => [v.key, weights[i]!])),
      chanceToBeBest: Object.fromEntries(analysis.variants.map((v, i) => [v.key, chances[i]!])),
      units: Object.fromEntries(analysis.variants.map((v) => [v.key, v.units])),
      reason: `top-two Thompson sampling (β = ${bandit.topTwoProbability}, minimum weight ${bandit.minWeight})`,
    });
  }
}
