import { LedgerInit1764000000000 } from './1764000000000-ledger-init';

/** Every migration of the ledger schema, in order. */
export const ledgerMigrations = [LedgerInit1764000000000];
