import { LedgerInit1764000000000 } from './1764000000000-ledger-init';
import { LedgerDoubleEntry1764100000000 } from './1764100000000-ledger-double-entry';
import { LedgerLeanPosting1764100100000 } from './1764100100000-ledger-lean-posting';
import { LedgerSetChecks1764100200000 } from './1764100200000-ledger-set-checks';
import { LedgerPayments1765100000000 } from './1765100000000-ledger-payments';
import { LedgerSetBalanceCheck1766200000000 } from './1766200000000-ledger-set-balance-check';

/** Every migration of the ledger schema, in order. */
export const ledgerMigrations = [
  LedgerInit1764000000000,
  LedgerDoubleEntry1764100000000,
  LedgerLeanPosting1764100100000,
  LedgerSetChecks1764100200000,
  LedgerPayments1765100000000,
  LedgerSetBalanceCheck1766200000000,
];
