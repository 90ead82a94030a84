import type { ServiceDefinition } from '@juggernaut/service-kit';
import { LedgerEnv } from './config';
import { ledgerMigrations } from './migrations';
import { RevenueLedgerModule } from './revenue-ledger.module';

export const revenueLedger: ServiceDefinition<LedgerEnv> = {
  name: 'revenue-ledger',
  envClass: LedgerEnv,
  module: RevenueLedgerModule,
  database: {
    schema: 'ledger',
    migrations: ledgerMigrations,
    outbox: true,
    // posted entries are immutable (their triggers refuse UPDATE, DELETE, TRUNCATE) and accounts are
    // never removed; the service only reads and inserts them, so its runtime role may do nothing else
    // payment_events likewise: what each provider event meant is kept as it was first applied
    appendOnlyTables: ['transactions', 'postings', 'accounts', 'payment_events'],
  },
};
