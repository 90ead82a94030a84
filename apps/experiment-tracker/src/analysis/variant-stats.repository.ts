import { Injectable } from '@nestjs/common';
import type { Queryable } from '@juggernaut/persistence';
import { DataSource } from 'typeorm';
import type { VariantStats } from './analyze';

/**
 * Sufficient statistics per variant. A unit belongs to the variant it was exposed to;
 * its value is what its conversions were worth plus the ledger revenue attributed to it (unit-level
 * revenue), so the normal model sees one number per unit. Ledger revenue without a unit still counts
 * in the variant's revenue total.
 */
@Injectable()
export class VariantStatsRepository {
  constructor(private readonly db: DataSource) {}

  async load(experimentId: string, currency: string, db: Queryable = this.db): Promise<VariantStats[]> {
    // One pass grouped by unit over the three sources, no join: a join's plan depends on table
    // statistics, and a nested loop chosen on fresh, unanalyzed tables turns this into minutes.
    const units = (await db.query(
      `SELECT variant_key, count(*)::int AS units, count(*) FILTER (WHERE converted)::int AS conversions,
              sum(value)::float8 AS value_sum, sum(value * value)::float8 AS value_sum_squares
       FROM (
         SELECT unit_id, max(variant_key) AS variant_key, bool_or(src = 1) AS converted, sum(value) AS value
         FROM (
           SELECT unit_id, variant_key, 0 AS src, 0::numeric AS value FROM experiments.exposures WHERE experiment_id = $1
           UNION ALL
           SELECT unit_id, NULL, 1, value_minor::numeric FROM experiments.conversions WHERE experiment_id = $1
           UNION ALL
           SELECT unit_id, NULL, 2, amount_minor::numeric FROM experiments.ledger_attributions
           WHERE experiment_id = $1 AND kind = 'revenue' AND currency = $2 AND unit_id IS NOT NULL
         ) sources
         GROUP BY unit_id
       ) per_unit
       WHERE variant_key IS NOT NULL
       GROUP BY variant_key`,
      [experimentId, currency],
    )) as Array<{ variant_key: string; units: number; conversions: number; value_sum: number; value_sum_squares: number }>;
    const variants = (await db.query(
      `SELECT v.key, v.is_control, v.weight,
              (SELECT coalesce(sum(a.amount_minor), 0) FROM experiments.ledger_attributions a
               WHERE a.experiment_id = v.experiment_id AND a.kind = 'revenue' AND a.currency = $2 AND a.variant_key = v.key)::text AS revenue
       FROM experiments.variants v WHERE v.experiment_id = $1 ORDER BY v.position`,
      [experimentId, currency],
    )) as Array<{ key: string; is_control: boolean; weight: number; revenue: string }>;
    const byKey = new Map(units.map((u) => [u.variant_key, u]));
    return variants.map((v) => {
      const u = byKey.get(v.key);
      return {
        key: v.key, control: v.is_control, weight: v.weight, units: u?.units ?? 0, conversions: u?.conversions ?? 0,
        valueSum: u?.value_sum ?? 0, valueSumSquares: u?.value_sum_squares ?? 0, revenueMinor: Number(v.revenue),
      };
    });
  }

  /** All revenue the ledger attributed to the experiment, in its currency (with or without a variant). */
  async revenue(experimentId: string, currency: string, db: Queryable = this.db): Promise<number> {
    const [r] = (await db.query(
      `SELECT coalesce(sum(amount_minor), 0)::text AS total FROM experiments.ledger_attributions WHERE experiment_id = $1 AND kind = 'revenue' AND currency = $2`,
      [experimentId, currency],
    )) as Array<{ total: string }>;
    return Number(r!.total);
  }
}
