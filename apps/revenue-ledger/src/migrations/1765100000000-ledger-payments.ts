import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Money from payment providers (docs/payments.md):
 * - transactions of three more kinds: `refund` and `dispute` (part of a payment given back or held,
 *   pointing at the payment through `original_id`, which unlike `reverses` may be shared by several,
 *   since a payment may be refunded in parts) and `payout` (the provider's balance sent to the bank);
 *   `external_ref` keeps the provider's id of what moved the money, for people and for reconciliation;
 * - `payment_events`: each provider event applied, once per source and event id, with what it meant
 *   (its movements) so a redelivery with other content is told apart from a repeat. Append-only;
 * - `payment_waiting`: movements whose payment (or dispute, or payout) has not been posted yet (a
 *   refund before its charge): kept until it is, then posted and removed;
 * - `reconciliations`: each comparison of a provider's balance transactions with the clearing account.
 */
export class LedgerPayments1765100000000 implements MigrationInterface {
  name = 'LedgerPayments1765100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE ledger.transactions DROP CONSTRAINT transactions_kind_check`);
    await q.query(`ALTER TABLE ledger.transactions ADD CONSTRAINT transactions_kind_check
      CHECK (kind IN ('revenue', 'cost', 'manual', 'reversal', 'refund', 'dispute', 'payout'))`);
    await q.query(
      `ALTER TABLE ledger.transactions ADD COLUMN original_id uuid REFERENCES ledger.transactions (id), ADD COLUMN external_ref text`,
    );
    await q.query(
      `CREATE INDEX transactions_original_idx ON ledger.transactions (original_id) WHERE original_id IS NOT NULL`,
    );

    await q.query(`CREATE TABLE ledger.payment_events (
      id uuid PRIMARY KEY,
      source text NOT NULL,
      event_id text NOT NULL,
      event_type text NOT NULL,
      content_hash text NOT NULL,
      movements jsonb NOT NULL,
      received_at timestamptz NOT NULL,
      processed_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (source, event_id)
    )`);
    await q.query(`CREATE TRIGGER payment_events_immutable BEFORE UPDATE OR DELETE ON ledger.payment_events
      FOR EACH ROW EXECUTE FUNCTION ledger.refuse_change()`);
    await q.query(`CREATE TRIGGER payment_events_no_truncate BEFORE TRUNCATE ON ledger.payment_events
      FOR EACH STATEMENT EXECUTE FUNCTION ledger.refuse_change()`);

    await q.query(`CREATE TABLE ledger.payment_waiting (
      entry_key text PRIMARY KEY,
      source text NOT NULL,
      waits_for text[] NOT NULL,
      movement jsonb NOT NULL,
      payment_event_id uuid NOT NULL REFERENCES ledger.payment_events (id),
      since timestamptz NOT NULL DEFAULT now()
    )`);
    await q.query(`CREATE INDEX payment_waiting_for_idx ON ledger.payment_waiting USING gin (waits_for)`);

    await q.query(`CREATE TABLE ledger.reconciliations (
      id uuid PRIMARY KEY,
      seq bigserial NOT NULL UNIQUE,
      source text NOT NULL,
      task_id uuid UNIQUE,
      period_from timestamptz NOT NULL,
      period_to timestamptz NOT NULL,
      status text NOT NULL CHECK (status IN ('clean', 'differences')),
      balance_transactions integer NOT NULL,
      missing jsonb NOT NULL,
      extra jsonb NOT NULL,
      mismatched jsonb NOT NULL,
      adjustment_status text NOT NULL DEFAULT 'none' CHECK (adjustment_status IN ('none', 'awaiting_approval', 'posted', 'rejected')),
      approval_id uuid,
      adjustment_transactions uuid[],
      created_at timestamptz NOT NULL DEFAULT now()
    )`);
    await q.query(`CREATE INDEX reconciliations_source_idx ON ledger.reconciliations (source, seq DESC)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE ledger.reconciliations, ledger.payment_waiting, ledger.payment_events`);
    await q.query(`ALTER TABLE ledger.transactions DROP COLUMN original_id, DROP COLUMN external_ref`);
    await q.query(`ALTER TABLE ledger.transactions DROP CONSTRAINT transactions_kind_check`);
    await q.query(
      `ALTER TABLE ledger.transactions ADD CONSTRAINT transactions_kind_check CHECK (kind IN ('revenue', 'cost', 'manual', 'reversal'))`,
    );
  }
}
