import { Injectable } from '@nestjs/common';
import { Metrics } from '@juggernaut/observability';
import { DataSource } from 'typeorm';

/** Experiment metrics of CONTRACT.md; the running gauge is read from Postgres at scrape time. */
@Injectable()
export class ExperimentMetrics {
  readonly exposures;
  readonly conversions;
  readonly decisions;
  readonly allocation;

  constructor(metrics: Metrics, db: DataSource) {
    this.exposures = metrics.counter(
      'juggernaut_experiment_exposures_total',
      'Units exposed to an experiment (first exposure only)',
    );
    this.conversions = metrics.counter(
      'juggernaut_experiment_conversions_total',
      'Conversions recorded (redeliveries not counted)',
    );
    this.decisions = metrics.counter('juggernaut_experiment_decisions_total', 'Decisions stored, by action', [
      'decision',
    ]);
    this.allocation = metrics.gauge(
      'juggernaut_experiment_allocation_ratio',
      'Share of the budget pool the last Thompson allocation gave each running experiment',
      ['experiment'],
    );
    metrics.gauge('juggernaut_experiments_running', 'Experiments running', [], async function () {
      const [r] = (await db.query(
        `SELECT count(*)::int AS n FROM experiments.experiments WHERE status = 'running'`,
      )) as Array<{ n: number }>;
      this.set(r!.n);
    });
  }
}
