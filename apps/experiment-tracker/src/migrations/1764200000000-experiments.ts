import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Experiments1764200000000 implements MigrationInterface {
  name = 'Experiments1764200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE experiments.experiments (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      name text NOT NULL,
      hypothesis text NOT NULL,
      status text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'running', 'stopped', 'concluded')),
      primary_metric text NOT NULL CHECK (primary_metric IN ('conversion', 'revenue_per_unit')),
      currency char(3) NOT NULL,
      budget_minor bigint NOT NULL CHECK (budget_minor >= 0),
      decision_rule jsonb NOT NULL,
      guardrails jsonb NOT NULL DEFAULT '[]',
      -- Always-valid p-value per variant: the minimum over every evaluation so far (mSPRT).
      always_valid jsonb NOT NULL DEFAULT '{}',
      winner text,
      end_reason text,
      opportunity_id uuid,
      created_by text,
      created_at timestamptz NOT NULL DEFAULT now(),
      started_at timestamptz,
      ended_at timestamptz,
      updated_at timestamptz NOT NULL DEFAULT now()
    )`);
    await q.query(`CREATE INDEX experiments_list_idx ON experiments.experiments (created_at DESC, id DESC)`);
    await q.query(`CREATE INDEX experiments_running_idx ON experiments.experiments (id) WHERE status = 'running'`);

    await q.query(`CREATE TABLE experiments.variants (
      experiment_id uuid NOT NULL REFERENCES experiments.experiments (id) ON DELETE CASCADE,
      key text NOT NULL,
      name text NOT NULL,
      weight integer NOT NULL CHECK (weight > 0),
      is_control boolean NOT NULL DEFAULT false,
      position smallint NOT NULL,
      PRIMARY KEY (experiment_id, key)
    )`);
    await q.query(
      `CREATE UNIQUE INDEX variants_one_control_idx ON experiments.variants (experiment_id) WHERE is_control`,
    );

    // One row per exposed unit: a redelivered or repeated exposure is the same row (exactly once).
    await q.query(`CREATE TABLE experiments.exposures (
      experiment_id uuid NOT NULL,
      unit_id text NOT NULL,
      variant_key text NOT NULL,
      occurred_at timestamptz NOT NULL,
      received_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (experiment_id, unit_id),
      FOREIGN KEY (experiment_id, variant_key) REFERENCES experiments.variants (experiment_id, key)
    )`);
    await q.query(`CREATE INDEX exposures_variant_idx ON experiments.exposures (experiment_id, variant_key)`);

    // One row per conversion id (the unit id unless the sender gives one).
    await q.query(`CREATE TABLE experiments.conversions (
      experiment_id uuid NOT NULL REFERENCES experiments.experiments (id) ON DELETE CASCADE,
      conversion_id text NOT NULL,
      unit_id text NOT NULL,
      variant_key text NOT NULL,
      value_minor bigint NOT NULL DEFAULT 0 CHECK (value_minor >= 0),
      occurred_at timestamptz NOT NULL,
      received_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (experiment_id, conversion_id)
    )`);
    await q.query(`CREATE INDEX conversions_unit_idx ON experiments.conversions (experiment_id, unit_id)`);

    // Revenue and cost the ledger posted for an experiment, once per ledger transaction.
    await q.query(`CREATE TABLE experiments.ledger_attributions (
      transaction_id uuid NOT NULL,
      kind text NOT NULL CHECK (kind IN ('revenue', 'cost')),
      currency char(3) NOT NULL,
      experiment_id uuid NOT NULL REFERENCES experiments.experiments (id) ON DELETE CASCADE,
      variant_key text,
      unit_id text,
      amount_minor bigint NOT NULL,
      occurred_at timestamptz NOT NULL,
      received_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (transaction_id, kind, currency)
    )`);
    await q.query(
      `CREATE INDEX ledger_attributions_experiment_idx ON experiments.ledger_attributions (experiment_id, kind, currency)`,
    );
    await q.query(
      `CREATE INDEX ledger_attributions_unit_idx ON experiments.ledger_attributions (experiment_id, unit_id) WHERE unit_id IS NOT NULL`,
    );

    await q.query(`CREATE TABLE experiments.decisions (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      experiment_id uuid NOT NULL REFERENCES experiments.experiments (id) ON DELETE CASCADE,
      action text NOT NULL CHECK (action IN ('start', 'continue', 'blocked', 'conclude', 'stop')),
      reason text NOT NULL,
      winner text,
      numbers jsonb NOT NULL DEFAULT '{}',
      decided_by text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now()
    )`);
    await q.query(`CREATE INDEX decisions_experiment_idx ON experiments.decisions (experiment_id, created_at DESC)`);

    await q.query(`CREATE TABLE experiments.allocations (
      id uuid PRIMARY KEY,
      payload jsonb NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now()
    )`);
    await q.query(`CREATE INDEX allocations_recent_idx ON experiments.allocations (created_at DESC)`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of [
      'allocations',
      'decisions',
      'ledger_attributions',
      'conversions',
      'exposures',
      'variants',
      'experiments',
    ]) {
      await q.query(`DROP TABLE experiments.${t}`);
    }
  }
}
