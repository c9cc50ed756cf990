/**
 * A file that appears under its final name only when complete: written to
 * NAME.partial, fsynced, then renamed. Ctrl-C, a dropped stream or a full
 * disk leave at most NAME.partial (removed on abort), never a short NAME.
 */
import {createWriteStream, type WriteStream} from 'node:fs';
import {lstat, open, rename, rm} from 'node:fs/promises';
import {CliError, UsageError, errorMessage} from '../errors.js';

export interface AtomicFile {
  readonly path: string;
  readonly partialPath: string;
  readonly stream: WriteStream;
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

export async function openAtomic(path: string, opts: {force: boolean; flag?: string}): Promise<AtomicFile> {
  await checkTarget(path, opts.force, opts.flag);
  const partialPath = `${path}.partial`;
  let handle;
  try {
    handle = await open(partialPath, 'w', 0o600);
  } catch (e) {
    throw new CliError(`cannot write ${partialPath}: ${(e as NodeJS.ErrnoException).code ?? errorMessage(e)}`);
  }
  // the stream owns the FileHandle and is the one to close it (a FileHandle given to a stream
  // closes only through it): a close racing a write in flight then cannot hit a reused number
  const stream = createWriteStream('', {fd: handle, autoClose: false});
  const close = () =>
    new Promise<void>((resolve, reject) => {
      if (stream.closed) return resolve();
      stream.once('close', () => resolve());
      stream.once('error', reject);
      stream.destroy();
    });
  let done = false;
  return {
    path,
    partialPath,
    stream,
    async commit() {
      await new Promise<void>((resolve, reject) => {
        stream.once('error', reject);
        stream.end(() => resolve());
      });
      await handle.sync();
      await close();
      done = true;
      await rename(partialPath, path);
    },
    async abort() {
      if (done) return;
      done = true;
      // a write in flight when the transfer stops (Ctrl-C) delays the close until it is done; an
      // error then must not crash the process before NAME.partial is removed
      stream.on('error', () => undefined);
      await close().catch(() => undefined);
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
