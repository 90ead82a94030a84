import 'reflect-metadata';
export * from './env-decorators';
export * from './load-config';
export * from './base-env';
