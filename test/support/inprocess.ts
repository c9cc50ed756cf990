/**
 * Runs a command in this process through oclif (flag parsing, the command
 * class, its render/serialize), with the Kubernetes client replaced by a fake
 * and the clock by a fake one: no subprocess, no network to an API server.
 */
import {PassThrough} from 'node:stream';
import {Config} from '@oclif/core';
import {COMMANDS} from '../../src/commands.js';
import {createRuntime, type Runtime} from '../../src/cli/runtime.js';
import type {ZkCommand} from '../../src/base.js';
import type {Kube} from '../../src/kube/types.js';
import {fakeTime} from './time.js';

export interface InProcessRun {
  stdout: string;
  stderr: string;
  /** what `run` returned (the typed result), or the error it threw */
  result?: unknown;
  error?: Error & {exitCode?: number};
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

/** `id` as in COMMANDS ("status", "znode get"), argv after it. */
export async function runInProcess(id: keyof typeof COMMANDS, argv: string[], o: {kube: Kube}): Promise<InProcessRun> {
  const stdout = collector();
  const stderr = collector();
  const stdin = new PassThrough() as PassThrough & {isTTY?: boolean};
  const time = fakeTime();
  const Base = COMMANDS[id] as unknown as new (argv: string[], config: Config) => ZkCommand<unknown>;
  // the command as shipped; only its runtime's streams, kube and clock are the test's
  abstract class Probe extends Base {
    protected override async runtime(flags: Record<string, unknown>, signal: AbortSignal): Promise<Runtime> {
      const real = await super.runtime(flags, signal); // the shipped flag handling (-o, --json, --request-timeout)
      await real.close();
      const rt = await createRuntime({kubeFlags: real.kubeFlags, env: {}, output: real.output, noColor: true, verbose: false, yes: Boolean(flags.yes), streams: {stdout, stderr, stdin}, signal});
      return {...rt, clock: time.clock, sleep: time.sleep, kube: async () => o.kube};
    }
  }
  // oclif's parse spreads the class ({...ctor}): only own statics survive, so copy the command's
  for (const key of ['args', 'flags', 'baseFlags', 'strict', 'outputs']) {
    Object.defineProperty(Probe, key, {value: (Base as unknown as Record<string, unknown>)[key], enumerable: true, writable: true});
  }
  const out: InProcessRun = {stdout: '', stderr: ''};
  try {
    out.result = await (Probe as unknown as Runnable).run(argv, await oclifConfig());
  } catch (e) {
    out.error = e as Error;
  }
  out.stdout = stdout.text();
  out.stderr = stderr.text();
  return out;
}
