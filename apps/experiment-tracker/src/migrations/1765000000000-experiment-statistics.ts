import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Statistics beyond the first release: per-experiment settings (metrics, CUPED, correction, power,
 * bandit), the exposure's covariate and stratum, named numbers on conversions, every unit's ledger
 * revenue (for its pre-exposure value) and a bandit's traffic weights with their history.
 */
export class ExperimentStatistics1765000000000 implements MigrationInterface {
  name = 'ExperimentStatistics1765000000000';

  async up(q: QueryRunner): Promise<void> {
    // Metrics, analysis, power and bandit settings as created (defaults are filled in when read).
    await q.query(`ALTER TABLE experiments.experiments ADD COLUMN settings jsonb NOT NULL DEFAULT '{}'`);
    await q.query(`ALTER TABLE experiments.exposures ADD COLUMN covariate double precision, ADD COLUMN stratum text`);
    await q.query(`ALTER TABLE experiments.conversions ADD COLUMN metrics jsonb`);

    // Revenue the ledger posted for a unit, whatever the experiment (or none): a unit's revenue in the
    // lookback before its first exposure is its CUPED covariate, read at analysis time so ledger
    // events arriving after the exposure still count. Once per ledger transaction and currency.
    await q.query(`CREATE TABLE experiments.unit_revenue (
      transaction_id uuid NOT NULL,
      currency char(3) NOT NULL,
      unit_id text NOT NULL,
      amount_minor bigint NOT NULL,
      occurred_at timestamptz NOT NULL,
      received_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (transaction_id, currency)
    )`);
    await q.query(`CREATE INDEX unit_revenue_unit_idx ON experiments.unit_revenue (unit_id, currency, occurred_at)`);

    // Traffic weights of an experiment: version 1 at the start, one more per bandit reweighting.
    // A unit exposed at t belongs to the period of the latest version created at or before t.
    await q.query(`CREATE TABLE experiments.variant_weights (
      experiment_id uuid NOT NULL REFERENCES experiments.experiments (id) ON DELETE CASCADE,
      version integer NOT NULL CHECK (version > 0),
      weights jsonb NOT NULL,
      chance_to_be_best jsonb,
      units jsonb,
      reason text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (experiment_id, version)
    )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE experiments.variant_weights`);
    await q.query(`DROP TABLE experiments.unit_revenue`);
    await q.query(`ALTER TABLE experiments.conversions DROP COLUMN metrics`);
    await q.query(`ALTER TABLE experiments.exposures DROP COLUMN covariate, DROP COLUMN stratum`);
    await q.query(`ALTER TABLE experiments.experiments DROP COLUMN settings`);
  }
}
