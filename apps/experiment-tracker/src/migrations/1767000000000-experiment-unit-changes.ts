import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The transaction that wrote each row of the analysed data (`tx`, pg_current_xact_id() by default),
 * indexed per experiment: a reader that kept an experiment's per-unit values from one snapshot finds
 * exactly the rows that snapshot could not see (`tx >= pg_snapshot_xmin(s) AND NOT
 * pg_visible_in_snapshot(tx, s)`), committed in any order, by any replica, and recomputes only their
 * units. Rows written before this migration keep a null `tx`: they were committed before any reader
 * of this release took a snapshot. Unit revenue is indexed by `tx` alone (any experiment's CUPED
 * covariate).
 */
export class ExperimentUnitChanges1767000000000 implements MigrationInterface {
  name = 'ExperimentUnitChanges1767000000000';

  async up(q: QueryRunner): Promise<void> {
    for (const table of ['exposures', 'conversions', 'ledger_attributions']) {
      await q.query(`ALTER TABLE experiments.${table} ADD COLUMN tx xid8`);
      await q.query(`ALTER TABLE experiments.${table} ALTER COLUMN tx SET DEFAULT pg_current_xact_id()`);
      await q.query(`CREATE INDEX ${table}_tx_idx ON experiments.${table} (experiment_id, tx)`);
    }
    await q.query(`ALTER TABLE experiments.unit_revenue ADD COLUMN tx xid8`);
    await q.query(`ALTER TABLE experiments.unit_revenue ALTER COLUMN tx SET DEFAULT pg_current_xact_id()`);
    await q.query(`CREATE INDEX unit_revenue_tx_idx ON experiments.unit_revenue (tx)`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ['exposures', 'conversions', 'ledger_attributions', 'unit_revenue'])
      await q.query(`ALTER TABLE experiments.${table} DROP COLUMN tx`);
  }
}
