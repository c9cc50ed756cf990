/**
 * Jute, ZooKeeper's wire serialisation: big-endian int/long, bool as one
 * byte, buffers and strings length-prefixed (-1 = null), plus the records
 * this project needs (handshake, auth, getData, exists, getChildren, sync,
 * reconfig, multiRead, close).
 * Pure encode/decode; no sockets here.
 */
import {ZkError} from './errors.js';

export const OpCode = Object.freeze({
  notification: 0,
  create: 1,
  delete: 2,
  exists: 3,
  getData: 4,
  setData: 5,
  getACL: 6,
  setACL: 7,
  getChildren: 8,
  sync: 9,
  ping: 11,
  getChildren2: 12,
  check: 13,
  multi: 14,
  create2: 15,
  reconfig: 16,
  /** getData and getChildren of many znodes in one request (ZooKeeper 3.6+) */
  multiRead: 22,
  auth: 100,
  setWatches: 101,
  sasl: 102,
  closeSession: -11,
  createSession: -10,
  error: -1,
});

/** Reserved xids (ClientCnxn). */
export const Xid = Object.freeze({
  notification: -1,
  ping: -2,
  auth: -4,
  setWatches: -8,
});

export class JuteWriter {
  private buf: Buffer;
  private len = 0;

  constructor(initial = 256) {
    this.buf = Buffer.alloc(initial);
  }

  private ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const next = Buffer.alloc(Math.max(this.buf.length * 2, this.len + n));
    this.buf.copy(next, 0, 0, this.len);
    this.buf = next;
  }

  int(v: number): this {
    this.ensure(4);
    this.buf.writeInt32BE(v, this.len);
    this.len += 4;
    return this;
  }

  long(v: bigint | number): this {
    this.ensure(8);
    this.buf.writeBigInt64BE(BigInt.asIntN(64, BigInt(v)), this.len);
    this.len += 8;
    return this;
  }

  bool(v: boolean): this {
    this.ensure(1);
    this.buf.writeUInt8(v ? 1 : 0, this.len);
    this.len += 1;
    return this;
  }

  buffer(v: Buffer | null | undefined): this {
    if (v === null || v === undefined) return this.int(-1);
    this.int(v.length);
    this.ensure(v.length);
    v.copy(this.buf, this.len);
    this.len += v.length;
    return this;
  }

  /** Bytes as they are (an already encoded record), no length prefix. */
  raw(v: Buffer): this {
    this.ensure(v.length);
    v.copy(this.buf, this.len);
    this.len += v.length;
    return this;
  }

  ustring(v: string | null | undefined): this {
    return this.buffer(v === null || v === undefined ? null : Buffer.from(v, 'utf8'));
  }

  /** The bytes written so far. */
  bytes(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.len));
  }

  /** The bytes with a 4-byte length prefix (one frame on the wire). */
  frame(): Buffer {
    const body = this.bytes();
    const out = Buffer.alloc(body.length + 4);
    out.writeInt32BE(body.length, 0);
    body.copy(out, 4);
    return out;
  }
}

export class JuteReader {
  private off = 0;
  constructor(private readonly buf: Buffer) {}

  get remaining(): number {
    return this.buf.length - this.off;
  }

  private need(n: number): void {
    if (this.off + n > this.buf.length) {
      throw new ZkError('ProtocolError', `jute: record truncated (need ${n} bytes at ${this.off}, have ${this.buf.length - this.off})`);
    }
  }

  int(): number {
    this.need(4);
    const v = this.buf.readInt32BE(this.off);
    this.off += 4;
    return v;
  }

  long(): bigint {
    this.need(8);
    const v = this.buf.readBigInt64BE(this.off);
    this.off += 8;
    return v;
  }

  bool(): boolean {
    this.need(1);
    const v = this.buf.readUInt8(this.off);
    this.off += 1;
    return v !== 0;
  }

  buffer(): Buffer | null {
    const n = this.int();
    if (n < 0) return null;
    this.need(n);
    const v = Buffer.from(this.buf.subarray(this.off, this.off + n));
    this.off += n;
    return v;
  }

  ustring(): string | null {
    const b = this.buffer();
    return b === null ? null : b.toString('utf8');
  }
}

// ---------------------------------------------------------------- records

export interface ConnectRequest {
  protocolVersion: number;
  lastZxidSeen: bigint;
  timeOut: number;
  sessionId: bigint;
  passwd: Buffer;
  readOnly: boolean;
}

export function encodeConnectRequest(r: ConnectRequest): Buffer {
  return new JuteWriter().int(r.protocolVersion).long(r.lastZxidSeen).int(r.timeOut).long(r.sessionId).buffer(r.passwd).bool(r.readOnly).frame();
}

/** The handshake of a new session (no session id, no zxid seen yet). */
export function encodeNewSession(timeOutMs: number, readOnly = false): Buffer {
  return encodeConnectRequest({protocolVersion: 0, lastZxidSeen: 0n, timeOut: timeOutMs, sessionId: 0n, passwd: Buffer.alloc(16), readOnly});
}

export interface ConnectResponse {
  protocolVersion: number;
  timeOut: number;
  sessionId: bigint;
  passwd: Buffer;
  /** Absent from servers that predate read-only mode. */
  readOnly: boolean;
}

export function decodeConnectResponse(body: Buffer): ConnectResponse {
  const r = new JuteReader(body);
  const protocolVersion = r.int();
  const timeOut = r.int();
  const sessionId = r.long();
  const passwd = r.buffer() ?? Buffer.alloc(0);
  const readOnly = r.remaining >= 1 ? r.bool() : false;
  return {protocolVersion, timeOut, sessionId, passwd, readOnly};
}

export interface RequestHeader {
  xid: number;
  type: number;
}

export interface ReplyHeader {
  xid: number;
  zxid: bigint;
  err: number;
}

export function decodeReplyHeader(r: JuteReader): ReplyHeader {
  return {xid: r.int(), zxid: r.long(), err: r.int()};
}

export interface Stat {
  czxid: bigint;
  mzxid: bigint;
  ctime: bigint;
  mtime: bigint;
  version: number;
  cversion: number;
  aversion: number;
  ephemeralOwner: bigint;
  dataLength: number;
  numChildren: number;
  pzxid: bigint;
}

export function decodeStat(r: JuteReader): Stat {
  return {
    czxid: r.long(),
    mzxid: r.long(),
    ctime: r.long(),
    mtime: r.long(),
    version: r.int(),
    cversion: r.int(),
    aversion: r.int(),
    ephemeralOwner: r.long(),
    dataLength: r.int(),
    numChildren: r.int(),
    pzxid: r.long(),
  };
}

export function encodeStat(w: JuteWriter, s: Stat): JuteWriter {
  return w.long(s.czxid).long(s.mzxid).long(s.ctime).long(s.mtime).int(s.version).int(s.cversion).int(s.aversion).long(s.ephemeralOwner).int(s.dataLength).int(s.numChildren).long(s.pzxid);
}

/** A request frame: header + optional body writer. */
export function encodeRequest(h: RequestHeader, body?: (w: JuteWriter) => void): Buffer {
  const w = new JuteWriter().int(h.xid).int(h.type);
  body?.(w);
  return w.frame();
}

export interface AuthPacket {
  type: number;
  scheme: string;
  auth: Buffer;
}

export function encodeAuth(p: AuthPacket): Buffer {
  return encodeRequest({xid: Xid.auth, type: OpCode.auth}, (w) => w.int(p.type).ustring(p.scheme).buffer(p.auth));
}

export interface ReconfigRequest {
  /** Comma-separated server lines to add, or null. */
  joiningServers: string | null;
  /** Comma-separated ids to remove, or null. */
  leavingServers: string | null;
  /** Comma-separated full member list (non-incremental), or null. */
  newMembers: string | null;
  /** Expected current config version, -1 for "any". */
  curConfigId: bigint;
}

export function encodeReconfig(xid: number, r: ReconfigRequest): Buffer {
  return encodeRequest({xid, type: OpCode.reconfig}, (w) => w.ustring(r.joiningServers).ustring(r.leavingServers).ustring(r.newMembers).long(r.curConfigId));
}

export function encodeGetData(xid: number, path: string, watch = false): Buffer {
  return encodeRequest({xid, type: OpCode.getData}, (w) => w.ustring(path).bool(watch));
}

export function encodeExists(xid: number, path: string, watch = false): Buffer {
  return encodeRequest({xid, type: OpCode.exists}, (w) => w.ustring(path).bool(watch));
}

export function encodeGetChildren(xid: number, path: string, watch = false): Buffer {
  return encodeRequest({xid, type: OpCode.getChildren}, (w) => w.ustring(path).bool(watch));
}

export function encodeGetACL(xid: number, path: string): Buffer {
  return encodeRequest({xid, type: OpCode.getACL}, (w) => w.ustring(path));
}

export interface JuteAcl {
  perms: number;
  scheme: string;
  id: string;
}

/** GetACLResponse: vector<ACL{int perms; Id{ustring scheme; ustring id}}>, then the stat. */
export function decodeGetACLResponse(r: JuteReader): {acl: JuteAcl[]; stat: Stat} {
  const n = r.int();
  const acl: JuteAcl[] = [];
  for (let i = 0; i < n; i++) acl.push({perms: r.int(), scheme: r.ustring() ?? '', id: r.ustring() ?? ''});
  return {acl, stat: decodeStat(r)};
}

/** GetChildrenResponse: vector<ustring>, in the server's order. */
export function decodeChildren(r: JuteReader): string[] {
  const n = r.int();
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(r.ustring() ?? '');
  return out;
}

export function encodeSync(xid: number, path: string): Buffer {
  return encodeRequest({xid, type: OpCode.sync}, (w) => w.ustring(path));
}

export function encodePing(): Buffer {
  return encodeRequest({xid: Xid.ping, type: OpCode.ping});
}

export function encodeCloseSession(xid: number): Buffer {
  return encodeRequest({xid, type: OpCode.closeSession});
}

/** GetDataResponse, also the reply to reconfig. */
export interface GetDataResponse {
  data: Buffer;
  stat: Stat;
}

export function decodeGetDataResponse(r: JuteReader): GetDataResponse {
  const data = r.buffer() ?? Buffer.alloc(0);
  return {data, stat: decodeStat(r)};
}

/** One read of a multiRead request. */
export interface ReadOp {
  type: 'getData' | 'getChildren';
  path: string;
}

/** One answer of a multiRead: the read's result, or its own error code (the others still answer). */
export type ReadResult = {type: 'getData'; data: Buffer; stat: Stat} | {type: 'getChildren'; children: string[]} | {type: 'error'; err: number};

/**
 * MultiOperationRecord of reads: per op a MultiHeader{int type; bool done; int err = -1}
 * and its GetDataRequest/GetChildrenRequest (no watch), then the end header {-1, true, -1}.
 */
export function encodeMultiRead(xid: number, ops: readonly ReadOp[]): Buffer {
  return encodeRequest({xid, type: OpCode.multiRead}, (w) => {
    for (const op of ops)
      w.int(op.type === 'getData' ? OpCode.getData : OpCode.getChildren)
        .bool(false)
        .int(-1)
        .ustring(op.path)
        .bool(false);
    w.int(-1).bool(true).int(-1);
  });
}

/** MultiResponse of a multiRead: per op a MultiHeader and its response (ErrorResponse{int} for a failed one), then the end header. */
export function decodeMultiReadResponse(r: JuteReader): ReadResult[] {
  const out: ReadResult[] = [];
  for (;;) {
    const type = r.int();
    const done = r.bool();
    const err = r.int();
    if (done) return out;
    if (type === OpCode.getData) out.push({type: 'getData', ...decodeGetDataResponse(r)});
    else if (type === OpCode.getChildren) out.push({type: 'getChildren', children: decodeChildren(r)});
    else if (type === OpCode.error) out.push({type: 'error', err: r.int() || err});
    else throw new ZkError('ProtocolError', `jute: unexpected type ${type} in a multi-read answer`);
  }
}

export interface WatcherEvent {
  type: number;
  state: number;
  path: string | null;
}

export function decodeWatcherEvent(r: JuteReader): WatcherEvent {
  return {type: r.int(), state: r.int(), path: r.ustring()};
}

/**
 * Split a byte stream into length-prefixed frames. Feed chunks; complete
 * frame bodies come back (views of the chunks, not copies), the remainder is
 * kept. A frame that spans many chunks is joined once, when its last byte has
 * arrived, not on every chunk (a multi-read's answer is often hundreds of KiB).
 */
export class FrameDecoder {
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** bytes needed before the next frame can be cut: its length prefix, then the whole frame */
  private need = 4;
  constructor(private readonly maxFrame = 16 * 1024 * 1024) {}

  push(chunk: Buffer): Buffer[] {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    if (this.buffered < this.need) return [];
    const buf = this.chunks.length === 1 ? chunk : Buffer.concat(this.chunks, this.buffered);
    const out: Buffer[] = [];
    let off = 0;
    let need = 4;
    while (buf.length - off >= 4) {
      const n = buf.readInt32BE(off);
      if (n < 0 || n > this.maxFrame) throw new ZkError('ProtocolError', `jute: bad frame length ${n}`);
      if (buf.length - off < 4 + n) {
        need = 4 + n;
        break;
      }
      out.push(buf.subarray(off + 4, off + 4 + n));
      off += 4 + n;
    }
    const rest = buf.subarray(off);
    this.chunks = rest.length > 0 ? [rest] : [];
    this.buffered = rest.length;
    this.need = need;
    return out;
  }
}

/**
 * The server's `jute.maxbuffer` when none is set (BinaryInputArchive's 0xfffff).
 * A request whose frame (after the 4-byte length) is longer is refused: the
 * server closes the connection ("Len error") and the client sees only a
 * ConnectionLoss. A frame of exactly this length is accepted (the integration
 * test checks both sides on 3.9.5).
 */
export const DEFAULT_JUTE_MAXBUFFER = 0xfffff;

const ustringBytes = (s: string): number => 4 + Buffer.byteLength(s, 'utf8');

/** Frame length (without the length prefix) of a create request: header, path, data, ACL list, flags. */
export function createRequestBytes(path: string, dataBytes: number, acl: readonly {scheme: string; id: string}[]): number {
  const aclBytes = acl.reduce((n, a) => n + 4 + ustringBytes(a.scheme) + ustringBytes(a.id), 4);
  return 8 + ustringBytes(path) + 4 + dataBytes + aclBytes + 4;
}

/** Frame length (without the length prefix) of a setData request: header, path, data, version. */
export function setDataRequestBytes(path: string, dataBytes: number): number {
  return 8 + ustringBytes(path) + 4 + dataBytes + 4;
}

/** `-Djute.maxbuffer=N` in JVM flags (decimal, 0x hex or 0-octal, as Integer.getInteger reads it); undefined when not set. */
export function juteMaxBufferFromFlags(flags: string): number | undefined {
  const m = /(?:^|\s)-Djute\.maxbuffer=(\S+)/.exec(flags);
  if (!m) return undefined;
  const v = m[1]!;
  const n = /^0[xX][0-9a-fA-F]+$/.test(v) ? parseInt(v.slice(2), 16) : /^0[0-7]+$/.test(v) ? parseInt(v, 8) : /^\d+$/.test(v) ? parseInt(v, 10) : NaN;
  return Number.isSafeInteger(n) && n > 0 ? n : undefined;
}
