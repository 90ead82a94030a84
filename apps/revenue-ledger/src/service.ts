import type { ServiceDefinition } from '@juggernaut/service-kit';
import { LedgerEnv } from './config';
import { ledgerMigrations } from './migrations';
import { RevenueLedgerModule } from './revenue-ledger.module';

export const revenueLedger: ServiceDefinition<LedgerEnv> = {
  name: 'revenue-ledger',
  envClass: LedgerEnv,
  module: RevenueLedgerModule,
  database: { schema: 'ledger', migrations: ledgerMigrations, outbox: true },
};
