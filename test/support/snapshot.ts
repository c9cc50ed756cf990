/** A snapshot as FileSnap writes it (uncompressed): header, sessions, ACL cache, nodes, "/" end, seal. */
export function encodeSnapshot(nodes: {path: string; data?: Buffer; acl?: bigint; ephemeralOwner?: bigint}[], acls: [bigint, {perms: number; scheme: string; id: string}[]][] = []): Buffer {
  const parts: Buffer[] = [];
  const int = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeInt32BE(n);
    parts.push(b);
  };
  const long = (n: bigint) => {
    const b = Buffer.alloc(8);
    b.writeBigInt64BE(n);
    parts.push(b);
  };
  const buf = (b: Buffer) => {
    int(b.length);
    parts.push(b);
  };
  const str = (s: string) => buf(Buffer.from(s, 'utf8'));
  int(0x5a4b534e);
  int(2);
  long(-1n);
  int(1); // one session
  long(0x1000n);
  int(30000);
  int(acls.length);
  for (const [id, list] of acls) {
    long(id);
    int(list.length);
    for (const a of list) {
      int(a.perms);
      str(a.scheme);
      str(a.id);
    }
  }
  for (const n of nodes) {
    str(n.path === '/' ? '' : n.path);
    buf(n.data ?? Buffer.alloc(0));
    long(n.acl ?? -1n);
    for (let i = 0; i < 4; i++) long(BigInt(i + 1));
    int(0);
    int(0);
    int(0);
    long(n.ephemeralOwner ?? 0n);
    long(7n);
  }
  str('/');
  long(12345n);
  str('/');
  long(99n); // a digest section after the seal
  return Buffer.concat(parts);
}
