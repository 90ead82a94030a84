// Generated from the migrated database by `npm run db:row-types`; do not edit by hand.

/*
 * The row types of the experiments schema (experiment-tracker), one interface per table, as node-postgres returns
 * a row: bigint and numeric as strings, timestamps and dates as Date, json and jsonb as unknown, enums and
 * checked text as string. A query declares its row as a Pick of these (or Narrow, from
 * @juggernaut/persistence, for a jsonb shape or a checked union), so a column renamed or retyped by a
 * migration fails the typecheck once this file is regenerated.
 */

/** experiments.allocations */
export interface ExperimentsAllocations {
  id: string;
  payload: unknown;
  created_at: Date;
}

/** experiments.conversions */
export interface ExperimentsConversions {
  experiment_id: string;
  conversion_id: string;
  unit_id: string;
  variant_key: string;
  value_minor: string;
  occurred_at: Date;
  received_at: Date;
  metrics: unknown;
  tx: string | null;
}

/** experiments.data_versions */
export interface ExperimentsDataVersions {
  experiment_id: string;
  version: string;
}

/** experiments.decisions */
export interface ExperimentsDecisions {
  id: string;
  experiment_id: string;
  action: string;
  reason: string;
  winner: string | null;
  numbers: unknown;
  decided_by: string;
  created_at: Date;
}

/** experiments.experiments */
export interface ExperimentsExperiments {
  id: string;
  name: string;
  hypothesis: string;
  status: string;
  primary_metric: string;
  currency: string;
  budget_minor: string;
  decision_rule: unknown;
  guardrails: unknown;
  always_valid: unknown;
  winner: string | null;
  end_reason: string | null;
  opportunity_id: string | null;
  created_by: string | null;
  created_at: Date;
  started_at: Date | null;
  ended_at: Date | null;
  updated_at: Date;
  settings: unknown;
}

/** experiments.exposures */
export interface ExperimentsExposures {
  experiment_id: string;
  unit_id: string;
  variant_key: string;
  occurred_at: Date;
  received_at: Date;
  covariate: number | null;
  stratum: string | null;
  tx: string | null;
}

/** experiments.ledger_attributions */
export interface ExperimentsLedgerAttributions {
  transaction_id: string;
  kind: string;
  currency: string;
  experiment_id: string;
  variant_key: string | null;
  unit_id: string | null;
  amount_minor: string;
  occurred_at: Date;
  received_at: Date;
  tx: string | null;
}

/** experiments.migrations */
export interface ExperimentsMigrations {
  id: number;
  timestamp: string;
  name: string;
}

/** experiments.outbox */
export interface ExperimentsOutbox {
  id: string;
  subject: string;
  payload: unknown;
  correlation_id: string | null;
  created_at: Date;
}

/** experiments.unit_revenue */
export interface ExperimentsUnitRevenue {
  transaction_id: string;
  currency: string;
  unit_id: string;
  amount_minor: string;
  occurred_at: Date;
  received_at: Date;
  tx: string | null;
}

/** experiments.variant_weights */
export interface ExperimentsVariantWeights {
  experiment_id: string;
  version: number;
  weights: unknown;
  chance_to_be_best: unknown;
  units: unknown;
  reason: string;
  created_at: Date;
}

/** experiments.variants */
export interface ExperimentsVariants {
  experiment_id: string;
  key: string;
  name: string;
  weight: number;
  is_control: boolean;
  position: number;
}

/** Every table of the experiments schema by its qualified name. */
export interface Tables {
  'experiments.allocations': ExperimentsAllocations;
  'experiments.conversions': ExperimentsConversions;
  'experiments.data_versions': ExperimentsDataVersions;
  'experiments.decisions': ExperimentsDecisions;
  'experiments.experiments': ExperimentsExperiments;
  'experiments.exposures': ExperimentsExposures;
  'experiments.ledger_attributions': ExperimentsLedgerAttributions;
  'experiments.migrations': ExperimentsMigrations;
  'experiments.outbox': ExperimentsOutbox;
  'experiments.unit_revenue': ExperimentsUnitRevenue;
  'experiments.variant_weights': ExperimentsVariantWeights;
  'experiments.variants': ExperimentsVariants;
}
