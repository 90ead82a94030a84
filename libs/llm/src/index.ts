export * from './model-client';
export * from './pricing';
export * from './retry-policy';
export * from './spend';
export * from './providers';
