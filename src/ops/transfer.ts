/**
 * `kubectl zk export` and `import`: a logical copy of a subtree as JSON lines
 * (src/ops/treefile.ts), read with many requests in flight on one session and
 * written to a stream as it is read (memory bounded by the walk's window).
 */
import {CliError, UsageError} from '../errors.js';
import type {Clock} from '../util/time.js';
import {writeAll} from '../util/atomic-file.js';
import {isZkError} from '../zk/errors.js';
import {parentPath} from '../zk/paths.js';
import {applyWrites, isSystemPath, walkTree, znodeKind, type WriteOp} from '../zk/tree.js';
import type {ZkClient} from '../zk/client.js';
import type {TreeReader} from '../zk/reader.js';
import {hex64, checkPath, withClient} from './znode.js';
import {TreeChecksum, aclFromJson, aclToJson, headerLine, parseTreeLine, rebasePath, recordLine, relativePath, trailerLine, type TreeHeader, type TreeRecord, type TreeTrailer} from './treefile.js';

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
  /** znodes done so far (for a progress line) */
  onProgress?: (done: number) => void;
}

// ---------------------------------------------------------------- export

export interface ExportRequest {
  ensemble: string;
  namespace: string;
  root: string;
  /** requests in flight (default 256 znodes) */
  window?: number;
}

export interface ExportResult {
  ensemble: string;
  namespace: string;
  root: string;
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

export async function exportTree(req: ExportRequest, out: NodeJS.WritableStream, deps: TransferDeps & {output?: string}): Promise<ExportResult> {
  checkPath(req.root);
  if (isSystemPath(req.root)) throw new UsageError(`${req.root} belongs to ZooKeeper itself; export leaves it out`);
  const started = deps.clock.now();
  const sum = new TreeChecksum();
  let bytes = 0;
  let znodes = 0;
  let ephemeral = 0;
  const put = (line: string) => {
    bytes += Buffer.byteLength(line);
    return writeAll(out, line);
  };
  await put(headerLine({root: req.root, ensemble: req.ensemble, namespace: req.namespace, time: new Date(started).toISOString()}));
  const session = deps.reader ? {connect: deps.reader, signal: deps.signal} : deps;
  const walked = await withClient<Awaited<ReturnType<typeof walkTree>>, TreeReader | ZkClient>(session, (c) =>
    walkTree(
      c,
      req.root,
      (n) => {
        const kind = znodeKind(n.stat.ephemeralOwner);
        const rec: TreeRecord = {
          path: n.path,
          data: n.data.toString('base64'),
          acl: n.acl.map(aclToJson),
          stat: {
            cZxid: hex64(n.stat.czxid),
            mZxid: hex64(n.stat.mzxid),
            ctime: new Date(n.stat.ctime).toISOString(),
            mtime: new Date(n.stat.mtime).toISOString(),
            dataVersion: n.stat.version,
            aclVersion: n.stat.aversion,
            ...(kind === 'ephemeral' ? {ephemeralOwner: hex64(n.stat.ephemeralOwner)} : {}),
          },
          ...(kind === 'persistent' ? {} : {kind}),
        };
        znodes++;
        if (kind === 'ephemeral') ephemeral++;
        else sum.add(relativePath(req.root, n.path), n.data, n.acl);
        if (znodes % 1000 === 0) deps.onProgress?.(znodes);
        return put(recordLine(rec));
      },
      {window: req.window, signal: deps.signal},
    ),
  );
  await put(trailerLine({znodes, skipped: ephemeral, checksum: sum.hex}));
  return {
    ensemble: req.ensemble,
    namespace: req.namespace,
    root: req.root,
    znodes,
    ephemeral,
    vanished: walked.vanished,
    bytes,
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

const under = (root: string, p: string) => root === '/' || p === root || p.startsWith(`${root}/`);

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
