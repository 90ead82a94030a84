import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The double-entry ledger. The database enforces the rules as well as the code, so that a bug or
 * a hand-written statement cannot break them:
 * - every transaction's postings sum to zero per currency, checked at commit (deferred constraint trigger);
 * - postings can only be added in the same database transaction that created their ledger transaction;
 * - transactions and postings are never updated, deleted or truncated;
 * - a posting's currency matches its account's currency when the account has one;
 * - kept balances always equal the sum of their postings (maintained by a trigger, not by callers);
 * - an account marked no-overdraft never goes past zero on its normal side (CHECK on its balance rows).
 */
export class LedgerDoubleEntry1764100000000 implements MigrationInterface {
  name = 'LedgerDoubleEntry1764100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE ledger.accounts (
      id bigserial PRIMARY KEY,
      name text NOT NULL UNIQUE,
      type text NOT NULL CHECK (type IN ('asset', 'liability', 'equity', 'revenue', 'expense')),
      parent_id bigint REFERENCES ledger.accounts (id),
      currency text CHECK (currency ~ '^[A-Z]{3}$'),
      no_overdraft boolean NOT NULL DEFAULT false,
      created_at timestamptz NOT NULL DEFAULT now()
    )`);
    await q.query(`CREATE INDEX accounts_name_pattern_idx ON ledger.accounts (name text_pattern_ops)`);

    await q.query(`CREATE TABLE ledger.transactions (
      id uuid PRIMARY KEY,
      seq bigserial NOT NULL UNIQUE,
      event_id text NOT NULL UNIQUE,
      kind text NOT NULL CHECK (kind IN ('revenue', 'cost', 'manual', 'reversal')),
      occurred_at timestamptz NOT NULL,
      posted_at timestamptz NOT NULL DEFAULT now(),
      description text,
      source text,
      experiment_id text,
      variant_key text,
      unit_id text,
      goal_id text,
      task_id text,
      task_type text,
      opportunity_id text,
      customer_ref text,
      created_by text,
      reverses uuid UNIQUE REFERENCES ledger.transactions (id),
      CHECK ((kind = 'reversal') = (reverses IS NOT NULL))
    )`);
    await q.query(`CREATE INDEX transactions_list_idx ON ledger.transactions (seq DESC)`);
    await q.query(`CREATE INDEX transactions_occurred_idx ON ledger.transactions (occurred_at)`);
    await q.query(
      `CREATE INDEX transactions_experiment_idx ON ledger.transactions (experiment_id) WHERE experiment_id IS NOT NULL`,
    );
    await q.query(`CREATE INDEX transactions_goal_idx ON ledger.transactions (goal_id) WHERE goal_id IS NOT NULL`);
    await q.query(`CREATE INDEX transactions_task_idx ON ledger.transactions (task_id) WHERE task_id IS NOT NULL`);

    await q.query(`CREATE TABLE ledger.postings (
      id bigserial PRIMARY KEY,
      transaction_id uuid NOT NULL REFERENCES ledger.transactions (id),
      account_id bigint NOT NULL REFERENCES ledger.accounts (id),
      currency text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
      amount_minor bigint NOT NULL CHECK (amount_minor <> 0),
      -- copied from the transaction so a balance as of a time is one index range per account
      occurred_at timestamptz NOT NULL
    )`);
    await q.query(`CREATE INDEX postings_transaction_idx ON ledger.postings (transaction_id)`);
    await q.query(
      `CREATE INDEX postings_account_time_idx ON ledger.postings (account_id, occurred_at) INCLUDE (currency, amount_minor)`,
    );

    // Current balance per account and currency, kept by the postings trigger below in the posting
    // transaction; the copy of the normal side lets a CHECK enforce no-overdraft without a lookup.
    await q.query(`CREATE TABLE ledger.balances (
      account_id bigint NOT NULL REFERENCES ledger.accounts (id),
      currency text NOT NULL,
      balance_minor bigint NOT NULL DEFAULT 0,
      normal_sign smallint NOT NULL CHECK (normal_sign IN (-1, 1)),
      no_overdraft boolean NOT NULL DEFAULT false,
      PRIMARY KEY (account_id, currency),
      CONSTRAINT balances_no_overdraft CHECK (NOT no_overdraft OR balance_minor * normal_sign >= 0)
    )`);

    await q.query(`CREATE TABLE ledger.exchange_rates (
      currency text PRIMARY KEY CHECK (currency ~ '^[A-Z]{3}$'),
      base_currency text NOT NULL,
      rate numeric(24, 12) NOT NULL CHECK (rate > 0),
      updated_at timestamptz NOT NULL DEFAULT now()
    )`);

    await q.query(`CREATE FUNCTION ledger.refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'ledger % are immutable: post a reversing transaction instead', TG_TABLE_NAME
          USING ERRCODE = 'restrict_violation';
      END $$`);
    for (const table of ['transactions', 'postings']) {
      await q.query(`CREATE TRIGGER ${table}_immutable BEFORE UPDATE OR DELETE ON ledger.${table}
        FOR EACH ROW EXECUTE FUNCTION ledger.refuse_change()`);
      await q.query(`CREATE TRIGGER ${table}_no_truncate BEFORE TRUNCATE ON ledger.${table}
        FOR EACH STATEMENT EXECUTE FUNCTION ledger.refuse_change()`);
    }

    // posted_at is the database's clock, never the caller's: it is what seals a transaction below.
    await q.query(`CREATE FUNCTION ledger.stamp_posted_at() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN NEW.posted_at := now(); RETURN NEW; END $$`);
    await q.query(`CREATE TRIGGER transactions_stamp BEFORE INSERT ON ledger.transactions
      FOR EACH ROW EXECUTE FUNCTION ledger.stamp_posted_at()`);

    // Every insert of postings, however it is written, goes through this statement-level trigger:
    // - once committed, a transaction is sealed: postings for it can only come in the database
    //   transaction that inserted it (its posted_at is that transaction's now());
    // - a posting's currency must be its account's currency when the account has one;
    // - the kept balances move by the statement's postings, summed per (account, currency) and applied
    //   in that order, so a batch touches each balance row once and concurrent posters lock rows in the
    //   same order (no deadlocks), and raw SQL cannot make a balance drift from its postings.
    await q.query(`CREATE FUNCTION ledger.apply_new_postings() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF EXISTS (SELECT 1 FROM new_postings p JOIN ledger.transactions t ON t.id = p.transaction_id WHERE t.posted_at <> now()) THEN
          RAISE EXCEPTION 'ledger transaction is already posted: postings cannot be added to it'
            USING ERRCODE = 'restrict_violation';
        END IF;
        IF EXISTS (SELECT 1 FROM new_postings p JOIN ledger.accounts a ON a.id = p.account_id
                   WHERE a.currency IS NOT NULL AND a.currency <> p.currency) THEN
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
    await q.query(`CREATE TRIGGER postings_applied AFTER INSERT ON ledger.postings
      REFERENCING NEW TABLE AS new_postings FOR EACH STATEMENT EXECUTE FUNCTION ledger.apply_new_postings()`);

    // Double entry at commit: at least two postings, summing to zero in every currency.
    await q.query(`CREATE FUNCTION ledger.check_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE n integer; bad text;
      BEGIN
        SELECT count(*) INTO n FROM ledger.postings WHERE transaction_id = NEW.id;
        IF n < 2 THEN
          RAISE EXCEPTION 'ledger transaction % has % posting(s); at least two are required', NEW.id, n
            USING ERRCODE = 'check_violation';
        END IF;
        SELECT currency INTO bad FROM ledger.postings WHERE transaction_id = NEW.id
          GROUP BY currency HAVING sum(amount_minor) <> 0 LIMIT 1;
        IF bad IS NOT NULL THEN
          RAISE EXCEPTION 'ledger transaction % is unbalanced in %: postings must sum to zero per currency', NEW.id, bad
            USING ERRCODE = 'check_violation';
        END IF;
        RETURN NULL;
      END $$`);
    await q.query(`CREATE CONSTRAINT TRIGGER transactions_balanced AFTER INSERT ON ledger.transactions
      DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger.check_balanced()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(
      `DROP TABLE ledger.exchange_rates, ledger.balances, ledger.postings, ledger.transactions, ledger.accounts`,
    );
    await q.query(
      `DROP FUNCTION ledger.check_balanced(), ledger.apply_new_postings(), ledger.stamp_posted_at(), ledger.refuse_change()`,
    );
  }
}
