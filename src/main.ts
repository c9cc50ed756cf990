import {Errors, flush, run, type Interfaces} from '@oclif/core';
import {CliError, ExitCode} from './errors.js';

/** Exit code and the one `error: …` line for anything a command throws. */
export function describeError(err: unknown): {code: number; line: string} {
  if (err instanceof CliError) {
    return {code: err.exitCode, line: err.hint ? `${err.message} (${err.hint})` : err.message};
  }
  const oclif = (err as {oclif?: {exit?: number | false}}).oclif;
  if (err instanceof Errors.CLIError || oclif) {
    const message = (err as Error).message
      .replace(/\nSee more help with --help\s*$/, '')
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean)
      .join(' ')
      .replace(/^Error: /, '');
    const parse = 'parse' in (err as object);
    const notFound = /^command .* not found$/.test(message);
    const code = parse || notFound ? ExitCode.usage : typeof oclif?.exit === 'number' ? oclif.exit : ExitCode.failure;
    const hint = parse ? 'see --help' : notFound ? 'run: kubectl zk --help' : undefined;
    return {code, line: hint ? `${message} (${hint})` : message};
  }
  return {code: ExitCode.failure, line: err instanceof Error ? err.message : String(err)};
}

/**
 * The executable's entry: run oclif, print errors as kubectl does, set the exit code.
 * `root` is bin/'s import.meta.url, or (single executable) oclif options with the package.json and commands inlined.
 */
export async function main(argv: string[], root: string | Interfaces.LoadOptions): Promise<void> {
  const verbose = argv.includes('--verbose');
  try {
    await run(argv, root);
    await flush();
  } catch (err) {
    const exit = (err as {oclif?: {exit?: number}}).oclif?.exit;
    if ((err as Error)?.name === 'ExitError' && typeof exit === 'number') {
      process.exitCode = exit;
      return;
    }
    const {code, line} = describeError(err);
    if (verbose && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
    if (err instanceof CliError) for (const d of err.details) process.stderr.write(`  ${d}\n`);
    process.stderr.write(`error: ${line}\n`);
    process.exitCode = code;
    // work abandoned past --total-timeout (src/cli/deadline.ts) must not go on after its lock was released
    if (err instanceof CliError && err.exitNow) process.exit(code);
  }
}
