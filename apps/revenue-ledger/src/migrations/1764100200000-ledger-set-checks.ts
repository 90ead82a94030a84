import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The postings' references checked once per statement instead of once per row. The two foreign keys
 * of `ledger.postings` fired a lookup per inserted posting (two per posting, four per simple
 * transaction), a third of the cost of posting a batch. The statement trigger that already joins every
 * new posting to its transaction and account now also refuses a posting whose transaction or account
 * does not exist, which is what the keys guaranteed on insert; what they guaranteed afterwards, that the
 * referenced rows are never removed, holds because transactions are immutable and accounts now are too
 * (an account is never deleted: its history is in the postings).
 */
export class LedgerSetChecks1764100200000 implements MigrationInterface {
  name = 'LedgerSetChecks1764100200000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE FUNCTION ledger.refuse_account_removal() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'ledger accounts are never deleted: their history is in the postings'
          USING ERRCODE = 'restrict_violation';
      END $$`);
    await q.query(`CREATE TRIGGER accounts_kept BEFORE DELETE ON ledger.accounts
      FOR EACH ROW EXECUTE FUNCTION ledger.refuse_account_removal()`);
    await q.query(`CREATE TRIGGER accounts_no_truncate BEFORE TRUNCATE ON ledger.accounts
      FOR EACH STATEMENT EXECUTE FUNCTION ledger.refuse_account_removal()`);
    await q.query(`CREATE OR REPLACE FUNCTION ledger.apply_new_postings() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE tx uuid; absent boolean;
      BEGIN
        -- One join per reference, each a lookup by primary key per posting.
        SELECT p.transaction_id, t.id IS NULL INTO tx, absent FROM new_postings p
          LEFT JOIN ledger.transactions t ON t.id = p.transaction_id
          WHERE t.id IS NULL OR t.posted_at <> now() LIMIT 1;
        IF absent THEN
          RAISE EXCEPTION 'ledger transaction % does not exist: postings need their transaction first', tx
            USING ERRCODE = 'foreign_key_violation';
        ELSIF FOUND THEN
          RAISE EXCEPTION 'ledger transaction is already posted: postings cannot be added to it'
            USING ERRCODE = 'restrict_violation';
        END IF;
        SELECT a.id IS NULL INTO absent FROM new_postings p LEFT JOIN ledger.accounts a ON a.id = p.account_id
          WHERE a.id IS NULL OR (a.currency IS NOT NULL AND a.currency <> p.currency) LIMIT 1;
        IF absent THEN
          RAISE EXCEPTION 'a posting names an account that does not exist'
            USING ERRCODE = 'foreign_key_violation';
        ELSIF FOUND THEN
          RAISE EXCEPTION 'currency mismatch: a posting''s currency differs from its account''s currency'
            USING ERRCODE = 'check_violation';
        END IF;
        -- New balance rows start at zero (a CHECK sees an upsert's proposed row before its conflict,
        -- so the delta cannot ride on the insert), then rows are locked in order and moved.
        INSERT INTO ledger.balances (account_id, currency, balance_minor, normal_sign, no_overdraft)
        SELECT DISTINCT p.account_id, p.currency, 0, CASE WHEN a.type IN ('asset', 'expense') THEN 1 ELSE -1 END, a.no_overdraft
        FROM new_postings p JOIN ledger.accounts a ON a.id = p.account_id
        ORDER BY 1, 2
        ON CONFLICT (account_id, currency) DO NOTHING;
        PERFORM 1 FROM ledger.balances b
          WHERE (b.account_id, b.currency) IN (SELECT account_id, currency FROM new_postings)
          ORDER BY b.account_id, b.currency FOR UPDATE;
        UPDATE ledger.balances b SET balance_minor = b.balance_minor + d.delta
        FROM (SELECT account_id, currency, sum(amount_minor) AS delta FROM new_postings GROUP BY 1, 2) d
        WHERE b.account_id = d.account_id AND b.currency = d.currency AND d.delta <> 0;
        RETURN NULL;
      END $$`);
    await q.query(`ALTER TABLE ledger.postings DROP CONSTRAINT postings_transaction_id_fkey`);
    await q.query(`ALTER TABLE ledger.postings DROP CONSTRAINT postings_account_id_fkey`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(
      `ALTER TABLE ledger.postings ADD CONSTRAINT postings_transaction_id_fkey FOREIGN KEY (transaction_id) REFERENCES ledger.transactions (id)`,
    );
    await q.query(
      `ALTER TABLE ledger.postings ADD CONSTRAINT postings_account_id_fkey FOREIGN KEY (account_id) REFERENCES ledger.accounts (id)`,
    );
    await q.query(`DROP TRIGGER accounts_no_truncate ON ledger.accounts`);
    await q.query(`DROP TRIGGER accounts_kept ON ledger.accounts`);
    await q.query(`DROP FUNCTION ledger.refuse_account_removal()`);
  }
}
