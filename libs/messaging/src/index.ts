export * from './bus';
export * from './rpc';
export * from './validate-payload';
export * from './storable-text';
export * from './handlers';
