/** Everything tests use from src/zk in one import, plus the test-only ensemble probes (zk-status.ts, zk-admin.ts). */
export * from '../../src/zk/errors.js';
export * from '../../src/zk/endpoint.js';
export * from '../../src/zk/paths.js';
export * from '../../src/zk/poll.js';
export * from '../../src/zk/fourletter.js';
export * from '../../src/zk/parse.js';
export * from './zk-admin.js';
export * from './zk-status.js';
export * from '../../src/zk/jute.js';
export * from '../../src/zk/wire.js';
export * from '../../src/zk/once.js';
export * from '../../src/zk/client.js';
export * from '../../src/zk/reconfig.js';
