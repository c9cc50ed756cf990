/**
 * Line input that can be read more than once: a file as it is, stdin copied
 * to a private temporary file first (memory stays flat in the input's size).
 */
import {createReadStream, createWriteStream} from 'node:fs';
import {access, constants, mkdtemp, rm, stat} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {createInterface} from 'node:readline';
import {pipeline} from 'node:stream/promises';
import {CliError, UsageError} from '../errors.js';

export interface LineInput {
  lines: () => AsyncIterable<string>;
  close(): Promise<void>;
}

/** A missing or unreadable file is a usage error (nothing was contacted yet). */
export async function checkReadable(path: string, flag = '-f'): Promise<void> {
  try {
    const s = await stat(path);
    if (s.isDirectory()) throw new UsageError(`${flag} ${path} is a directory`);
    await access(path, constants.R_OK);
  } catch (e) {
    if (e instanceof UsageError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(`cannot read ${flag} ${path}: ${code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : String(code ?? e)}`);
  }
}

function linesOf(path: string): AsyncIterable<string> {
  return createInterface({input: createReadStream(path), crlfDelay: Infinity});
}

export async function openLineSource(file: string | undefined, stdin: NodeJS.ReadableStream & {isTTY?: boolean}, signal?: AbortSignal): Promise<LineInput> {
  if (file !== undefined) {
    await checkReadable(file);
    return {lines: () => linesOf(file), close: async () => undefined};
  }
  if (stdin.isTTY) throw new UsageError('nothing to read: stdin is a terminal', 'pipe the export in (< tree.jsonl) or pass -f FILE');
  const dir = await mkdtemp(join(tmpdir(), 'kubectl-zk-'));
  const path = join(dir, 'input.jsonl');
  try {
    await pipeline(stdin, createWriteStream(path, {mode: 0o600}), {signal});
  } catch (e) {
    await rm(dir, {recursive: true, force: true});
    throw new CliError(`cannot read stdin: ${(e as Error).message}`);
  }
  return {lines: () => linesOf(path), close: () => rm(dir, {recursive: true, force: true})};
}
