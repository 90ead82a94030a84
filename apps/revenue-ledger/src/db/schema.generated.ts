// Generated from the migrated database by `npm run db:row-types`; do not edit by hand.

/*
 * The row types of the ledger schema (revenue-ledger), one interface per table, as node-postgres returns
 * a row: bigint and numeric as strings, timestamps and dates as Date, json and jsonb as unknown, enums and
 * checked text as string. A query declares its row as a Pick of these (or Narrow, from
 * @juggernaut/persistence, for a jsonb shape or a checked union), so a column renamed or retyped by a
 * migration fails the typecheck once this file is regenerated.
 */

/** ledger.accounts */
export interface LedgerAccounts {
  id: string;
  name: string;
  type: string;
  parent_id: string | null;
  currency: string | null;
  no_overdraft: boolean;
  created_at: Date;
}

/** ledger.balances */
export interface LedgerBalances {
  account_id: string;
  currency: string;
  balance_minor: string;
  normal_sign: number;
  no_overdraft: boolean;
}

/** ledger.exchange_rates */
export interface LedgerExchangeRates {
  currency: string;
  base_currency: string;
  rate: string;
  updated_at: Date;
}

/** ledger.migrations */
export interface LedgerMigrations {
  id: number;
  timestamp: string;
  name: string;
}

/** ledger.outbox */
export interface LedgerOutbox {
  id: string;
  subject: string;
  payload: unknown;
  correlation_id: string | null;
  created_at: Date;
}

/** ledger.payment_events */
export interface LedgerPaymentEvents {
  id: string;
  source: string;
  event_id: string;
  event_type: string;
  content_hash: string;
  movements: unknown;
  received_at: Date;
  processed_at: Date;
}

/** ledger.payment_waiting */
export interface LedgerPaymentWaiting {
  entry_key: string;
  source: string;
  waits_for: string[];
  movement: unknown;
  payment_event_id: string;
  since: Date;
}

/** ledger.postings */
export interface LedgerPostings {
  id: string;
  transaction_id: string;
  account_id: string;
  currency: string;
  amount_minor: string;
  occurred_at: Date;
}

/** ledger.reconciliations */
export interface LedgerReconciliations {
  id: string;
  seq: string;
  source: string;
  task_id: string | null;
  period_from: Date;
  period_to: Date;
  status: string;
  balance_transactions: number;
  missing: unknown;
  extra: unknown;
  mismatched: unknown;
  adjustment_status: string;
  approval_id: string | null;
  adjustment_transactions: string[] | null;
  created_at: Date;
}

/** ledger.transactions */
export interface LedgerTransactions {
  id: string;
  seq: string;
  event_id: string;
  kind: string;
  occurred_at: Date;
  posted_at: Date;
  description: string | null;
  source: string | null;
  experiment_id: string | null;
  variant_key: string | null;
  unit_id: string | null;
  goal_id: string | null;
  task_id: string | null;
  task_type: string | null;
  opportunity_id: string | null;
  customer_ref: string | null;
  created_by: string | null;
  reverses: string | null;
  original_id: string | null;
  external_ref: string | null;
}

/** Every table of the ledger schema by its qualified name. */
export interface Tables {
  'ledger.accounts': LedgerAccounts;
  'ledger.balances': LedgerBalances;
  'ledger.exchange_rates': LedgerExchangeRates;
  'ledger.migrations': LedgerMigrations;
  'ledger.outbox': LedgerOutbox;
  'ledger.payment_events': LedgerPaymentEvents;
  'ledger.payment_waiting': LedgerPaymentWaiting;
  'ledger.postings': LedgerPostings;
  'ledger.reconciliations': LedgerReconciliations;
  'ledger.transactions': LedgerTransactions;
}
