/**
 * Runs a command in this process through oclif (flag parsing, the command
 * class, its render/serialize), with the Kubernetes client replaced by a fake
 * and the clock by a fake one: no subprocess, no network to an API server.
 */
import {PassThrough} from 'node:stream';
import {Config} from '@oclif/core';
import type {COMMANDS} from '../../src/commands.js';
import type {Runtime} from '../../src/cli/runtime.js';
import type {ZkCommand} from '../../src/base.js';
import type {Kube} from '../../src/kube/types.js';
import {fakeTime} from './time.js';

export interface InProcessRun {
  stdout: string;
  stderr: string;
  /** what `run` returned (the typed result), or the error it threw */
  result?: unknown;
  error?: Error & {exitCode?: number};
  /** the exit code the executable would end with (src/main.ts: a thrown error's code, else the process.exitCode the command set, else 0) */
  exit: number;
  /** stderr as the executable would leave it: the command's own lines, then (for a thrown error) its details and the one `error: …` line src/main.ts prints */
  stderrAsCli: string;
}

let config: Promise<Config> | undefined;
const oclifConfig = () => (config ??= Config.load({root: new URL('../..', import.meta.url).pathname}));

function collector(): PassThrough & {text(): string; isTTY: boolean} {
  const chunks: Buffer[] = [];
  const s = new PassThrough() as PassThrough & {text(): string; isTTY: boolean};
  s.on('data', (b: Buffer) => chunks.push(b));
  s.isTTY = false;
  s.text = () => Buffer.concat(chunks).toString('utf8');
  return s;
}

type Runnable = {run(argv: string[], config: Config): Promise<unknown>};

/**
 * src/ as the commands see it. mocha require()s the test files (tsx compiles them to
 * CommonJS), so a static import of src/ here would be a second copy of each module
 * beside the ES modules the commands import lazily: `instanceof CliError` in
 * src/main.ts would then miss a UsageError thrown by a lazily imported op. Imported
 * dynamically, the command, its lazy imports and describeError share one copy.
 */
const src = async () => {
  const [{COMMANDS}, {createRuntime}, {describeError}, {CliError}] = await Promise.all([
    import('../../src/commands.js'),
    import('../../src/cli/runtime.js'),
    import('../../src/main.js'),
    import('../../src/errors.js'),
  ]);
  return {COMMANDS, createRuntime, describeError, CliError};
};

/**
 * `id` as in COMMANDS ("status", "znode:get"), argv after it. stdin is not a
 * terminal and carries `o.stdin` (default: nothing), then ends; the environment is
 * `o.env` (default: empty). The fake clock starts at `o.now` (ms since the epoch; default early
 * 1970): a test of certificate dates passes the wall clock.
 * `o.lock`: a mutating command takes the ensemble's lock (src/ops/lock.ts) when it
 * first asks for the client, as shipped; then every sleep also yields one turn of
 * the event loop, because the lock renews itself on the same (fake) clock: its
 * renewals show in kube.calls and the clock runs ahead while the command waits on
 * real I/O. Off by default (no Lease calls).
 */
export async function runInProcess(id: keyof typeof COMMANDS, argv: string[], o: {kube: Kube; stdin?: string | Buffer; lock?: boolean; env?: NodeJS.ProcessEnv; now?: number}): Promise<InProcessRun> {
  const stdout = collector();
  const stderr = collector();
  const stdin = new PassThrough() as PassThrough & {isTTY?: boolean};
  stdin.end(o.stdin ?? '');
  const time = fakeTime(o.now);
  const {COMMANDS, createRuntime, describeError, CliError} = await src();
  const Base = COMMANDS[id] as unknown as new (argv: string[], config: Config) => ZkCommand<unknown>;
  // the command as shipped; only its runtime's streams, kube and clock are the test's
  abstract class Probe extends Base {
    protected override async runtime(flags: Record<string, unknown>, signal: AbortSignal, afterKube?: (kube: Kube) => Promise<void>): Promise<Runtime> {
      const real = await super.runtime(flags, signal); // the shipped flag handling (-o, --json, --request-timeout)
      await real.close();
      const rt = await createRuntime({
        kubeFlags: real.kubeFlags,
        env: o.env ?? {},
        output: real.output,
        noColor: true,
        verbose: false,
        yes: Boolean(flags.yes),
        streams: {stdout, stderr, stdin},
        signal,
      });
      if (!o.lock) return {...rt, clock: time.clock, sleep: time.sleep, kube: async () => o.kube};
      let kube: Promise<Kube> | undefined;
      return {
        ...rt,
        clock: time.clock,
        sleep: async (ms, s) => {
          await new Promise((r) => setImmediate(r));
          s?.throwIfAborted();
          return time.sleep(ms, s);
        },
        kube: () => (kube ??= (afterKube?.(o.kube) ?? Promise.resolve()).then(() => o.kube)),
      };
    }
  }
  // oclif's parse spreads the class ({...ctor}): only own statics survive, so copy the command's
  for (const key of ['args', 'flags', 'baseFlags', 'strict', 'outputs']) {
    Object.defineProperty(Probe, key, {value: (Base as unknown as Record<string, unknown>)[key], enumerable: true, writable: true});
  }
  // its id as oclif gives a loaded command (else oclif names it after the class: "probe")
  Object.defineProperty(Probe, 'id', {value: id, enumerable: true, writable: true});
  const out: InProcessRun = {stdout: '', stderr: '', exit: 0, stderrAsCli: ''};
  const exitCodeBefore = process.exitCode;
  process.exitCode = undefined;
  try {
    out.result = await (Probe as unknown as Runnable).run(argv, await oclifConfig());
  } catch (e) {
    out.error = e as Error;
  }
  // a command sets process.exitCode for a result that calls for one (exitCodeFor): keep it off mocha's
  const set = process.exitCode;
  process.exitCode = exitCodeBefore;
  out.stdout = stdout.text();
  out.stderr = stderr.text();
  out.stderrAsCli = out.stderr;
  const oclifExit = (out.error as {oclif?: {exit?: number}} | undefined)?.oclif?.exit;
  if (out.error?.name === 'ExitError' && typeof oclifExit === 'number') {
    out.exit = oclifExit; // as src/main.ts: an exit oclif asked for, nothing printed
  } else if (out.error) {
    const {code, line} = describeError(out.error);
    const details = out.error instanceof CliError ? out.error.details : [];
    out.exit = code;
    out.stderrAsCli += `${details.map((d) => `  ${d}\n`).join('')}error: ${line}\n`;
  } else {
    out.exit = typeof set === 'number' ? set : Number(set ?? 0);
  }
  return out;
}
