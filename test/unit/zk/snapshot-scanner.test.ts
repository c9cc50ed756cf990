import assert from 'node:assert/strict';
import {SnapshotScanner, type SnapshotNode} from '../../../src/zk/snapshot.js';
import {encodeSnapshot} from '../../support/snapshot.js';

const PRIV = [{perms: 31, scheme: 'digest', id: 'app:xyz'}];
const SNAP = encodeSnapshot(
  [{path: '/'}, {path: '/zookeeper'}, {path: '/app', data: Buffer.from('hello')}, {path: '/app/p', data: Buffer.alloc(300, 7), acl: 1n}, {path: '/app/lock', ephemeralOwner: 0x1000n}],
  [[1n, PRIV]],
);

const seen = (n: SnapshotNode) => `${n.path}:${n.data.toString('hex')}:${n.acl.map((a) => `${a.scheme}:${a.id}:${a.perms}`).join(',')}:${n.ephemeralOwner}`;

function scan(bytes: Buffer, size: number): {nodes: string[]; summary: ReturnType<SnapshotScanner['end']>} {
  const nodes: string[] = [];
  const s = new SnapshotScanner((n) => void nodes.push(seen(n)));
  for (let i = 0; i < bytes.length; i += size) s.push(bytes.subarray(i, i + size));
  return {nodes, summary: s.end()};
}

describe('SnapshotScanner (the snapshot read as it arrives, synchronously)', () => {
  it('gives the same znodes, ACLs resolved, for every split of the stream, and drops what follows the seal', () => {
    const whole = scan(SNAP, SNAP.length);
    assert.equal(whole.nodes.length, 5);
    assert.equal(whole.nodes[3], `/app/p:${'07'.repeat(300)}:digest:app:xyz:31:0`);
    assert.equal(whole.summary.nodes, 5);
    assert.equal(whole.summary.sessions, 1);
    for (let size = 1; size <= 40; size++) assert.deepEqual(scan(SNAP, size).nodes, whole.nodes, `chunks of ${size}`);
    // a digest section of any length after the seal
    assert.deepEqual(scan(Buffer.concat([SNAP, Buffer.alloc(1000, 1)]), 64).nodes, whole.nodes);
  });

  it('refuses a stream that is not a snapshot at its first bytes, before it ends', () => {
    assert.throws(() => new SnapshotScanner(() => undefined).push(Buffer.from('<html>')), /no ZKSN magic/);
    assert.throws(() => new SnapshotScanner(() => undefined).push(Buffer.from([0x1f, 0x8b])), /gzip-compressed/);
    const short = new SnapshotScanner(() => undefined);
    short.push(Buffer.from('ZK'));
    assert.throws(() => short.end(), /no ZKSN magic/);
  });

  it('says how many bytes a truncated stream held, wherever it was cut', () => {
    const sealAt = SNAP.length - 8 - 8 - 4 - 1; // before the Adler-32 and the seal
    for (const cut of [4, 10, 30, 60, 100, sealAt, SNAP.length - 10]) {
      const s = new SnapshotScanner(() => undefined);
      s.push(SNAP.subarray(0, cut));
      assert.throws(() => s.end(), new RegExp(`ends early \\(after ${cut} bytes\\): truncated`), `cut at ${cut}`);
    }
  });

  it('refuses a wrong seal, a path or an ACL string of an impossible length, an unknown ACL reference', () => {
    const sealed = Buffer.from(SNAP);
    sealed.write('x', SNAP.length - 8 - 1, 'latin1'); // the "/" of the seal
    assert.throws(() => scan(sealed, 16), /no seal after the last znode/);
    const badPath = Buffer.from(SNAP);
    // the first znode's path length, right after the header, the session and the ACL cache
    const firstNode = 4 + 4 + 8 + 4 + 12 + 4 + 8 + 4 + 4 + 4 + 6 + 4 + 7;
    badPath.writeInt32BE(-5, firstNode);
    assert.throws(() => scan(badPath, 7), /a path of -5 bytes at offset/);
    const badScheme = Buffer.from(SNAP);
    badScheme.writeInt32BE(1 << 30, 4 + 4 + 8 + 4 + 12 + 4 + 8 + 4 + 4);
    assert.throws(() => scan(badScheme, 7), /an ACL scheme of 1073741824 bytes/);
    assert.throws(() => scan(encodeSnapshot([{path: '/', acl: 9n}]), 5), /names ACL 9/);
  });
});
