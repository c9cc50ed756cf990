import {Command, Flags, type Interfaces} from '@oclif/core';
import {CliError, UsageError} from './errors.js';
import {createRuntime, type OutputFormat, type Runtime} from './cli/runtime.js';
import {parseDuration} from './util/duration.js';

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
    'request-timeout': Flags.string({summary: 'How long to wait for one API request ("0" = no limit), e.g. 30s.', helpGroup: 'KUBECTL', default: '0'}),
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

  protected async runtime(flags: Record<string, unknown>, signal: AbortSignal): Promise<Runtime> {
    const timeout = String(flags['request-timeout'] ?? '0');
    const requestTimeoutMs = parseDuration(timeout, '--request-timeout') || undefined;
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
      streams: {stdout: process.stdout, stderr: process.stderr, stdin: process.stdin},
      signal,
    });
  }

  /** Builds the runtime from the parsed flags; `execute` does the work. */
  async run(): Promise<R> {
    const {flags} = await this.parse(this.constructor as typeof ZkCommand);
    const abort = new AbortController();
    const onSigint = () => abort.abort(new Error('interrupted'));
    process.once('SIGINT', onSigint);
    try {
      this.rt = await this.runtime(flags as Record<string, unknown>, abort.signal);
      const result = await this.execute(this.rt);
      await this.emit(result);
      const code = this.exitCodeFor(result);
      if (code !== 0) process.exitCode = code;
      return result;
    } catch (err) {
      // Ctrl-C: the conventional 130, with whatever the op said about where it stopped
      if (abort.signal.aborted) {
        const inner = err instanceof CliError ? err : undefined;
        const message = err instanceof Error && err.message !== 'interrupted' ? `interrupted: ${err.message}` : 'interrupted';
        throw new CliError(message, {exitCode: 130, hint: inner?.hint, details: inner?.details, cause: err});
      }
      throw err;
    } finally {
      process.removeListener('SIGINT', onSigint);
      await this.rt?.close();
    }
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
