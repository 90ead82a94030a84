import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The stand-in experiment id of changes that can touch any experiment (updates, deletes, truncation). */
export const ANY_EXPERIMENT = '00000000-0000-0000-0000-000000000000';
/** The stand-in experiment id of per-unit ledger revenue (any experiment's CUPED covariate). */
export const UNIT_REVENUE = '00000000-0000-0000-0000-000000000001';

/**
 * A version number per experiment that every change to its analysed data raises, in the same
 * transaction as the change: results computed from one snapshot stay valid while the versions they
 * were read with are current. Triggers keep it, so rows written by any path (the consumers, a
 * migration, an operator's SQL) count: an insert into exposures, conversions or ledger attributions
 * raises its experiments' versions once per statement; unit revenue raises UNIT_REVENUE's (it can be
 * any experiment's pre-exposure covariate); an update, delete or truncate of any of them, and any
 * change to variants, raises ANY_EXPERIMENT's.
 */
export class ExperimentDataVersions1766000000000 implements MigrationInterface {
  name = 'ExperimentDataVersions1766000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE experiments.data_versions (
      experiment_id uuid PRIMARY KEY,
      version bigint NOT NULL
    )`);
    // Experiments in key order, so two statements raising the same versions never wait on each other in a cycle.
    await q.query(`CREATE FUNCTION experiments.raise_data_versions() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO experiments.data_versions AS d (experiment_id, version)
        SELECT DISTINCT experiment_id, 1 FROM changed ORDER BY 1
        ON CONFLICT (experiment_id) DO UPDATE SET version = d.version + 1;
        RETURN NULL;
      END $$`);
    await q.query(`CREATE FUNCTION experiments.raise_data_version() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO experiments.data_versions AS d (experiment_id, version) VALUES (TG_ARGV[0]::uuid, 1)
        ON CONFLICT (experiment_id) DO UPDATE SET version = d.version + 1;
        RETURN NULL;
      END $$`);
    for (const table of ['exposures', 'conversions', 'ledger_attributions']) {
      await q.query(`CREATE TRIGGER ${table}_data_version AFTER INSERT ON experiments.${table}
        REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION experiments.raise_data_versions()`);
      await q.query(`CREATE TRIGGER ${table}_data_version_change AFTER UPDATE OR DELETE OR TRUNCATE ON experiments.${table}
        FOR EACH STATEMENT EXECUTE FUNCTION experiments.raise_data_version('${ANY_EXPERIMENT}')`);
    }
    await q.query(`CREATE TRIGGER variants_data_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON experiments.variants
      FOR EACH STATEMENT EXECUTE FUNCTION experiments.raise_data_version('${ANY_EXPERIMENT}')`);
    await q.query(`CREATE TRIGGER unit_revenue_data_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON experiments.unit_revenue
      FOR EACH STATEMENT EXECUTE FUNCTION experiments.raise_data_version('${UNIT_REVENUE}')`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ['exposures', 'conversions', 'ledger_attributions']) {
      await q.query(`DROP TRIGGER ${table}_data_version ON experiments.${table}`);
      await q.query(`DROP TRIGGER ${table}_data_version_change ON experiments.${table}`);
    }
    await q.query(`DROP TRIGGER variants_data_version ON experiments.variants`);
    await q.query(`DROP TRIGGER unit_revenue_data_version ON experiments.unit_revenue`);
    await q.query(`DROP FUNCTION experiments.raise_data_version()`);
    await q.query(`DROP FUNCTION experiments.raise_data_versions()`);
    await q.query(`DROP TABLE experiments.data_versions`);
  }
}
