import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The commit-time double-entry check once per database transaction instead of once per ledger
 * transaction. The deferred trigger still fires for every inserted transaction (a constraint trigger
 * can only be per row), but the first firing checks every transaction this database transaction
 * inserted in one statement and remembers which it covered; the others find themselves covered and
 * return. Per ledger transaction the old check ran a query of its own (an index lookup and a group
 * by), which was about a fifth of Postgres's work for an ingested batch.
 *
 * How the set is found, without a lookup per transaction:
 * - the transactions: `seq` from the firing row's on, stamped with this database transaction's
 *   `now()` (the stamp trigger sets `posted_at`, whatever the insert says);
 * - their postings: the postings statement trigger keeps the lowest posting id this database
 *   transaction inserted (`ledger.postings_from`, a transaction-local setting), and every posting of a
 *   transaction inserted here was inserted here too (a committed transaction is sealed), so one range
 *   of ids holds them all. A transaction that the range shows unbalanced or short of postings is
 *   checked again by its own postings (the range may miss a concurrent transaction that happened to
 *   start in the same microsecond) before it is refused.
 * The covered seqs are remembered in transaction-local settings and forgotten by any later insert of
 * transactions or postings, so nothing inserted after a check (SET CONSTRAINTS ... IMMEDIATE) is
 * taken as checked. Refusals keep their wording.
 */
export class LedgerSetBalanceCheck1766200000000 implements MigrationInterface {
  name = 'LedgerSetBalanceCheck1766200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE OR REPLACE FUNCTION ledger.check_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        lo bigint := nullif(current_setting('ledger.balanced_from', true), '')::bigint;
        hi bigint := nullif(current_setting('ledger.balanced_to', true), '')::bigint;
        pfrom bigint; top bigint; suspects uuid[]; tx uuid; n integer; bad text;
      BEGIN
        IF NEW.seq >= lo AND NEW.seq <= hi THEN
          RETURN NULL;
        END IF;
        pfrom := coalesce(nullif(current_setting('ledger.postings_from', true), '')::bigint, 9223372036854775807);
        -- Planned with the actual bounds each time: both are near the ends of their indexes.
        EXECUTE $q$
          WITH mine AS (SELECT id, seq FROM ledger.transactions WHERE seq >= $1 AND posted_at = now()),
          sums AS (SELECT transaction_id, currency, count(*) AS c, sum(amount_minor) AS s
                   FROM ledger.postings WHERE id >= $2 GROUP BY 1, 2),
          per AS (SELECT m.id, m.seq, coalesce(sum(s.c), 0) AS n, bool_or(s.s <> 0) AS bad
                  FROM mine m LEFT JOIN sums s ON s.transaction_id = m.id GROUP BY m.id, m.seq)
          SELECT (SELECT max(seq) FROM mine), (SELECT array_agg(id ORDER BY seq) FROM per WHERE n < 2 OR bad)
        $q$ INTO top, suspects USING NEW.seq, pfrom;
        IF suspects IS NOT NULL THEN
          SELECT t.id, x.n, x.bad INTO tx, n, bad FROM unnest(suspects) WITH ORDINALITY AS t(id, k)
          CROSS JOIN LATERAL (
            SELECT coalesce(sum(c), 0)::int AS n, min(currency) FILTER (WHERE s <> 0) AS bad
            FROM (SELECT currency, count(*) AS c, sum(amount_minor) AS s FROM ledger.postings
                  WHERE transaction_id = t.id GROUP BY currency) y) x
          WHERE x.n < 2 OR x.bad IS NOT NULL ORDER BY t.k LIMIT 1;
          IF FOUND AND n < 2 THEN
            RAISE EXCEPTION 'ledger transaction % has % posting(s); at least two are required', tx, n
              USING ERRCODE = 'check_violation';
          ELSIF FOUND THEN
            RAISE EXCEPTION 'ledger transaction % is unbalanced in %: postings must sum to zero per currency', tx, bad
              USING ERRCODE = 'check_violation';
          END IF;
        END IF;
        PERFORM set_config('ledger.balanced_from', NEW.seq::text, true),
          set_config('ledger.balanced_to', top::text, true);
        RETURN NULL;
      END $$`);

    await q.query(`CREATE FUNCTION ledger.forget_balance_check() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM set_config('ledger.balanced_to', '', true);
        RETURN NULL;
      END $$`);
    await q.query(`CREATE TRIGGER transactions_inserted AFTER INSERT ON ledger.transactions
      FOR EACH STATEMENT EXECUTE FUNCTION ledger.forget_balance_check()`);

    // As in LedgerSetChecks, plus: each transaction looked up once (not once per posting), and the
    // lowest posting id of the database transaction kept for the commit-time check above.
    await q.query(`CREATE OR REPLACE FUNCTION ledger.apply_new_postings() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE tx uuid; absent boolean;
      BEGIN
        SELECT p.transaction_id, t.id IS NULL INTO tx, absent FROM (SELECT DISTINCT transaction_id FROM new_postings) p
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
        PERFORM set_config('ledger.postings_from', least(nullif(current_setting('ledger.postings_from', true), '')::bigint,
            (SELECT min(id) FROM new_postings))::text, true),
          set_config('ledger.balanced_to', '', true);
        RETURN NULL;
      END $$`);
  }

  // apply_new_postings keeps this version: what it adds is inert without the check above.
  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER transactions_inserted ON ledger.transactions`);
    await q.query(`DROP FUNCTION ledger.forget_balance_check()`);
    await q.query(`CREATE OR REPLACE FUNCTION ledger.check_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE n integer; bad text;
      BEGIN
        SELECT sum(x.c)::int, min(x.currency) FILTER (WHERE x.s <> 0) INTO n, bad
        FROM (SELECT currency, count(*) AS c, sum(amount_minor) AS s FROM ledger.postings WHERE transaction_id = NEW.id GROUP BY currency) x;
        IF coalesce(n, 0) < 2 THEN
          RAISE EXCEPTION 'ledger transaction % has % posting(s); at least two are required', NEW.id, coalesce(n, 0)
            USING ERRCODE = 'check_violation';
        END IF;
        IF bad IS NOT NULL THEN
          RAISE EXCEPTION 'ledger transaction % is unbalanced in %: postings must sum to zero per currency', NEW.id, bad
            USING ERRCODE = 'check_violation';
        END IF;
        RETURN NULL;
      END $$`);
  }
}
