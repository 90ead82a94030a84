export * from './tokens';
export * from './service-context';
export * from './service-definition';
export * from './platform.module';
export * from './health.controller';
export * from './outbox-relay';
export * from './http-middleware';
export * from './start-service';
