import { Injectable } from '@nestjs/common';
import {
  type AssignmentV1,
  type CreateExperimentDto,
  type ExperimentPageV1,
  type ExperimentResultsV1,
  type ExperimentV1,
  type ExperimentWithDecisionsV1,
  type ListExperimentsV1,
  Subjects,
} from '@juggernaut/contracts';
import { encodeCursor, enqueueEvent, type Queryable } from '@juggernaut/persistence';
import { currentCorrelationId } from '@juggernaut/observability';
import { DataSource } from 'typeorm';
import { AnalysisMemo } from '../analysis/analysis-memo';
import type { AnalysisInput } from '../analysis/analyze';
import { loadPlan, VariantStatsRepository } from '../analysis/variant-stats.repository';
import { assignVariant } from '../assignment/assign';
import { ExperimentMetrics } from '../experiment-metrics';
import { decide } from '../rules/decide';
import { resolveExperiment } from './experiment-defaults';
import { ExperimentError } from './experiment-errors';
import { type ExperimentRow, settingsOf, toExperiment, type VariantRow } from './experiment-row';
import { ExperimentsRepository } from './experiments.repository';

/** Sets of weights shown with an experiment (a bandit reweighting hourly keeps about a week). */
const WEIGHTS_SHOWN = 200;

/** Creating, reading, starting and stopping experiments; results; assignment. */
@Injectable()
export class ExperimentsService {
  /** Variants never change after creation, so assignment can keep them in memory. */
  private readonly variantCache = new Map<string, VariantRow[]>();
  /** Reads with unchanged data, settings and stored state reuse the last analysis (it is the same). */
  private readonly analyses = new AnalysisMemo();

  constructor(
    private readonly db: DataSource,
    private readonly experiments: ExperimentsRepository,
    private readonly stats: VariantStatsRepository,
    private readonly metrics: ExperimentMetrics,
  ) {}

  async create(dto: CreateExperimentDto): Promise<ExperimentV1> {
    const { rule, guardrails, settings } = resolveExperiment(dto);
    return this.db.transaction(async (em) => {
      const row = await this.experiments.insert(em, dto, rule, guardrails, settings);
      return toExperiment(row, await this.experiments.variants(row.id, em), 0);
    });
  }

  async get(id: string): Promise<ExperimentWithDecisionsV1> {
    const row = await this.require(id);
    return {
      ...(await this.view(row)),
      decisions: await this.experiments.decisions(id),
      weights: (await this.experiments.weights(id, undefined, WEIGHTS_SHOWN)).reverse(),
    };
  }

  async list(q: ListExperimentsV1): Promise<ExperimentPageV1> {
    const limit = q.limit ?? 50;
    const rows = await this.experiments.list(q);
    const page = rows.slice(0, limit);
    const variants = await this.experiments.variantsOf(page.map((r) => r.id));
    const spent = await this.experiments.spent(page.map((r) => r.id));
    const last = page[page.length - 1];
    return {
      items: page.map((r) => toExperiment(r, variants.get(r.id) ?? [], spent.get(r.id) ?? 0)),
      nextCursor: rows.length > limit && last ? encodeCursor(last.created_at, last.id) : null,
    };
  }

  /** draft → running, with a stored decision and `experiment.started` through the outbox. */
  async start(id: string, by: string): Promise<ExperimentV1> {
    const row = await this.db.transaction(async (em) => {
      const current = await this.experiments.find(id, em, 'FOR UPDATE');
      if (!current) throw new ExperimentError(404, `experiment ${id} not found`);
      if (current.status !== 'draft')
        throw new ExperimentError(409, `experiment ${id} is ${current.status}; only a draft can start`);
      const updated = await this.experiments.setStatus(em, id, 'running');
      // The weights the experiment starts with: the first period (a bandit adds one per reweighting).
      const variants = await this.experiments.variants(id, em);
      const total = variants.reduce((s, v) => s + v.weight, 0);
      await this.experiments.addWeights(em, id, {
        weights: Object.fromEntries(variants.map((v) => [v.key, v.weight / total])),
        chanceToBeBest: null,
        units: null,
        reason: 'configured weights',
      });
      const decision = await this.experiments.addDecision(em, {
        experimentId: id,
        action: 'start',
        reason: 'started',
        winner: null,
        numbers: {},
        decidedBy: by,
      });
      await enqueueEvent(
        em,
        'experiments',
        Subjects.experimentStarted,
        {
          experimentId: id,
          name: updated.name,
          status: 'running',
          decisionId: decision.id,
          at: new Date().toISOString(),
        },
        currentCorrelationId(),
      );
      return updated;
    });
    this.metrics.decisions.inc({ decision: 'start' });
    return this.view(row);
  }

  /** running → stopped by a person, recorded with the numbers at that moment. */
  async stop(id: string, by: string, reason: string | undefined): Promise<ExperimentV1> {
    const row = await this.db.transaction(async (em) => {
      const current = await this.experiments.find(id, em, 'FOR UPDATE');
      if (!current) throw new ExperimentError(404, `experiment ${id} not found`);
      if (current.status !== 'running')
        throw new ExperimentError(409, `experiment ${id} is ${current.status}; only a running experiment can stop`);
      const why = `stopped by ${by}${reason ? `: ${reason}` : ''}`;
      const { decision: suggested } = await this.evaluateIn(em, current);
      const decision = await this.experiments.addDecision(em, {
        experimentId: id,
        action: 'stop',
        reason: why,
        winner: null,
        numbers: suggested.numbers,
        decidedBy: by,
      });
      const updated = await this.experiments.setStatus(em, id, 'stopped', { reason: why });
      await enqueueEvent(
        em,
        'experiments',
        Subjects.experimentConcluded,
        {
          experimentId: id,
          name: updated.name,
          status: 'stopped',
          reason: why,
          decisionId: decision.id,
          at: new Date().toISOString(),
        },
        currentCorrelationId(),
      );
      return updated;
    });
    this.metrics.decisions.inc({ decision: 'stop' });
    return this.view(row);
  }

  /** Every statistic now, and what the rules would decide (nothing is stored). */
  async results(id: string): Promise<ExperimentResultsV1> {
    const row = await this.require(id);
    // One snapshot for every read, so the totals and the per-variant numbers always agree.
    const { analysis, decision, spentMinor, revenueMinor } = await this.db.transaction(
      'REPEATABLE READ',
      async (m) => ({
        ...(await this.evaluateIn(m, row)),
        revenueMinor: await this.stats.revenue(id, row.currency, m),
      }),
    );
    return {
      experimentId: id,
      status: row.status,
      primaryMetric: row.primary_metric,
      currency: row.currency,
      budgetMinor: Number(row.budget_minor),
      spentMinor,
      revenueMinor,
      srm: analysis.srm,
      health: analysis.health,
      correction: analysis.correction,
      variants: analysis.variants,
      metrics: analysis.metrics,
      weights: analysis.weights,
      decision: { action: decision.action, reason: decision.reason, winner: decision.winner },
      computedAt: new Date().toISOString(),
    };
  }

  /**
   * Analysis and rule decision of an experiment inside the caller's transaction (so an evaluation
   * reads the same state it writes its decision against).
   */
  async evaluateIn(db: DataSource['manager'], row: ExperimentRow) {
    const input = await this.analysisInput(row, db);
    const analysis = this.analyses.analyze(row.id, input);
    const spentMinor = (await this.experiments.spent([row.id], db)).get(row.id) ?? 0;
    const decision = decide({ analysis, budgetMinor: Number(row.budget_minor), spentMinor });
    return { analysis, decision, spentMinor, input };
  }

  /** Everything the analysis of an experiment reads, from one snapshot when `db` is a transaction. */
  async analysisInput(row: ExperimentRow, db: Queryable = this.db): Promise<AnalysisInput> {
    const settings = settingsOf(row);
    const weights = await this.experiments.weights(row.id, db);
    // Period p (p ≥ 1) starts when weights version p + 1 was stored.
    const data = await this.stats.load(
      row.id,
      loadPlan(
        row.currency,
        settings,
        weights.slice(1).map((w) => new Date(w.at)),
      ),
      db,
    );
    return {
      metric: row.primary_metric,
      settings,
      data,
      guardrails: row.guardrails,
      rule: row.decision_rule,
      previousAlwaysValid: row.always_valid,
      weights,
      startedAt: row.started_at ? new Date(row.started_at) : null,
      now: new Date(),
    };
  }

  /**
   * The unit's variant: deterministic while running; after the end every unit gets the winner (the
   * control when stopped or no winner), so a finished experiment keeps serving a consistent choice.
   */
  async assign(experimentId: string, unitId: string): Promise<AssignmentV1> {
    const row = await this.require(experimentId);
    if (row.status === 'draft')
      throw new ExperimentError(409, `experiment ${experimentId} is a draft; start it before assigning units`);
    let variants = this.variantCache.get(experimentId);
    if (!variants) {
      variants = await this.experiments.variants(experimentId);
      this.variantCache.set(experimentId, variants);
    }
    if (row.status === 'running') {
      if (settingsOf(row).bandit) return this.assignBandit(experimentId, unitId, variants);
      return {
        experimentId,
        unitId,
        variantKey: assignVariant(experimentId, unitId, variants),
        inExperiment: true,
        status: row.status,
      };
    }
    const control = variants.find((v) => v.is_control)!.key;
    return { experimentId, unitId, variantKey: row.winner ?? control, inExperiment: false, status: row.status };
  }

  /**
   * A bandit's assignment: a unit already exposed keeps its variant (reweighting never moves anyone);
   * a new unit is placed by the current weights, by the same hash as fixed weights.
   */
  private async assignBandit(experimentId: string, unitId: string, variants: VariantRow[]): Promise<AssignmentV1> {
    const base = { experimentId, unitId, inExperiment: true, status: 'running' as const };
    const exposed = await this.experiments.exposedVariant(experimentId, unitId);
    if (exposed) return { ...base, variantKey: exposed };
    const current = await this.experiments.currentWeights(experimentId);
    const weighted = variants.map((v) => ({ key: v.key, weight: current?.weights[v.key] ?? v.weight }));
    return { ...base, variantKey: assignVariant(experimentId, unitId, weighted) };
  }

  private async require(id: string): Promise<ExperimentRow> {
    const row = await this.experiments.find(id);
    if (!row) throw new ExperimentError(404, `experiment ${id} not found`);
    return row;
  }

  private async view(row: ExperimentRow): Promise<ExperimentV1> {
    const spent = (await this.experiments.spent([row.id])).get(row.id) ?? 0;
    return toExperiment(row, await this.experiments.variants(row.id), spent);
  }
}
