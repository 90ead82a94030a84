// Generated from the migrated database by `npm run db:row-types`; do not edit by hand.

/*
 * The row types of the devbot schema (dev-bot), one interface per table, as node-postgres returns
 * a row: bigint and numeric as strings, timestamps and dates as Date, json and jsonb as unknown, enums and
 * checked text as string. A query declares its row as a Pick of these (or Narrow, from
 * @juggernaut/persistence, for a jsonb shape or a checked union), so a column renamed or retyped by a
 * migration fails the typecheck once this file is regenerated.
 */

/** devbot.change_steps */
export interface DevbotChangeSteps {
  id: string;
  change_id: string;
  stage: string;
  message: string;
  data: unknown;
  at: Date;
}

/** devbot.changes */
export interface DevbotChanges {
  id: string;
  repository: string;
  target_branch: string;
  branch: string;
  title: string;
  goal: string;
  status: string;
  requested_by: string | null;
  task_id: string | null;
  attempts: number;
  max_attempts: number;
  data: unknown;
  approval_id: string | null;
  merge_commit: string | null;
  revert_commit: string | null;
  reason: string | null;
  cost_minor: string;
  currency: string;
  created_at: Date;
  updated_at: Date;
}

/** devbot.merges */
export interface DevbotMerges {
  change_id: string;
  repository: string;
  target_branch: string;
  merge_commit: string;
  merged_at: Date;
  revert_commit: string | null;
  reverted_at: Date | null;
}

/** devbot.migrations */
export interface DevbotMigrations {
  id: number;
  timestamp: string;
  name: string;
}

/** devbot.outbox */
export interface DevbotOutbox {
  id: string;
  subject: string;
  payload: unknown;
  correlation_id: string | null;
  created_at: Date;
}

/** devbot.pull_requests */
export interface DevbotPullRequests {
  number: string;
  change_id: string;
  forge: string;
  external_number: number | null;
  url: string | null;
  branch: string;
  target_branch: string;
  title: string;
  body: string;
  diff: string | null;
  created_at: Date;
}

/** devbot.repositories */
export interface DevbotRepositories {
  name: string;
  clone_url: string;
  default_branch: string;
  checks: unknown;
  gate_policy: unknown;
  forge: unknown;
  created_at: Date;
  updated_at: Date;
}

/** devbot.reviews */
export interface DevbotReviews {
  id: string;
  change_id: string;
  approve: boolean;
  reasons: unknown;
  model: string;
  raw: string | null;
  created_at: Date;
}

/** Every table of the devbot schema by its qualified name. */
export interface Tables {
  'devbot.change_steps': DevbotChangeSteps;
  'devbot.changes': DevbotChanges;
  'devbot.merges': DevbotMerges;
  'devbot.migrations': DevbotMigrations;
  'devbot.outbox': DevbotOutbox;
  'devbot.pull_requests': DevbotPullRequests;
  'devbot.repositories': DevbotRepositories;
  'devbot.reviews': DevbotReviews;
}
