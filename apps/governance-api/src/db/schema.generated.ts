// Generated from the migrated database by `npm run db:row-types`; do not edit by hand.

/*
 * The row types of the governance schema (governance-api), one interface per table, as node-postgres returns
 * a row: bigint and numeric as strings, timestamps and dates as Date, json and jsonb as unknown, enums and
 * checked text as string. A query declares its row as a Pick of these (or Narrow, from
 * @juggernaut/persistence, for a jsonb shape or a checked union), so a column renamed or retyped by a
 * migration fails the typecheck once this file is regenerated.
 */

/** governance.alerts */
export interface GovernanceAlerts {
  id: string;
  kind: string;
  key: string;
  severity: string;
  message: string;
  details: unknown;
  status: string;
  raised_at: Date;
  last_seen_at: Date;
  resolved_at: Date | null;
}

/** governance.api_keys */
export interface GovernanceApiKeys {
  id: string;
  name: string;
  role: string;
  key_hash: Buffer;
  key_prefix: string;
  created_by: string | null;
  created_at: Date;
  expires_at: Date | null;
  revoked_at: Date | null;
  last_used_at: Date | null;
}

/** governance.approvals */
export interface GovernanceApprovals {
  id: string;
  status: string;
  action: string;
  args_hash: string;
  args: unknown;
  task_id: string | null;
  worker_id: string | null;
  amount_minor: string | null;
  reason: string | null;
  requested_by: string;
  decided_by: string | null;
  decision_reason: string | null;
  expires_at: Date;
  created_at: Date;
  decided_at: Date | null;
}

/** governance.audit_log */
export interface GovernanceAuditLog {
  id: string;
  at: Date;
  actor: string;
  actor_key_id: string | null;
  actor_role: string | null;
  action: string;
  resource_type: string;
  resource_id: string | null;
  before: unknown;
  after: unknown;
  details: unknown;
  correlation_id: string | null;
}

/** governance.budget_reservations */
export interface GovernanceBudgetReservations {
  id: string;
  task_id: string;
  worker_id: string;
  level: number;
  currency: string;
  reserved_minor: string;
  actual_minor: string | null;
  day: Date;
  created_at: Date;
  settled_at: Date | null;
}

/** governance.conversation_messages */
export interface GovernanceConversationMessages {
  id: string;
  conversation_id: string;
  seq: number;
  author: string;
  content: string;
  status: string;
  stop_reason: string | null;
  task_id: string | null;
  citations: unknown;
  tool_calls: unknown;
  evidence: unknown;
  cost_minor: string | null;
  created_at: Date;
  completed_at: Date | null;
}

/** governance.conversation_summaries */
export interface GovernanceConversationSummaries {
  id: string;
  conversation_id: string;
  through_seq: number;
  content: string;
  task_id: string;
  created_at: Date;
}

/** governance.conversations */
export interface GovernanceConversations {
  id: string;
  title: string | null;
  goal_id: string | null;
  budget_minor: string | null;
  created_by: string;
  created_by_key_id: string;
  role: string;
  created_at: Date;
  updated_at: Date;
}

/** governance.execution_logs */
export interface GovernanceExecutionLogs {
  id: string;
  log_id: string | null;
  worker_id: string;
  task_id: string | null;
  step: number | null;
  action: string;
  level: string;
  message: string;
  output_data: unknown;
  duration_ms: string | null;
  created_at: Date;
}

/** governance.goal_notes */
export interface GovernanceGoalNotes {
  id: string;
  note_id: string | null;
  goal_id: string;
  task_id: string | null;
  author: string;
  key: string | null;
  content: string;
  created_at: Date;
}

/** governance.goals */
export interface GovernanceGoals {
  id: string;
  title: string;
  description: string | null;
  success_criteria: unknown;
  budget_minor: string | null;
  currency: string;
  status: string;
  due_at: Date | null;
  created_by: string;
  created_at: Date;
  updated_at: Date;
}

/** governance.migrations */
export interface GovernanceMigrations {
  id: number;
  timestamp: string;
  name: string;
}

/** governance.monitor_samples */
export interface GovernanceMonitorSamples {
  id: string;
  kind: string;
  key: string;
  amount: string;
  at: Date;
  dedupe: string;
  detail: unknown;
}

/** governance.opportunities */
export interface GovernanceOpportunities {
  id: string;
  opportunity_type: string;
  category: string;
  description: string;
  estimated_value_minor: string;
  currency: string;
  confidence_score: string;
  source: string | null;
  dedupe_key: string | null;
  worker_id: string | null;
  task_id: string | null;
  status: string;
  created_at: Date;
}

/** governance.outbox */
export interface GovernanceOutbox {
  id: string;
  subject: string;
  payload: unknown;
  correlation_id: string | null;
  created_at: Date;
}

/** governance.policy_versions */
export interface GovernancePolicyVersions {
  version: number;
  document: unknown;
  created_at: Date;
  created_by: string;
}

/** governance.webhook_sources */
export interface GovernanceWebhookSources {
  name: string;
  scheme: string;
  tolerance_seconds: number;
  mapping: unknown;
  secret_ciphertext: Buffer;
  secret_prefix: string;
  created_by: string;
  created_at: Date;
}

/** governance.workers */
export interface GovernanceWorkers {
  id: string;
  level: number;
  capabilities: string[];
  concurrency: number;
  status: string;
  running_task_ids: string[];
  started_at: Date;
  last_seen_at: Date;
  offline_reason: string | null;
}

/** Every table of the governance schema by its qualified name. */
export interface Tables {
  'governance.alerts': GovernanceAlerts;
  'governance.api_keys': GovernanceApiKeys;
  'governance.approvals': GovernanceApprovals;
  'governance.audit_log': GovernanceAuditLog;
  'governance.budget_reservations': GovernanceBudgetReservations;
  'governance.conversation_messages': GovernanceConversationMessages;
  'governance.conversation_summaries': GovernanceConversationSummaries;
  'governance.conversations': GovernanceConversations;
  'governance.execution_logs': GovernanceExecutionLogs;
  'governance.goal_notes': GovernanceGoalNotes;
  'governance.goals': GovernanceGoals;
  'governance.migrations': GovernanceMigrations;
  'governance.monitor_samples': GovernanceMonitorSamples;
  'governance.opportunities': GovernanceOpportunities;
  'governance.outbox': GovernanceOutbox;
  'governance.policy_versions': GovernancePolicyVersions;
  'governance.webhook_sources': GovernanceWebhookSources;
  'governance.workers': GovernanceWorkers;
}
