import { DispatchInit1764000000000 } from './1764000000000-dispatch-init';

/** Every migration of the dispatch schema, in order. */
export const dispatchMigrations = [DispatchInit1764000000000];
