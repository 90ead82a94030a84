import { Injectable } from '@nestjs/common';
import {
  type CreateLedgerAccountV1,
  type GetLedgerBalanceV1,
  type GetPnlV1,
  type LedgerTransactionIdV1,
  type ListLedgerAccountsV1,
  type ListLedgerTransactionsV1,
  type ListReconciliationsV1,
  type PostLedgerTransactionV1,
  type ReconciliationIdV1,
  type ReverseLedgerTransactionV1,
  type SetExchangeRateV1,
  Subjects,
} from '@juggernaut/contracts';
import { Respond } from '@juggernaut/messaging';
import { AccountsRepository } from './accounts/accounts.repository';
import { BalancesRepository } from './accounts/balances.repository';
import { RatesRepository } from './rates/rates.repository';
import { ReconciliationsRepository } from './reconciliation/reconciliations.repository';
import { PnlRepository } from './reports/pnl.repository';
import { SummaryService } from './reports/summary.service';
import { LedgerService } from './transactions/ledger.service';
import { TransactionsRepository } from './transactions/transactions.repository';

/** Every ledger query and command on NATS request/reply, in the `revenue-ledger` queue group. */
@Injectable()
export class LedgerMessaging {
  constructor(
    private readonly ledger: LedgerService,
    private readonly transactions: TransactionsRepository,
    private readonly accounts: AccountsRepository,
    private readonly balances: BalancesRepository,
    private readonly pnl: PnlRepository,
    private readonly summary: SummaryService,
    private readonly rates: RatesRepository,
    private readonly reconciliations: ReconciliationsRepository,
  ) {}

  @Respond(Subjects.ledgerTransactionPost)
  post(req: PostLedgerTransactionV1) {
    return this.ledger.postManual(req);
  }

  @Respond(Subjects.ledgerTransactionReverse)
  reverse(req: ReverseLedgerTransactionV1) {
    return this.ledger.reverse(req);
  }

  @Respond(Subjects.ledgerTransactionGet)
  getTransaction(req: LedgerTransactionIdV1) {
    return this.ledger.get(req.id);
  }

  @Respond(Subjects.ledgerTransactionList)
  listTransactions(req: ListLedgerTransactionsV1) {
    return this.transactions.list(req);
  }

  @Respond(Subjects.ledgerAccountCreate)
  createAccount(req: CreateLedgerAccountV1) {
    return this.accounts.create(req);
  }

  @Respond(Subjects.ledgerAccountList)
  listAccounts(req: ListLedgerAccountsV1) {
    return this.accounts.list(req.prefix);
  }

  @Respond(Subjects.ledgerBalanceGet)
  balance(req: GetLedgerBalanceV1) {
    return this.balances.get(req);
  }

  @Respond(Subjects.ledgerPnlGet)
  pnlReport(req: GetPnlV1) {
    return this.pnl.report(req);
  }

  @Respond(Subjects.ledgerSummaryGet)
  ledgerSummary() {
    return this.summary.summary();
  }

  @Respond(Subjects.ledgerRateSet)
  setRate(req: SetExchangeRateV1) {
    return this.rates.set(req);
  }

  @Respond(Subjects.ledgerRateList)
  listRates() {
    return this.rates.list();
  }

  @Respond(Subjects.ledgerReconciliationGet)
  getReconciliation(req: ReconciliationIdV1) {
    return this.reconciliations.get(req.id);
  }

  @Respond(Subjects.ledgerReconciliationList)
  listReconciliations(req: ListReconciliationsV1) {
    return this.reconciliations.list(req);
  }
}
