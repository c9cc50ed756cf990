import {strict as assert} from 'node:assert';
import {
  FrameDecoder,
  JuteReader,
  JuteWriter,
  OpCode,
  Xid,
  ZkError,
  decodeChildren,
  decodeConnectResponse,
  decodeGetACLResponse,
  decodeGetDataResponse,
  decodeReplyHeader,
  encodeAuth,
  encodeConnectRequest,
  encodeGetACL,
  encodeGetChildren,
  encodeGetData,
  encodeReconfig,
  encodeStat,
  type Stat,
} from '../../support/zk.js';

const stat: Stat = {
  czxid: 1n,
  mzxid: 0x10000000bn,
  ctime: 1700000000000n,
  mtime: 1700000000001n,
  version: 3,
  cversion: -1,
  aversion: 0,
  ephemeralOwner: 0x300000503460000n,
  dataLength: 5,
  numChildren: 0,
  pzxid: -1n,
};

describe('zk/jute', () => {
  it('writes primitives big-endian with -1 for null', () => {
    const b = new JuteWriter(1)
      .int(-2)
      .long(0x0102030405060708n)
      .bool(true)
      .ustring(null)
      .ustring('hé')
      .buffer(Buffer.from([9]))
      .bytes();
    assert.equal(b.toString('hex'), 'fffffffe' + '0102030405060708' + '01' + 'ffffffff' + '00000003' + '68c3a9' + '00000001' + '09');
    const r = new JuteReader(b);
    assert.equal(r.int(), -2);
    assert.equal(r.long(), 0x0102030405060708n);
    assert.equal(r.bool(), true);
    assert.equal(r.ustring(), null);
    assert.equal(r.ustring(), 'hé');
    assert.deepEqual(r.buffer(), Buffer.from([9]));
    assert.equal(r.remaining, 0);
  });

  it('a truncated record is a ProtocolError', () => {
    assert.throws(
      () => new JuteReader(Buffer.from([0, 0, 0, 5, 1])).buffer(),
      (e: unknown) => e instanceof ZkError && e.code === 'ProtocolError',
    );
  });

  it('ConnectRequest: 45-byte body, length-prefixed', () => {
    const f = encodeConnectRequest({protocolVersion: 0, lastZxidSeen: 0n, timeOut: 10000, sessionId: 0n, passwd: Buffer.alloc(16), readOnly: false});
    assert.equal(f.length, 49);
    assert.equal(f.readInt32BE(0), 45);
    assert.equal(f.readInt32BE(4 + 4 + 8), 10000);
    assert.equal(f.readInt32BE(4 + 4 + 8 + 4 + 8), 16);
  });

  it('ConnectResponse with and without the readOnly byte', () => {
    const w = new JuteWriter().int(0).int(4000).long(0x1234n).buffer(Buffer.alloc(16, 7));
    const old = decodeConnectResponse(w.bytes());
    assert.equal(old.readOnly, false);
    assert.equal(old.timeOut, 4000);
    assert.equal(old.sessionId, 0x1234n);
    const ro = decodeConnectResponse(w.bool(true).bytes());
    assert.equal(ro.readOnly, true);
  });

  it('auth packet: xid -4, type 100, digest scheme', () => {
    const f = encodeAuth({type: 0, scheme: 'digest', auth: Buffer.from('super:pw')});
    const r = new JuteReader(f.subarray(4));
    assert.equal(r.int(), Xid.auth);
    assert.equal(r.int(), OpCode.auth);
    assert.equal(r.int(), 0);
    assert.equal(r.ustring(), 'digest');
    assert.equal(r.buffer()?.toString(), 'super:pw');
  });

  it('ReconfigRequest: opcode 16, three nullable strings, curConfigId', () => {
    const f = encodeReconfig(7, {joiningServers: 'server.4=h:1:2:observer;3', leavingServers: null, newMembers: null, curConfigId: 0x10000000bn});
    const r = new JuteReader(f.subarray(4));
    assert.equal(r.int(), 7);
    assert.equal(r.int(), 16);
    assert.equal(r.ustring(), 'server.4=h:1:2:observer;3');
    assert.equal(r.ustring(), null);
    assert.equal(r.ustring(), null);
    assert.equal(r.long(), 0x10000000bn);
    assert.equal(r.remaining, 0);
    assert.equal(f.readInt32BE(0), f.length - 4);
  });

  it('-1 config id encodes as ffffffffffffffff', () => {
    const f = encodeReconfig(1, {joiningServers: null, leavingServers: '3', newMembers: null, curConfigId: -1n});
    assert.equal(f.subarray(f.length - 8).toString('hex'), 'ffffffffffffffff');
  });

  it('GetDataRequest and GetDataResponse/Stat round trip', () => {
    const req = new JuteReader(encodeGetData(3, '/zookeeper/config').subarray(4));
    assert.deepEqual([req.int(), req.int(), req.ustring(), req.bool()], [3, OpCode.getData, '/zookeeper/config', false]);
    const body = encodeStat(new JuteWriter().int(3).long(0x10000000bn).int(0).buffer(Buffer.from('hello')), stat).bytes();
    const r = new JuteReader(body);
    assert.deepEqual(decodeReplyHeader(r), {xid: 3, zxid: 0x10000000bn, err: 0});
    const resp = decodeGetDataResponse(r);
    assert.equal(resp.data.toString(), 'hello');
    assert.deepEqual(resp.stat, stat);
  });

  it('GetACLRequest (opcode 6, path only) and GetACLResponse (vector of perms, scheme, id; then the stat)', () => {
    const req = new JuteReader(encodeGetACL(7, '/app').subarray(4));
    assert.deepEqual([req.int(), req.int(), req.ustring(), req.remaining], [7, OpCode.getACL, '/app', 0]);
    const body = encodeStat(new JuteWriter().int(2).int(31).ustring('world').ustring('anyone').int(1).ustring('digest').ustring('app:x='), stat).bytes();
    assert.deepEqual(decodeGetACLResponse(new JuteReader(body)), {
      acl: [
        {perms: 31, scheme: 'world', id: 'anyone'},
        {perms: 1, scheme: 'digest', id: 'app:x='},
      ],
      stat,
    });
  });

  it("GetChildrenRequest (opcode 8, path, watch) and its response in the server's order", () => {
    const req = new JuteReader(encodeGetChildren(9, '/a').subarray(4));
    assert.deepEqual([req.int(), req.int(), req.ustring(), req.bool()], [9, OpCode.getChildren, '/a', false]);
    assert.deepEqual(decodeChildren(new JuteReader(new JuteWriter().int(2).ustring('b').ustring('a').bytes())), ['b', 'a']);
  });

  it('a null data buffer decodes as empty', () => {
    const r = new JuteReader(encodeStat(new JuteWriter().buffer(null), stat).bytes());
    assert.equal(decodeGetDataResponse(r).data.length, 0);
  });

  it('FrameDecoder reassembles split and merged frames', () => {
    const a = new JuteWriter().int(1).frame();
    const b = new JuteWriter().ustring('xyz').frame();
    const all = Buffer.concat([a, b]);
    const d = new FrameDecoder();
    assert.deepEqual(d.push(all.subarray(0, 3)), []);
    const got = [...d.push(all.subarray(3, 10)), ...d.push(all.subarray(10))];
    assert.equal(got.length, 2);
    assert.equal(new JuteReader(got[0]!).int(), 1);
    assert.equal(new JuteReader(got[1]!).ustring(), 'xyz');
  });

  it('FrameDecoder rejects absurd lengths', () => {
    assert.throws(() => new FrameDecoder(100).push(Buffer.from([0, 0, 1, 0])), /bad frame length/);
  });
});
