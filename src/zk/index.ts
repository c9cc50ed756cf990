/** The only code in kubectl-zk that speaks ZooKeeper. */
export * from './errors.js';
export * from './endpoint.js';
export * from './paths.js';
export * from './poll.js';
export * from './fourletter.js';
export * from './parse.js';
export * from './admin.js';
export * from './status.js';
export * from './jute.js';
export * from './wire.js';
export * from './once.js';
export * from './client.js';
export * from './reconfig.js';
