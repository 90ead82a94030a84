import { DispatchInit1764000000000 } from './1764000000000-dispatch-init';
import { DispatchTasks1764000100000 } from './1764000100000-dispatch-tasks';
import { DispatchLeanIndexes1764000200000 } from './1764000200000-dispatch-lean-indexes';
import { TaskBlocking1764400100000 } from './1764400100000-task-blocking';
import { DispatchFaultTolerance1764700000000 } from './1764700000000-dispatch-fault-tolerance';
import { DispatchQueueFeatures1764800000000 } from './1764800000000-dispatch-queue-features';

/** Every migration of the dispatch schema, in order. */
export const dispatchMigrations = [
  DispatchInit1764000000000,
  DispatchTasks1764000100000,
  DispatchLeanIndexes1764000200000,
  TaskBlocking1764400100000,
  DispatchFaultTolerance1764700000000,
  DispatchQueueFeatures1764800000000,
];
