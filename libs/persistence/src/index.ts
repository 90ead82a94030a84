export * from './data-source';
export * from './group-commit';
export * from './outbox';
export * from './pagination';
export * from './service-role';
export * from './sql-where';
export * from './row-types';
export type { Outbox } from './outbox.generated';
export * from './prepared-query';
