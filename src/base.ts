import {hostname} from 'node:os';
import {Command, Flags, type Interfaces} from '@oclif/core';
import {CliError, UsageError} from './errors.js';
import {createRuntime, type OutputFormat, type Runtime} from './cli/runtime.js';
import {DeadlineExceeded, startDeadline, type Deadline} from './cli/deadline.js';
import type {Kube} from './kube/types.js';
import {parseDuration} from './util/duration.js';

/** The flag of every mutating command (they take the ensemble's lock: src/ops/lock.ts). */
export const lockFlags = {
  'break-lock': Flags.boolean({summary: "Take over the ensemble's lock from a run that died (only once its lease has expired)."}),
};

/** The command line for the lock's holder annotation, with the values of credential flags left out. */
export function commandLine(id: string | undefined, argv: readonly string[]): string {
  const out: string[] = ['kubectl', 'zk', ...(id ? id.split(':') : [])];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (/^--(auth|password|token)[^=]*=/.test(a)) {
      out.push(`${a.split('=')[0]}=…`);
    } else if (/^--(auth|password|token)/.test(a) && i + 1 < argv.length) {
      out.push(a, '…');
      i++;
    } else {
      out.push(a);
    }
  }
  return out.join(' ');
}

/** --request-timeout when not given: no API request waits forever. */
export const DEFAULT_REQUEST_TIMEOUT = '30s';

/** Exit codes of a run stopped by a signal (128 + the signal's number). */
const SIGNAL_EXIT: Record<string, number> = {SIGINT: 130, SIGTERM: 143, SIGHUP: 129};

export type BaseFlags<T extends typeof Command> = Interfaces.InferredFlags<(typeof ZkCommand)['baseFlags'] & T['flags']>;

/**
 * The kubectl flags every command takes (kubectl passes them through to plugins
 * unparsed), output handling and the runtime. Subclasses implement `execute`
 * (flags → one op call → typed result) and `render` (pure human output).
 */
export abstract class ZkCommand<R> extends Command {
  static override baseFlags = {
    namespace: Flags.string({char: 'n', summary: 'Namespace (default: the context\'s namespace, else "default").', helpGroup: 'KUBECTL'}),
    context: Flags.string({summary: 'The kubeconfig context to use.', helpGroup: 'KUBECTL'}),
    kubeconfig: Flags.string({summary: 'Path to the kubeconfig file (default: $KUBECONFIG, else ~/.kube/config).', helpGroup: 'KUBECTL'}),
    'request-timeout': Flags.string({
      summary: `How long to wait for one API request (default ${DEFAULT_REQUEST_TIMEOUT}; "0" = no limit), e.g. 1m; when given, also for each question to a member.`,
      helpGroup: 'KUBECTL',
    }),
    'total-timeout': Flags.string({
      summary:
        'Limit for the whole run, e.g. 10m (default: none); past it the run stops at its next safe point: "error: … timed out after 10m", exit 1. With status --watch and logs -f: how long to watch (exit 0).',
      helpGroup: 'KUBECTL',
    }),
    output: Flags.string({char: 'o', summary: 'Output format: json|yaml (and wide where there is a table).', helpGroup: 'OUTPUT'}),
    json: Flags.boolean({summary: 'Same as -o json.', helpGroup: 'OUTPUT'}),
    'no-color': Flags.boolean({summary: 'No colours (also NO_COLOR=1; off when stdout is not a terminal).', helpGroup: 'OUTPUT'}),
    verbose: Flags.boolean({summary: 'Log API requests to stderr and print stack traces on errors.', helpGroup: 'OUTPUT'}),
  };

  /** Output formats this command accepts besides the human one. */
  static outputs: OutputFormat[] = ['json', 'yaml'];

  protected rt!: Runtime;

  abstract execute(rt: Runtime): Promise<R>;

  /** Human output; the default prints nothing but the result's JSON. */
  render(result: R, _rt: Runtime): string {
    return `${JSON.stringify(result, null, 2)}\n`;
  }

  /** Machine output; commands whose result is a list of objects (dry runs) override it. */
  serialize(result: R, format: 'json' | 'yaml'): Promise<string> | string {
    return format === 'json' ? `${JSON.stringify(result, null, 2)}\n` : import('yaml').then(({stringify}) => stringify(result));
  }

  /** A non-zero exit code the result calls for (e.g. degraded), 0 otherwise. */
  exitCodeFor(_result: R): number {
    return 0;
  }

  /** oclif leaves a boolean flag that was not given undefined: here it is false, so a result built from flags has every field its type promises (-o json). */
  protected override async parse<F extends Record<string, unknown>, B extends Record<string, unknown>, A extends Record<string, unknown>>(
    options?: Interfaces.Input<F, B, A>,
    argv?: string[],
  ): Promise<Interfaces.ParserOutput<F, B, A>> {
    const parsed = await super.parse<F, B, A>(options, argv);
    const flags = parsed.flags as Record<string, unknown>;
    for (const [name, def] of Object.entries({...options?.baseFlags, ...options?.flags})) {
      if ((def as {type?: string}).type === 'boolean' && flags[name] === undefined) flags[name] = false;
    }
    return parsed;
  }

  private parsedOutput(flags: {output?: string; json?: boolean}): OutputFormat {
    const allowed = (this.constructor as typeof ZkCommand).outputs;
    if (flags.json) {
      if (flags.output && flags.output !== 'json') throw new UsageError(`--json conflicts with -o ${flags.output}`);
      return 'json';
    }
    if (!flags.output) return 'human';
    const fmt = flags.output as OutputFormat;
    if (!allowed.includes(fmt)) throw new UsageError(`unsupported output format "${flags.output}"`, `use one of: ${allowed.join(', ')}`);
    return fmt;
  }

  protected async runtime(flags: Record<string, unknown>, signal: AbortSignal, afterKube?: (kube: Kube) => Promise<void>): Promise<Runtime> {
    // not given: API requests get the default, the members' probes keep their own (PROBE_TIMEOUT_MS)
    const given = flags['request-timeout'] as string | undefined;
    const requestTimeoutMs = given === undefined ? undefined : parseDuration(given, '--request-timeout') || undefined;
    const apiRequestTimeoutMs = given === undefined ? parseDuration(DEFAULT_REQUEST_TIMEOUT, '--request-timeout') : requestTimeoutMs;
    return createRuntime({
      kubeFlags: {
        namespace: flags.namespace as string | undefined,
        context: flags.context as string | undefined,
        kubeconfig: flags.kubeconfig as string | undefined,
      },
      env: process.env,
      output: this.parsedOutput(flags as {output?: string; json?: boolean}),
      noColor: Boolean(flags['no-color']),
      verbose: Boolean(flags.verbose),
      yes: Boolean(flags.yes),
      requestTimeoutMs,
      apiRequestTimeoutMs,
      streams: {stdout: process.stdout, stderr: process.stderr, stdin: process.stdin},
      signal,
      afterKube,
    });
  }

  /**
   * The ensemble a mutating command locks for this run (src/ops/lock.ts);
   * undefined (the default) for commands that change nothing, and for dry runs.
   */
  protected lockTarget(_args: Record<string, unknown>, _flags: Record<string, unknown>): string | undefined {
    return undefined;
  }

  /**
   * Builds the runtime from the parsed flags, takes the ensemble's lock for a
   * mutating command, and lets `execute` do the work. Ctrl-C, SIGTERM and
   * SIGHUP abort the run's signal, and so does --total-timeout when it passes:
   * the op stops at its next safe point and says where; then the lock is
   * released and the port-forwards closed. A second signal exits at once.
   */
  async run(): Promise<R> {
    const {args, flags} = await this.parse(this.constructor as typeof ZkCommand);
    const abort = new AbortController();
    const deadline = startDeadline(flags['total-timeout'] as string | undefined, (this.id ?? 'kubectl-zk').replace(/:/g, ' '), abort);
    let caught: string | undefined;
    const onSignal = (sig: NodeJS.Signals) => {
      if (caught) process.exit(SIGNAL_EXIT[sig] ?? 1);
      caught = sig;
      (this.rt?.streams.stderr ?? process.stderr).write(`\n${sig === 'SIGINT' ? 'interrupted' : `${sig} received`}: stopping at the next safe point (again to exit at once)\n`);
      abort.abort(new Error('interrupted'));
    };
    const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
    for (const s of signals) process.on(s, onSignal);
    let lock: {release(o?: {remove?: boolean}): Promise<void>} | undefined;
    let done = false;
    try {
      // the lock is taken when the command first asks for the client: after its usage checks, never for a dry run
      this.rt = await this.runtime(flags as Record<string, unknown>, abort.signal, async (kube) => {
        lock = await this.takeLock(kube, args as Record<string, unknown>, flags as Record<string, unknown>, abort);
      });
      const result = await deadline.race(this.execute(this.rt));
      await this.emit(result);
      // a command that runs until stopped (status --watch, logs -f) ends normally at its limit; any other says it ran out of time
      if (deadline.passed && !caught && !this.runsUntilStopped(flags as Record<string, unknown>)) throw abort.signal.reason;
      const code = this.exitCodeFor(result);
      if (code !== 0) process.exitCode = code;
      done = code === 0;
      return result;
    } catch (err) {
      if (abort.signal.aborted) throw this.stopped(err, abort.signal.reason, caught, deadline, {args, flags, locked: Boolean(lock)});
      throw err;
    } finally {
      deadline.stop();
      await lock?.release({remove: done && this.removesLock()});
      for (const s of signals) process.removeListener(s, onSignal);
      await this.rt?.close();
    }
  }

  /**
   * The error of a run whose signal was aborted: by a signal (128 + its number), by
   * --total-timeout (exit 1), or by a lost lock; with whatever the op said about
   * where it stopped, and how to resume.
   */
  private stopped(err: unknown, reason: unknown, caught: string | undefined, deadline: Deadline, run: {args: unknown; flags: unknown; locked: boolean}): CliError {
    const inner = err instanceof CliError ? err : undefined;
    const said = err instanceof Error && err !== reason && err.message !== 'interrupted' && !(err instanceof DeadlineExceeded) ? err.message : undefined;
    let message: string;
    if (reason instanceof DeadlineExceeded && !caught) message = said ? `${reason.message}: ${said}` : reason.message;
    else if (reason instanceof Error && reason.message !== 'interrupted') message = reason.message;
    else message = said ? `interrupted: ${said}` : 'interrupted';
    const ensemble = this.lockTarget(run.args as Record<string, unknown>, run.flags as Record<string, unknown>);
    const resume = ensemble ? this.resumeHint(ensemble, run.locked) : undefined;
    const exitNow = err instanceof CliError && err.exitNow && deadline.passed;
    return new CliError(message, {exitCode: caught ? (SIGNAL_EXIT[caught] ?? 1) : 1, hint: inner?.hint ?? resume, details: inner?.details, cause: err, exitNow});
  }

  /** How to go on after a run of a mutating command was stopped (a signal, --total-timeout, a lost lock). */
  protected resumeHint(ensemble: string, locked: boolean): string {
    return `kubectl zk status ${ensemble} shows the state it was left in; run the same command again to resume${locked ? ' (its lock is released)' : ''}`;
  }

  /** True for a run that goes on until it is stopped (status --watch, logs -f): reaching --total-timeout ends it normally. */
  protected runsUntilStopped(_flags: Record<string, unknown>): boolean {
    return false;
  }

  /** True for a command after which the lock has nothing left to guard (teardown): the lease is deleted on success. */
  protected removesLock(): boolean {
    return false;
  }

  /** The ensemble's lock for a mutating command; losing it aborts the run like a signal. */
  private async takeLock(kube: Kube, args: Record<string, unknown>, flags: Record<string, unknown>, abort: AbortController): Promise<{release(o?: {remove?: boolean}): Promise<void>} | undefined> {
    const ensemble = this.lockTarget(args, flags);
    if (!ensemble) return undefined;
    const {acquireLock} = await import('./ops/lock.js');
    return acquireLock(kube.namespace, ensemble, {
      kube,
      clock: this.rt.clock,
      sleep: this.rt.sleep,
      owner: {host: hostname(), pid: process.pid, command: commandLine(this.id, this.argv)},
      breakLock: Boolean(flags['break-lock']),
      warn: (line) => this.rt.progress.warn(line),
      onLost: (err) => {
        this.rt.progress.warn(err.message);
        abort.abort(err);
      },
    });
  }

  protected async emit(result: R): Promise<void> {
    const out = this.rt.streams.stdout;
    if (this.rt.output === 'json' || this.rt.output === 'yaml') {
      out.write(await this.serialize(result, this.rt.output));
      return;
    }
    const text = this.render(result, this.rt);
    if (text) out.write(text);
  }
}
