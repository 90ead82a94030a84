import { Module } from '@nestjs/common';
import { AccountsRepository } from './accounts/accounts.repository';
import { BalancesRepository } from './accounts/balances.repository';
import { IngestionMessaging } from './ingestion/ingestion.messaging';
import { LedgerMetrics } from './ledger-metrics';
import { LedgerMessaging } from './ledger.messaging';
import { PaymentsConsumer } from './payments/payments.consumer';
import { PaymentsService } from './payments/payments.service';
import { PostingRepository } from './posting/posting.repository';
import { ReconcileWorker } from './reconciliation/reconcile-worker';
import { ReconciliationsRepository } from './reconciliation/reconciliations.repository';
import { StripeBalance } from './reconciliation/stripe-balance';
import { PostingService } from './posting/posting.service';
import { RatesRepository } from './rates/rates.repository';
import { PnlRepository } from './reports/pnl.repository';
import { SummaryService } from './reports/summary.service';
import { LedgerService } from './transactions/ledger.service';
import { TransactionsRepository } from './transactions/transactions.repository';

@Module({
  providers: [
    AccountsRepository,
    BalancesRepository,
    PostingRepository,
    PostingService,
    RatesRepository,
    SummaryService,
    PnlRepository,
    TransactionsRepository,
    LedgerService,
    LedgerMetrics,
    LedgerMessaging,
    IngestionMessaging,
    PaymentsService,
    PaymentsConsumer,
    StripeBalance,
    ReconciliationsRepository,
    ReconcileWorker,
  ],
})
export class RevenueLedgerModule {}
