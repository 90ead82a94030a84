import { DispatchInit1764000000000 } from './1764000000000-dispatch-init';
import { DispatchTasks1764000100000 } from './1764000100000-dispatch-tasks';

/** Every migration of the dispatch schema, in order. */
export const dispatchMigrations = [DispatchInit1764000000000, DispatchTasks1764000100000];
