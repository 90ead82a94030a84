export * from './task-worker';
export * from './finish-reporter';
export * from './until-answered';
export * from './wake-signal';
