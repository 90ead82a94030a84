import { Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { Subjects } from '@juggernaut/contracts';
import { Bus } from '@juggernaut/messaging';
import type { Subscription } from '@nats-io/transport-node';
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
export class LedgerMessaging implements OnApplicationBootstrap, OnModuleDestroy {
  private subs: Subscription[] = [];

  constructor(
    private readonly bus: Bus,
    private readonly ledger: LedgerService,
    private readonly transactions: TransactionsRepository,
    private readonly accounts: AccountsRepository,
    private readonly balances: BalancesRepository,
    private readonly pnl: PnlRepository,
    private readonly summary: SummaryService,
    private readonly rates: RatesRepository,
    private readonly reconciliations: ReconciliationsRepository,
  ) {}

  onApplicationBootstrap(): void {
    const b = this.bus;
    this.subs = [
      b.respond(Subjects.ledgerTransactionPost, (req) => this.ledger.postManual(req)),
      b.respond(Subjects.ledgerTransactionReverse, (req) => this.ledger.reverse(req)),
      b.respond(Subjects.ledgerTransactionGet, (req) => this.ledger.get(req.id)),
      b.respond(Subjects.ledgerTransactionList, (req) => this.transactions.list(req)),
      b.respond(Subjects.ledgerAccountCreate, (req) => this.accounts.create(req)),
      b.respond(Subjects.ledgerAccountList, (req) => this.accounts.list(req.prefix)),
      b.respond(Subjects.ledgerBalanceGet, (req) => this.balances.get(req)),
      b.respond(Subjects.ledgerPnlGet, (req) => this.pnl.report(req)),
      b.respond(Subjects.ledgerSummaryGet, () => this.summary.summary()),
      b.respond(Subjects.ledgerRateSet, (req) => this.rates.set(req)),
      b.respond(Subjects.ledgerRateList, () => this.rates.list()),
      b.respond(Subjects.ledgerReconciliationGet, (req) => this.reconciliations.get(req.id)),
      b.respond(Subjects.ledgerReconciliationList, (req) => this.reconciliations.list(req)),
    ];
  }

  onModuleDestroy(): void {
    for (const s of this.subs) s.unsubscribe();
  }
}
