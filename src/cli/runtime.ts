import {createInterface} from 'node:readline/promises';
import type {Writable} from 'node:stream';
import {UsageError, AbortedError} from '../errors.js';
import type {KubeFlags} from '../kube/config.js';
import type {Kube} from '../kube/types.js';
import {lineProgress, noPaint, silentProgress, spinnerProgress, type Paint, type Progress} from '../util/progress.js';
import {realSleep, systemClock, type Clock, type Sleep} from '../util/time.js';

export type OutputFormat = 'human' | 'wide' | 'json' | 'yaml' | 'secret' | 'pem';

export interface Streams {
  stdout: Writable & {isTTY?: boolean};
  stderr: Writable & {isTTY?: boolean};
  stdin: NodeJS.ReadableStream & {isTTY?: boolean};
}

/**
 * What a command gives its op: the collaborators, built once per invocation.
 * Nothing here is module-level state; tests build their own.
 */
export interface Runtime {
  readonly kubeFlags: KubeFlags;
  readonly env: NodeJS.ProcessEnv;
  readonly output: OutputFormat;
  readonly streams: Streams;
  readonly paint: Paint; // for stdout
  readonly errPaint: Paint; // for stderr
  readonly verbose: boolean;
  readonly requestTimeoutMs?: number;
  readonly clock: Clock;
  readonly sleep: Sleep;
  readonly progress: Progress;
  /** aborted on Ctrl-C */
  readonly signal: AbortSignal;
  /** The Kubernetes client, created on first use (keeps --help and --dry-run off the network). */
  kube(): Promise<Kube>;
  /** Asks on a TTY; `--yes` answers for scripts; with no TTY and no --yes it refuses. */
  confirm(question: string): Promise<boolean>;
  debug(line: string): void;
  /** Closes what the runtime opened (port-forwards, sockets). */
  close(): Promise<void>;
}

export interface RuntimeOptions {
  kubeFlags: KubeFlags;
  env: NodeJS.ProcessEnv;
  output: OutputFormat;
  noColor: boolean;
  verbose: boolean;
  yes: boolean;
  requestTimeoutMs?: number;
  /** the limit for one API request (the default applies when --request-timeout is not given); undefined = none */
  apiRequestTimeoutMs?: number;
  streams: Streams;
  signal: AbortSignal;
  /** runs once, when the command first asks for the client (after its usage checks): a mutating command takes its lock here */
  afterKube?(kube: Kube): Promise<void>;
}

export function colorEnabled(stream: {isTTY?: boolean}, noColor: boolean, env: NodeJS.ProcessEnv): boolean {
  if (noColor) return false;
  // https://no-color.org: any non-empty value disables colour (chalk itself ignores NO_COLOR)
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR && env.FORCE_COLOR !== '0') return true;
  return Boolean(stream.isTTY) && env.TERM !== 'dumb';
}

async function makePaint(enabled: boolean): Promise<Paint> {
  if (!enabled) return noPaint;
  const {Chalk} = await import('chalk');
  const c = new Chalk({level: 1});
  return {green: c.green, red: c.red, yellow: c.yellow, dim: c.dim, bold: c.bold, cyan: c.cyan};
}

export async function createRuntime(o: RuntimeOptions): Promise<Runtime> {
  const paint = await makePaint(colorEnabled(o.streams.stdout, o.noColor, o.env));
  const errPaint = await makePaint(colorEnabled(o.streams.stderr, o.noColor, o.env));
  const machine = o.output === 'json' || o.output === 'yaml';
  const progress = machine ? silentProgress : o.streams.stderr.isTTY ? await spinnerProgress(o.streams.stderr, errPaint) : lineProgress(o.streams.stderr, errPaint);
  const debug = (line: string) => {
    if (o.verbose) o.streams.stderr.write(`${errPaint.dim(`[${new Date().toISOString()}] ${line}`)}\n`);
  };
  let kube: Promise<Kube> | undefined;
  return {
    kubeFlags: o.kubeFlags,
    env: o.env,
    output: o.output,
    streams: o.streams,
    paint,
    errPaint,
    verbose: o.verbose,
    requestTimeoutMs: o.requestTimeoutMs,
    clock: systemClock,
    sleep: realSleep,
    progress,
    signal: o.signal,
    debug,
    kube() {
      kube ??= (async () => {
        const [{resolveKubeConfig}, {KubeClient}] = await Promise.all([import('../kube/config.js'), import('../kube/client.js')]);
        const resolved = resolveKubeConfig(o.kubeFlags, o.env);
        debug(`kubeconfig ${resolved.source}, context "${resolved.context}", server ${resolved.server}, namespace "${resolved.namespace}"`);
        const client = new KubeClient(resolved, {
          requestTimeoutMs: 'apiRequestTimeoutMs' in o ? o.apiRequestTimeoutMs : o.requestTimeoutMs,
          log: o.verbose ? debug : undefined,
          kubectl: {kubeconfig: o.kubeFlags.kubeconfig, env: o.env},
        });
        await o.afterKube?.(client);
        return client;
      })();
      return kube;
    },
    async close() {
      if (kube)
        await kube.then(
          (k) => k.close(),
          () => undefined,
        );
    },
    async confirm(question) {
      if (o.yes) return true;
      if (!o.streams.stdin.isTTY || !o.streams.stderr.isTTY) {
        throw new UsageError(`${question.replace(/\?$/, '')}: refusing without confirmation`, 'no terminal to ask on; pass --yes to confirm');
      }
      const rl = createInterface({input: o.streams.stdin, output: o.streams.stderr});
      try {
        const answer = await rl.question(`${question} [y/N] `, {signal: o.signal});
        return /^y(es)?$/i.test(answer.trim());
      } catch {
        throw new AbortedError();
      } finally {
        rl.close();
      }
    },
  };
}

/** Namespace for commands that must not touch the cluster (e.g. --dry-run): kubeconfig is read, never contacted. */
export async function offlineNamespace(rt: Runtime): Promise<string> {
  const {resolveKubeConfig} = await import('../kube/config.js');
  return resolveKubeConfig(rt.kubeFlags, rt.env, {requireCluster: false}).namespace;
}
