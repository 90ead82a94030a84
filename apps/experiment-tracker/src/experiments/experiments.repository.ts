import { Injectable } from '@nestjs/common';
import type {
  CreateExperimentDto,
  DecisionRuleV1,
  DecisionV1,
  ExperimentStatus,
  GuardrailV1,
  ListExperimentsV1,
  VariantWeightsV1,
} from '@juggernaut/contracts';
import { decodeCursor, type Queryable, rowsOf, SqlWhere } from '@juggernaut/persistence';
import { DataSource } from 'typeorm';
import {
  type DecisionRow,
  type ExperimentRow,
  toDecision,
  toWeights,
  type VariantRow,
  type WeightsRow,
} from './experiment-row';
import type { ExperimentSettings } from './experiment-settings';
import type { ExperimentsExposures } from '../db/schema.generated';

/** Experiments, their variants and their decisions. */
@Injectable()
export class ExperimentsRepository {
  constructor(private readonly db: DataSource) {}

  async insert(
    db: Queryable,
    dto: CreateExperimentDto,
    rule: DecisionRuleV1,
    guardrails: GuardrailV1[],
    settings: ExperimentSettings,
  ): Promise<ExperimentRow> {
    const [row] = (await db.query(
      `INSERT INTO experiments.experiments (name, hypothesis, primary_metric, currency, budget_minor, decision_rule, guardrails, opportunity_id, created_by, settings)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING *`,
      [
        dto.name,
        dto.hypothesis,
        dto.primaryMetric,
        dto.currency ?? 'USD',
        dto.budgetMinor,
        JSON.stringify(rule),
        JSON.stringify(guardrails),
        dto.opportunityId ?? null,
        dto.createdBy ?? null,
        JSON.stringify(settings),
      ],
    )) as ExperimentRow[];
    await db.query(
      `INSERT INTO experiments.variants (experiment_id, key, name, weight, is_control, position)
       SELECT $1, k, n, w, c, p FROM unnest($2::text[], $3::text[], $4::int[], $5::bool[], $6::smallint[]) AS t(k, n, w, c, p)`,
      [
        row!.id,
        dto.variants.map((v) => v.key),
        dto.variants.map((v) => v.name ?? v.key),
        dto.variants.map((v) => v.weight),
        dto.variants.map((v) => v.control === true),
        dto.variants.map((_, i) => i),
      ],
    );
    return row!;
  }

  async find(
    id: string,
    db: Queryable = this.db,
    lock: '' | 'FOR UPDATE' | 'FOR UPDATE SKIP LOCKED' = '',
  ): Promise<ExperimentRow | undefined> {
    const rows = (await db.query(`SELECT * FROM experiments.experiments WHERE id = $1 ${lock}`, [
      id,
    ])) as ExperimentRow[];
    return rows[0];
  }

  async variants(id: string, db: Queryable = this.db): Promise<VariantRow[]> {
    return (await db.query(
      `SELECT key, name, weight, is_control FROM experiments.variants WHERE experiment_id = $1 ORDER BY position`,
      [id],
    )) as VariantRow[];
  }

  async variantsOf(ids: string[]): Promise<Map<string, VariantRow[]>> {
    const rows = (await this.db.query(
      `SELECT experiment_id, key, name, weight, is_control FROM experiments.variants WHERE experiment_id = ANY($1::uuid[]) ORDER BY experiment_id, position`,
      [ids],
    )) as Array<VariantRow & { experiment_id: string }>;
    const out = new Map<string, VariantRow[]>();
    for (const r of rows) out.set(r.experiment_id, [...(out.get(r.experiment_id) ?? []), r]);
    return out;
  }

  async list(q: ListExperimentsV1): Promise<ExperimentRow[]> {
    const where = new SqlWhere();
    if (q.status) where.add('status = ?', q.status);
    const after = decodeCursor(q.cursor);
    if (after)
      where.add("(date_trunc('milliseconds', created_at), id) < (?::timestamptz, ?::uuid)", after.at, after.id);
    return (await this.db.query(
      `SELECT * FROM experiments.experiments ${where.clause}
       ORDER BY date_trunc('milliseconds', created_at) DESC, id DESC LIMIT ${where.bind((q.limit ?? 50) + 1)}`,
      where.params,
    )) as ExperimentRow[];
  }

  async running(): Promise<ExperimentRow[]> {
    return (await this.db.query(
      `SELECT * FROM experiments.experiments WHERE status = 'running' ORDER BY started_at, id`,
    )) as ExperimentRow[];
  }

  /** Moves an experiment to a new status; started_at or ended_at is set by the move. */
  async setStatus(
    db: Queryable,
    id: string,
    status: ExperimentStatus,
    end: { winner?: string | null; reason?: string } = {},
  ): Promise<ExperimentRow> {
    const rows = rowsOf<ExperimentRow>(
      await db.query(
        `UPDATE experiments.experiments SET status = $2, winner = $3, end_reason = $4, updated_at = now(),
         started_at = CASE WHEN $2 = 'running' THEN now() ELSE started_at END,
         ended_at = CASE WHEN $2 IN ('stopped', 'concluded') THEN now() ELSE ended_at END
       WHERE id = $1 RETURNING *`,
        [id, status, end.winner ?? null, end.reason ?? null],
      ),
    );
    return rows[0]!;
  }

  async saveAlwaysValid(db: Queryable, id: string, values: Record<string, number>): Promise<void> {
    await db.query(`UPDATE experiments.experiments SET always_valid = $2 WHERE id = $1`, [id, JSON.stringify(values)]);
  }

  async addDecision(db: Queryable, d: Omit<DecisionV1, 'id' | 'at'>): Promise<DecisionV1> {
    const [row] = (await db.query(
      `INSERT INTO experiments.decisions (experiment_id, action, reason, winner, numbers, decided_by) VALUES ($1, $2, $3, $4, $5, $6) RETURNING *`,
      [d.experimentId, d.action, d.reason, d.winner, JSON.stringify(d.numbers), d.decidedBy],
    )) as DecisionRow[];
    return toDecision(row!);
  }

  async lastDecision(db: Queryable, id: string): Promise<DecisionV1 | undefined> {
    const rows = (await db.query(
      `SELECT * FROM experiments.decisions WHERE experiment_id = $1 ORDER BY created_at DESC, id DESC LIMIT 1`,
      [id],
    )) as DecisionRow[];
    return rows[0] ? toDecision(rows[0]) : undefined;
  }

  async decisions(id: string, limit = 50): Promise<DecisionV1[]> {
    const rows = (await this.db.query(
      `SELECT * FROM experiments.decisions WHERE experiment_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2`,
      [id, limit],
    )) as DecisionRow[];
    return rows.map(toDecision);
  }

  /** Stores a set of traffic weights as the next version (the first at the start). */
  async addWeights(
    db: Queryable,
    experimentId: string,
    w: Omit<VariantWeightsV1, 'version' | 'at'>,
  ): Promise<VariantWeightsV1> {
    const [row] = (await db.query(
      `INSERT INTO experiments.variant_weights (experiment_id, version, weights, chance_to_be_best, units, reason)
       SELECT $1, coalesce(max(version), 0) + 1, $2, $3, $4, $5 FROM experiments.variant_weights WHERE experiment_id = $1
       RETURNING *`,
      [
        experimentId,
        JSON.stringify(w.weights),
        w.chanceToBeBest ? JSON.stringify(w.chanceToBeBest) : null,
        w.units ? JSON.stringify(w.units) : null,
        w.reason,
      ],
    )) as WeightsRow[];
    return toWeights(row!);
  }

  /** Every set of weights, oldest first (a bandit's periods). */
  async weights(experimentId: string, db: Queryable = this.db, limit = 10_000): Promise<VariantWeightsV1[]> {
    const rows = (await db.query(
      `SELECT * FROM (SELECT * FROM experiments.variant_weights WHERE experiment_id = $1 ORDER BY version DESC LIMIT $2) w ORDER BY version`,
      [experimentId, limit],
    )) as WeightsRow[];
    return rows.map(toWeights);
  }

  /** The weights in force now, or undefined when the experiment has none stored (fixed weights). */
  async currentWeights(experimentId: string, db: Queryable = this.db): Promise<VariantWeightsV1 | undefined> {
    const rows = (await db.query(
      `SELECT * FROM experiments.variant_weights WHERE experiment_id = $1 ORDER BY version DESC LIMIT 1`,
      [experimentId],
    )) as WeightsRow[];
    return rows[0] ? toWeights(rows[0]) : undefined;
  }

  /** The variant a unit was first exposed to, if it was. */
  async exposedVariant(experimentId: string, unitId: string): Promise<string | undefined> {
    const rows = (await this.db.query(
      `SELECT variant_key FROM experiments.exposures WHERE experiment_id = $1 AND unit_id = $2`,
      [experimentId, unitId],
    )) as Array<Pick<ExperimentsExposures, 'variant_key'>>;
    return rows[0]?.variant_key;
  }

  /** Cost the ledger attributed to each experiment, in its own currency. */
  async spent(ids: string[], db: Queryable = this.db): Promise<Map<string, number>> {
    if (ids.length === 0) return new Map();
    const rows = (await db.query(
      `SELECT a.experiment_id, sum(a.amount_minor)::text AS spent
       FROM experiments.ledger_attributions a JOIN experiments.experiments e ON e.id = a.experiment_id AND e.currency = a.currency
       WHERE a.experiment_id = ANY($1::uuid[]) AND a.kind = 'cost' GROUP BY a.experiment_id`,
      [ids],
    )) as Array<{ experiment_id: string; spent: string }>;
    return new Map(rows.map((r) => [r.experiment_id, Number(r.spent)]));
  }
}
