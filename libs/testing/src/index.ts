export * from './test-database';
export * from './test-nats';
export * from './test-stack';
export * from './http-client';
export * from './service-process';
export * from './fake-openai';
export * from './nats-rpc';
export * from './fake-github';
