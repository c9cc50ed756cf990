import {strict as assert} from 'node:assert';
import {ZkError, ancestors, isValidPath, joinPath, parentPath, validatePath} from '../../support/zk.js';

describe('zk/paths', () => {
  it('accepts valid paths', () => {
    for (const p of ['/', '/a', '/a/b', '/zookeeper/config', '/with space', '/ünïcode', '/a.b', '/..a', '/a/...']) {
      assert.doesNotThrow(() => validatePath(p), p);
    }
  });
  it('rejects invalid paths with InvalidPath and a reason', () => {
    const cases: [string, RegExp][] = [
      ['', /length must be > 0/],
      ['a', /start with \//],
      ['/a/', /must not end with \//],
      ['//a', /empty node name/],
      ['/a//b', /empty node name/],
      ['/a/.', /relative paths/],
      ['/a/../b', /relative paths/],
      ['/./a', /relative paths/],
      ['/a\u0000b', /null character/],
      ['/a\u0001', /invalid character/],
      ['/a\ud800', /invalid character/],
    ];
    for (const [p, re] of cases) {
      assert.throws(
        () => validatePath(p),
        (e: unknown) => e instanceof ZkError && e.code === 'InvalidPath' && e.path === p && re.test(e.message),
        JSON.stringify(p),
      );
    }
  });
  it('sequential creates may end with a slash', () => {
    assert.doesNotThrow(() => validatePath('/queue/', {sequential: true}));
    assert.throws(() => validatePath('/queue//', {sequential: true}));
    assert.equal(isValidPath('/queue/'), false);
  });
  it('helpers', () => {
    assert.equal(parentPath('/a/b'), '/a');
    assert.equal(parentPath('/a'), '/');
    assert.equal(parentPath('/'), '/');
    assert.equal(joinPath('/', 'x'), '/x');
    assert.equal(joinPath('/a', 'x'), '/a/x');
    assert.deepEqual(ancestors('/a/b/c'), ['/a', '/a/b']);
    assert.deepEqual(ancestors('/a'), []);
  });
});
