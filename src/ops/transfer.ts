/**
 * `kubectl zk export` and `import`: a logical copy of a subtree as JSON lines
 * (src/ops/treefile.ts), read with many requests in flight (or, on 3.9, from
 * a member's snapshot stream) and written to a stream as it is read (memory
 * bounded by the walk's window, or one znode of the snapshot at a time).
 */
import {CliError, UsageError, errorMessage} from '../errors.js';
import type {Clock} from '../util/time.js';
import {writeAll} from '../util/atomic-file.js';
import {isZkError} from '../zk/errors.js';
import {parentPath} from '../zk/paths.js';
import {applyWrites, isSystemPath, walkTree, znodeKind, type WriteOp} from '../zk/tree.js';
import type {Acl, ZkClient} from '../zk/client.js';
import {readSnapshot} from '../zk/snapshot.js';
import type {TreeReader} from '../zk/reader.js';
import {hex64, checkPath, withClient} from './znode.js';
import {
  TreeChecksum,
  aclFromJson,
  aclToJson,
  headerLine,
  parseTreeLine,
  rebasePath,
  relativePath,
  trailerLine,
  type RecordStat,
  type TreeHeader,
  type TreeRecord,
  type TreeTrailer,
} from './treefile.js';

const under = (root: string, p: string) => root === '/' || p === root || p.startsWith(`${root}/`);

// ---------------------------------------------------------------- export

/**
 * How export reads: `reads` walks the tree (getACL, and getData/getChildren
 * batched, over a few sessions: 3.8 and 3.9); `snapshot` reads the member's
 * snapshot stream (3.9's AdminServer, as the super user: every znode with its
 * data, ACL and stat in one sequential transfer); `auto` takes the snapshot
 * for the whole tree ("/") when the member can give one, reads otherwise.
 */
export type ExportMethod = 'auto' | 'snapshot' | 'reads';

/** A snapshot stream opened for export (src/ops/transfer-snapshot.ts). */
export interface ExportSnapshot {
  body: AsyncIterable<Buffer> & {destroy(err?: Error): void};
  /** the snapshot's last_zxid header */
  lastZxid?: string;
  /** the member it comes from */
  member: string;
  /** srvr's version line of that member */
  server: string;
}

export interface TransferDeps {
  /** A connected client; the op closes it. */
  connect: () => Promise<ZkClient>;
  clock: Clock;
  signal?: AbortSignal;
  /**
   * A read-only session for the walk (zk/reader.ts: many requests in flight
   * without node-zookeeper-client's per-request overhead); export uses it when
   * given, else `connect`.
   */
  reader?: () => Promise<TreeReader>;
  /**
   * Opens a member's snapshot for export; SnapshotUnavailable when the member
   * has none to give (3.8, the command disabled, refused): `auto` then reads.
   */
  snapshot?: () => Promise<ExportSnapshot>;
  /** znodes done so far (for a progress line) */
  onProgress?: (done: number) => void;
}

/** The snapshot cannot be had from this ensemble (3.8, disabled, refused): with --method auto, export reads instead. */
export class SnapshotUnavailable extends CliError {}

export interface ExportRequest {
  ensemble: string;
  namespace: string;
  root: string;
  /** requests in flight (default 512 znodes) */
  window?: number;
  /** default auto */
  method?: ExportMethod;
}

export interface ExportResult {
  ensemble: string;
  namespace: string;
  root: string;
  /** how the znodes were read */
  method: 'snapshot' | 'reads';
  /** with --method auto and the whole tree: why the snapshot was not used */
  snapshotUnavailable?: string;
  /** method snapshot: the snapshot's last_zxid and the member it came from */
  lastZxid?: string;
  member?: string;
  /** znode lines written (ephemeral ones included) */
  znodes: number;
  /** ephemeral znodes written but flagged (not in the checksum, skipped on import) */
  ephemeral: number;
  /** listed by their parent but deleted before they were read */
  vanished: number;
  bytes: number;
  checksum: string;
  /** where the lines went: a file, or "-" for stdout */
  output: string;
  durationMs: number;
}

/** What a znode's line is made of, from a read (TreeNode's stat) or a snapshot (SnapshotNode). */
export interface ZnodeSource {
  path: string;
  data: Buffer;
  acl: readonly Acl[];
  czxid: bigint;
  mzxid: bigint;
  /** ms since the epoch */
  ctime: number | bigint;
  mtime: number | bigint;
  version: number;
  aversion: number;
  ephemeralOwner: bigint;
}

/** The stat an export line carries (the owner only for an ephemeral znode). */
function recordStat(n: ZnodeSource, kind: ReturnType<typeof znodeKind>): RecordStat {
  return {
    cZxid: hex64(n.czxid),
    mZxid: hex64(n.mzxid),
    ctime: new Date(Number(n.ctime)).toISOString(),
    mtime: new Date(Number(n.mtime)).toISOString(),
    dataVersion: n.version,
    aclVersion: n.aversion,
    ...(kind === 'ephemeral' ? {ephemeralOwner: hex64(n.ephemeralOwner)} : {}),
  };
}

/** A znode as an export line's record (data already in base64). Pure. */
export function toRecord(n: ZnodeSource, data64: string): TreeRecord {
  const kind = znodeKind(n.ephemeralOwner);
  return {
    path: n.path,
    data: data64,
    acl: n.acl.map(aclToJson),
    stat: recordStat(n, kind),
    ...(kind === 'persistent' ? {} : {kind}),
  };
}

const aclJson = new WeakMap<readonly Acl[], string>();

/**
 * recordLine(toRecord(n, data64)), byte for byte, without JSON.stringify
 * copying and scanning the base64 data (it needs no escaping); an ACL list
 * shared by many znodes (a snapshot's ACL cache) is encoded once.
 */
export function recordText(n: ZnodeSource, data64: string): string {
  const kind = znodeKind(n.ephemeralOwner);
  let acl = aclJson.get(n.acl);
  if (acl === undefined) {
    acl = JSON.stringify(n.acl.map(aclToJson));
    aclJson.set(n.acl, acl);
  }
  return `{"path":${JSON.stringify(n.path)},"data":"${data64}","acl":${acl},"stat":${JSON.stringify(recordStat(n, kind))}${kind === 'persistent' ? '' : `,"kind":"${kind}"`}}\n`;
}

/** Lines gathered into large writes (one write per line was a syscall and a stream callback per znode). */
class LineWriter {
  private parts: string[] = [];
  private size = 0;
  bytes = 0;

  constructor(private readonly out: NodeJS.WritableStream) {}

  put(line: string): Promise<void> | undefined {
    this.parts.push(line);
    this.size += line.length;
    return this.size >= 256 * 1024 ? this.flush() : undefined;
  }

  flush(): Promise<void> | undefined {
    if (this.parts.length === 0) return undefined;
    const chunk = this.parts.join('');
    this.parts = [];
    this.size = 0;
    this.bytes += Buffer.byteLength(chunk);
    return writeAll(this.out, chunk);
  }
}

/** The snapshot to export from, when the method and the ensemble allow one. */
async function chooseSnapshot(req: ExportRequest, deps: TransferDeps): Promise<{snap?: ExportSnapshot; unavailable?: string}> {
  const method = req.method ?? 'auto';
  if (method === 'reads' || (method === 'auto' && req.root !== '/')) return {};
  if (!deps.snapshot) {
    if (method === 'snapshot') throw new UsageError('--method snapshot needs the super user (the snapshot command needs ALL on /)');
    return {unavailable: 'not reading as the super user'};
  }
  try {
    return {snap: await deps.snapshot()};
  } catch (e) {
    if (method === 'auto' && e instanceof SnapshotUnavailable) return {unavailable: e.message};
    throw e;
  }
}

/** Every znode of the snapshot at and under `root` (ZooKeeper's own left out) to `emit`, parents first as the snapshot holds them. */
async function fromSnapshot(snap: ExportSnapshot, req: ExportRequest, emit: (n: ZnodeSource) => Promise<void> | undefined): Promise<void> {
  let found = false;
  try {
    await readSnapshot(snap.body, (n) => {
      if (isSystemPath(n.path) || !under(req.root, n.path)) return;
      if (n.path === req.root) found = true;
      return emit(n);
    });
  } catch (e) {
    snap.body.destroy();
    throw new CliError(`export failed while reading the snapshot of ${snap.member}: ${errorMessage(e)}`, {cause: e});
  }
  if (!found) throw new CliError(`${req.root} does not exist in ensemble "${req.ensemble}"`);
}

export async function exportTree(req: ExportRequest, out: NodeJS.WritableStream, deps: TransferDeps & {output?: string}): Promise<ExportResult> {
  checkPath(req.root);
  if (isSystemPath(req.root)) throw new UsageError(`${req.root} belongs to ZooKeeper itself; export leaves it out`);
  const started = deps.clock.now();
  const {snap, unavailable} = await chooseSnapshot(req, deps);
  const lines = new LineWriter(out);
  const sum = new TreeChecksum();
  let znodes = 0;
  let ephemeral = 0;
  const emit = (n: ZnodeSource) => {
    const data64 = n.data.toString('base64');
    znodes++;
    if (znodeKind(n.ephemeralOwner) === 'ephemeral') ephemeral++;
    else sum.addBase64(relativePath(req.root, n.path), data64, n.acl);
    if (znodes % 1000 === 0) deps.onProgress?.(znodes);
    return lines.put(recordText(n, data64));
  };
  const time = new Date(started).toISOString();
  await lines.put(headerLine({root: req.root, ensemble: req.ensemble, namespace: req.namespace, ...(snap ? {server: snap.server, lastZxid: snap.lastZxid} : {}), time}));
  let vanished = 0;
  if (snap) {
    await fromSnapshot(snap, req, emit);
  } else {
    const session = deps.reader ? {connect: deps.reader, signal: deps.signal} : deps;
    const walked = await withClient<Awaited<ReturnType<typeof walkTree>>, TreeReader | ZkClient>(session, (c) =>
      walkTree(c, req.root, (n) => emit({path: n.path, data: n.data, acl: n.acl, ...n.stat}), {window: req.window, signal: deps.signal}),
    );
    vanished = walked.vanished;
  }
  await lines.put(trailerLine({znodes, skipped: ephemeral, checksum: sum.hex}));
  await lines.flush();
  return {
    ensemble: req.ensemble,
    namespace: req.namespace,
    root: req.root,
    method: snap ? 'snapshot' : 'reads',
    ...(unavailable ? {snapshotUnavailable: unavailable} : {}),
    ...(snap ? {lastZxid: snap.lastZxid, member: snap.member} : {}),
    znodes,
    ephemeral,
    vanished,
    bytes: lines.bytes,
    checksum: sum.hex,
    output: deps.output ?? '-',
    durationMs: deps.clock.now() - started,
  };
}

/** The checksum of a live subtree (the walk export does, without writing anything). */
export async function treeChecksum(
  client: Pick<ZkClient, 'get' | 'getAcl' | 'ls'>,
  root: string,
  opts: {window?: number; signal?: AbortSignal} = {},
): Promise<{znodes: number; checksum: string; ephemeral: number}> {
  const sum = new TreeChecksum();
  let ephemeral = 0;
  await walkTree(
    client,
    root,
    (n) => {
      if (znodeKind(n.stat.ephemeralOwner) === 'ephemeral') ephemeral++;
      else sum.add(relativePath(root, n.path), n.data, n.acl);
    },
    {window: opts.window, signal: opts.signal},
  );
  return {znodes: sum.count, checksum: sum.hex, ephemeral};
}

// ---------------------------------------------------------------- import

/** The input, readable more than once (the first pass checks it, the second writes). */
export type LineSource = () => AsyncIterable<string>;

export interface ImportRequest {
  ensemble: string;
  namespace: string;
  /** only the znodes at and under this path of the file (default: the file's root) */
  path?: string;
  /** where that path goes in the target (default: the same path) */
  to?: string;
  /** replace the data and ACL of znodes that exist; without it any existing znode refuses the import */
  overwrite: boolean;
  window?: number;
}

export interface ImportResult {
  ensemble: string;
  namespace: string;
  /** the subtree of the file imported */
  from: string;
  to: string;
  /** znodes created */
  created: number;
  /** existing znodes whose data and ACL were replaced (--overwrite) */
  overwritten: number;
  /** ephemeral znodes in the file, not imported */
  skippedEphemeral: number;
  /** the checksum of the imported znodes as the file holds them (relative to `from`) */
  checksum: string;
  durationMs: number;
}

interface Checked {
  header: TreeHeader;
  trailer: TreeTrailer;
  from: string;
  selected: number;
  ephemeral: number;
  checksum: string;
}

/** Pass 1: the file is whole (header, trailer, count and checksum agree) and the selection is in it. */
export async function checkTreeFile(lines: LineSource, path?: string): Promise<Checked> {
  let header: TreeHeader | undefined;
  let trailer: TreeTrailer | undefined;
  let n = 0;
  let records = 0;
  let ephemeralAll = 0;
  const all = new TreeChecksum();
  const sel = new TreeChecksum();
  let selected = 0;
  let ephemeral = 0;
  for await (const line of lines()) {
    n++;
    if (line.trim() === '') continue;
    if (trailer) throw new CliError(`line ${n}: data after the end line`, {hint: 'the input is not one kubectl zk export file'});
    const parsed = parseTreeLine(line, n);
    if (parsed.type === 'header') {
      if (header) throw new CliError(`line ${n}: a second header`, {hint: 'the input is not one kubectl zk export file'});
      header = parsed.header;
      if (path !== undefined && !under(header.root, path)) throw new UsageError(`${path} is not in this export (its root is ${header.root})`);
      continue;
    }
    if (!header) throw new CliError(`line ${n}: no kubectl zk export header before it`, {hint: 'the input is not a kubectl zk export file'});
    if (parsed.type === 'trailer') {
      trailer = parsed.trailer;
      continue;
    }
    const r = parsed.record;
    if (!under(header.root, r.path)) throw new CliError(`line ${n}: ${r.path} is outside the export's root ${header.root}`);
    records++;
    const data = Buffer.from(r.data, 'base64');
    const acl = r.acl.map(aclFromJson);
    if (r.kind === 'ephemeral') ephemeralAll++;
    else all.add(relativePath(header.root, r.path), data, acl);
    const from = path ?? header.root;
    if (under(from, r.path)) {
      selected++;
      if (r.kind === 'ephemeral') ephemeral++;
      else sel.add(relativePath(from, r.path), data, acl);
    }
  }
  if (!header) throw new CliError('the input is empty or has no kubectl zk export header', {hint: 'make one with: kubectl zk export NAME > tree.jsonl'});
  if (!trailer) throw new CliError(`the export is truncated: no end line after ${records} znode line${records === 1 ? '' : 's'}`, {hint: 'export again; nothing was imported'});
  if (trailer.znodes !== records || trailer.skipped !== ephemeralAll || trailer.checksum !== all.hex) {
    throw new CliError(`the export does not match its end line (${records} znodes, checksum ${all.hex.slice(0, 12)}…; the end line says ${trailer.znodes}, ${trailer.checksum.slice(0, 12)}…)`, {
      hint: 'the file was changed or damaged; nothing was imported',
    });
  }
  const from = path ?? header.root;
  if (selected === 0) throw new UsageError(`${from} is not in this export`);
  return {header, trailer, from, selected, ephemeral, checksum: sel.hex};
}

async function* selectedRecords(lines: LineSource, from: string): AsyncIterable<TreeRecord> {
  let n = 0;
  for await (const line of lines()) {
    n++;
    if (line.trim() === '') continue;
    const parsed = parseTreeLine(line, n);
    if (parsed.type === 'record' && under(from, parsed.record.path)) yield parsed.record;
  }
}

/**
 * Imports the selection: checks the whole file first, then that no target
 * znode exists (unless --overwrite) and that the target's parent exists, and
 * only then writes — parents before children, as the file lists them, many
 * creates in flight on one session. The target root "/" always exists: its
 * data and ACL are set only with --overwrite.
 */
export async function importTree(req: ImportRequest, lines: LineSource, deps: TransferDeps): Promise<ImportResult> {
  if (req.path !== undefined) checkPath(req.path);
  if (req.to !== undefined) {
    checkPath(req.to);
    if (isSystemPath(req.to)) throw new UsageError(`${req.to} belongs to ZooKeeper itself; import does not write there`);
  }
  const started = deps.clock.now();
  const checked = await checkTreeFile(lines, req.path);
  const from = checked.from;
  const to = req.to ?? from;
  const target = (p: string) => rebasePath(to, relativePath(from, p));
  return withClient(deps, async (c) => {
    if (to !== '/' && (await c.exists(parentPath(to))) === null) {
      throw new CliError(`the parent of ${to}, ${parentPath(to)}, does not exist in ensemble "${req.ensemble}"`, {
        hint: `create it first: kubectl zk znode create ${parentPath(to)} --ensemble ${req.ensemble} --parents`,
      });
    }
    if (!req.overwrite) {
      const conflicts = await existing(c, selectedRecords(lines, from), target, req.window, deps.signal);
      if (conflicts.count > 0) {
        throw new CliError(
          `${conflicts.count} znode${conflicts.count === 1 ? '' : 's'} of the import already exist${conflicts.count === 1 ? 's' : ''} in ensemble "${req.ensemble}": ${conflicts.first.join(', ')}${conflicts.count > conflicts.first.length ? ', …' : ''}`,
          {
            hint: 'nothing was imported; pass --overwrite to replace their data and ACLs, or --to PATH to import elsewhere',
          },
        );
      }
    }
    let created = 0;
    let overwritten = 0;
    let done = 0;
    async function* writes(): AsyncIterable<WriteOp> {
      for await (const r of selectedRecords(lines, from)) {
        if (r.kind === 'ephemeral') continue;
        const path = target(r.path);
        if (path === '/' && !req.overwrite) continue;
        yield {path, data: Buffer.from(r.data, 'base64'), acl: r.acl.map(aclFromJson), overwrite: req.overwrite || path === '/'};
      }
    }
    await applyWrites(c, writes(), {
      window: req.window,
      signal: deps.signal,
      onApplied: (_op, how) => {
        if (how === 'created') created++;
        else overwritten++;
        if (++done % 1000 === 0) deps.onProgress?.(done);
      },
    });
    return {
      ensemble: req.ensemble,
      namespace: req.namespace,
      from,
      to,
      created,
      overwritten,
      skippedEphemeral: checked.ephemeral,
      checksum: checked.checksum,
      durationMs: deps.clock.now() - started,
    };
  });
}

/** Which target paths exist already: exists() pipelined, at most `window` in flight. */
async function existing(c: ZkClient, records: AsyncIterable<TreeRecord>, target: (p: string) => string, window = 256, signal?: AbortSignal): Promise<{count: number; first: string[]}> {
  const first: string[] = [];
  let count = 0;
  const inFlight = new Set<Promise<void>>();
  let error: unknown;
  for await (const r of records) {
    if (signal?.aborted) throw signal.reason instanceof Error ? signal.reason : new Error('interrupted');
    if (error !== undefined) break;
    if (r.kind === 'ephemeral') continue;
    const path = target(r.path);
    if (path === '/') continue;
    const p: Promise<void> = c.exists(path).then(
      (s) => {
        inFlight.delete(p);
        if (s !== null) {
          count++;
          if (first.length < 5) first.push(path);
        }
      },
      (e: unknown) => {
        inFlight.delete(p);
        if (!isZkError(e, 'NoNode')) error ??= e;
      },
    );
    inFlight.add(p);
    if (inFlight.size >= window) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  if (error !== undefined) throw error;
  return {count, first};
}
