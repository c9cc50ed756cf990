/**
 * package.json pins every dependency exactly (no ^ or ~), and the typings
 * src/zk/client.ts writes for node-zookeeper-client match the library where
 * @types/node-zookeeper-client (1.1.0) does not.
 */
import assert from 'node:assert/strict';
import {readFileSync} from 'node:fs';
import {createRequire} from 'node:module';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as Record<string, Record<string, string>>;
const require = createRequire(import.meta.url);

describe('dependencies', () => {
  it('every dependency and devDependency is pinned to one exact version, the installed one', () => {
    const all = {...pkg.dependencies, ...pkg.devDependencies};
    assert.ok(Object.keys(all).length > 5);
    for (const [name, version] of Object.entries(all)) {
      assert.match(version, /^\d+\.\d+\.\d+(-[\w.]+)?$/, `${name}: "${version}" is a range`);
      const installed = JSON.parse(readFileSync(new URL(`../../node_modules/${name}/package.json`, import.meta.url), 'utf8')) as {version: string};
      assert.equal(installed.version, version, `${name}: installed version differs from the pin (npm ci)`);
    }
  });

  it('node-zookeeper-client: an ACL carries `permission` (the @types package says `perms`), create takes null data', () => {
    const lib = require('node-zookeeper-client') as {ACL: new (p: number, id: unknown) => Record<string, unknown>; Id: new (s: string, id: string) => unknown};
    const acl = new lib.ACL(31, new lib.Id('world', 'anyone'));
    assert.equal(acl.permission, 31);
    assert.equal('perms' in acl, false);
    const libDir = require.resolve('node-zookeeper-client/package.json').replace(/package\.json$/, '');
    assert.match(readFileSync(`${libDir}index.js`, 'utf8'), /data === null \|\| data === undefined \|\| Buffer\.isBuffer\(data\),\s*'data must be a valid buffer, null or undefined\.'/);
  });
});
