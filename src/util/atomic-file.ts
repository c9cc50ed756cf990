/**
 * A file that appears under its final name only when complete: written to
 * NAME.partial, fsynced, then renamed. Ctrl-C, a dropped stream or a full
 * disk leave at most NAME.partial (removed on abort), never a short NAME.
 */
import {writeSync} from 'node:fs';
import {lstat, open, rename, rm, type FileHandle} from 'node:fs/promises';
import {Writable} from 'node:stream';
import {CliError, UsageError, errorMessage} from '../errors.js';

export interface AtomicFile {
  readonly path: string;
  readonly partialPath: string;
  readonly stream: Writable;
  /** Flushes, fsyncs and renames NAME.partial to NAME. */
  commit(): Promise<void>;
  /** Closes and removes NAME.partial (idempotent, never throws). */
  abort(): Promise<void>;
}

export async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw e;
  }
}

/** Refuses an existing path without `force` (a usage error: nothing was written). */
export async function checkTarget(path: string, force: boolean, flag = '-f'): Promise<void> {
  if (!force && (await exists(path))) throw new UsageError(`${path} exists`, `choose another ${flag} path, or pass --force to replace it`);
}

/** Bytes written between two background flushes of a file being written (openAtomic). */
export const SYNC_EVERY = 32 * 1024 * 1024;

/** Writes all of `chunk` to `fd` now (a write to a local file may take less than all). */
function writeFully(fd: number, chunk: Buffer): void {
  for (let off = 0; off < chunk.length;) off += writeSync(fd, chunk, off, chunk.length - off);
}

export async function openAtomic(path: string, opts: {force: boolean; flag?: string}): Promise<AtomicFile> {
  await checkTarget(path, opts.force, opts.flag);
  const partialPath = `${path}.partial`;
  let handle: FileHandle;
  try {
    handle = await open(partialPath, 'w', 0o600);
  } catch (e) {
    throw new CliError(`cannot write ${partialPath}: ${(e as NodeJS.ErrnoException).code ?? errorMessage(e)}`);
  }
  // a failed write or sync (a full disk) is kept for commit() to refuse, whoever else listens or not
  let failure: Error | undefined;
  // what is written is flushed to the disk every SYNC_EVERY bytes, in the background, while the
  // writes go on: commit's fsync then has little left to wait for
  let written = 0;
  let flushed = 0;
  let syncing: Promise<void> | undefined;
  const flush = () => {
    flushed = written;
    syncing = handle
      .datasync()
      .catch((e: Error) => void (failure ??= e))
      .finally(() => (syncing = undefined));
  };
  // each chunk written synchronously, on the caller's turn: no write is ever in flight when the
  // file is closed, and a bulk copy (backup's snapshot) pays no thread-pool round trip per chunk
  const stream = new Writable({
    highWaterMark: 1024 * 1024,
    write(chunk: Buffer, _enc, cb) {
      try {
        writeFully(handle.fd, chunk);
      } catch (e) {
        cb(e as Error);
        return;
      }
      written += chunk.length;
      if (written - flushed >= SYNC_EVERY && !syncing) flush();
      cb();
    },
  });
  stream.on('error', (e) => (failure ??= e));
  let done = false;
  return {
    path,
    partialPath,
    stream,
    async commit() {
      await new Promise<void>((resolve, reject) => {
        if (failure) return reject(failure);
        stream.once('error', reject);
        stream.end(() => (failure ? reject(failure) : resolve()));
      });
      await syncing;
      if (failure) throw failure;
      await handle.sync();
      await handle.close();
      done = true;
      await rename(partialPath, path);
    },
    async abort() {
      if (done) return;
      done = true;
      stream.destroy();
      await syncing;
      await handle.close().catch(() => undefined);
      await rm(partialPath, {force: true}).catch(() => undefined);
    },
  };
}

/** Writes and waits for 'drain' when the stream's buffer is full (backpressure); rejects on a stream error. */
export function writeAll(stream: NodeJS.WritableStream, chunk: string | Buffer): Promise<void> | undefined {
  if (stream.write(chunk)) return undefined;
  return new Promise<void>((resolve, reject) => {
    const onDrain = () => {
      stream.off('error', onError);
      resolve();
    };
    const onError = (e: Error) => {
      stream.off('drain', onDrain);
      reject(e);
    };
    stream.once('drain', onDrain);
    stream.once('error', onError);
  });
}

/** A small file written whole: NAME.partial, fsync, rename. */
export async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  const partial = `${path}.partial`;
  const handle = await open(partial, 'w', 0o600);
  try {
    await handle.writeFile(`${JSON.stringify(value, null, 2)}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(partial, path);
}
