/**
 * src/zk/nzc-internals.ts reaches into node-zookeeper-client's private
 * ConnectionManager. These tests fail when the installed library no longer
 * has that shape (after an upgrade): then nzc-internals.ts needs a look.
 */
import {strict as assert} from 'node:assert';
import {readFileSync} from 'node:fs';
import {createRequire} from 'node:module';
import {CM_STATES} from '../../../src/zk/nzc-internals.js';

const require = createRequire(import.meta.url);
const libDir = require.resolve('node-zookeeper-client/package.json').replace(/package\.json$/, '');
const source = readFileSync(`${libDir}lib/ConnectionManager.js`, 'utf8');

describe('node-zookeeper-client internals (nzc-internals.ts)', () => {
  it('the version package.json pins exactly is the one installed', () => {
    const pinned = (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {dependencies: Record<string, string>}).dependencies['node-zookeeper-client'];
    assert.match(pinned ?? '', /^\d+\.\d+\.\d+$/, 'pinned exactly, no range');
    assert.equal((require('node-zookeeper-client/package.json') as {version: string}).version, pinned);
  });

  it('a client has a connectionManager with the fields and methods used', () => {
    const lib = require('node-zookeeper-client') as {createClient(s: string, o: object): {connectionManager?: Record<string, unknown>}};
    const cm = lib.createClient('127.0.0.1:1', {sessionTimeout: 9000}).connectionManager;
    assert.ok(cm, 'client.connectionManager');
    assert.equal(typeof cm.onSocketData, 'function');
    assert.equal(typeof cm.queue, 'function');
    assert.equal(typeof cm.state, 'number');
    assert.equal(typeof cm.sessionTimeout, 'number');
    assert.equal(typeof cm.connectTimeout, 'number');
  });

  it('the connection states are the numbers watchReads compares with', () => {
    assert.match(source, new RegExp(`CONNECTING\\s*:\\s*${CM_STATES.connecting},`));
    assert.match(source, new RegExp(`CONNECTED\\s*:\\s*${CM_STATES.connected},`));
    assert.match(source, new RegExp(`CONNECTED_READ_ONLY\\s*:\\s*${CM_STATES.connectedReadOnly},`));
  });

  it('onSocketData is looked up on the instance when a socket connects (so an instance wrapper sees every socket)', () => {
    assert.match(source, /self\.socket\.on\('data', self\.onSocketData\.bind\(self\)\)/);
  });

  it('requests go through this.queue / connectionManager.queue (so the closeSession reply can be seen)', () => {
    assert.match(source, /ConnectionManager\.prototype\.queue = function \(request, callback\)/);
  });
});
