import { ChangeOperations } from './changes';
import { ExperimentOperations } from './experiments';
import { GovernanceOperations } from './governance';
import { LedgerOperations } from './ledger';
import { TaskOperations } from './tasks';

export * from './operation';
export * from './coverage';
export * from './responses';
export { StreamEvents, SignalSubjects } from './events';
export { TaskOperations, LedgerOperations, ExperimentOperations, ChangeOperations, GovernanceOperations };

/** Every request/reply operation, by name (the name is its key in `Subjects`). */
export const Operations = {
  ...TaskOperations,
  ...LedgerOperations,
  ...ExperimentOperations,
  ...ChangeOperations,
  ...GovernanceOperations,
} as const;
export type Operations = typeof Operations;
export type OperationName = keyof Operations;
