import { Injectable } from '@nestjs/common';
import type { GetLedgerBalanceV1, LedgerBalanceViewV1 } from '@juggernaut/contracts';
import { DataSource } from 'typeorm';
import { LedgerError } from '../ledger-errors';
import { AccountsRepository } from './accounts.repository';

/**
 * Balances of an account and everything beneath it. Now: the kept balance rows. As of a time: the
 * postings that occurred at or before it, one index range per account.
 */
@Injectable()
export class BalancesRepository {
  constructor(
    private readonly db: DataSource,
    private readonly accounts: AccountsRepository,
  ) {}

  async get(q: GetLedgerBalanceV1): Promise<LedgerBalanceViewV1> {
    if (!(await this.accounts.exists(q.account))) throw new LedgerError(404, `account ${q.account} does not exist`);
    const subtree = [q.account, `${q.account.replace(/[\\%_]/g, (c) => `\\${c}`)}:%`];
    const rows = (
      q.asOf
        ? await this.db.query(
            `SELECT p.currency, sum(p.amount_minor)::text AS balance
         FROM ledger.accounts a JOIN ledger.postings p ON p.account_id = a.id AND p.occurred_at <= $3
         WHERE a.name = $1 OR a.name LIKE $2 GROUP BY p.currency ORDER BY p.currency`,
            [...subtree, q.asOf],
          )
        : await this.db.query(
            `SELECT b.currency, sum(b.balance_minor)::text AS balance
         FROM ledger.accounts a JOIN ledger.balances b ON b.account_id = a.id
         WHERE a.name = $1 OR a.name LIKE $2 GROUP BY b.currency ORDER BY b.currency`,
            subtree,
          )
    ) as Array<{ currency: string; balance: string }>;
    return {
      account: q.account,
      asOf: q.asOf ?? null,
      includesSubaccounts: true,
      balances: rows
        .filter((r) => r.balance !== '0')
        .map((r) => ({ currency: r.currency, balanceMinor: Number(r.balance) })),
    };
  }
}
