/**
 * Runs the plugin exactly as a user does: `kubectl zk …` through the built
 * kubectl's plugin discovery, with this repo's bin/ (or a packaged binary named
 * by KZK_PLUGIN_DIR) on PATH.
 */
import {spawn} from 'node:child_process';
import {dirname, resolve} from 'node:path';
import {clusterEnv, clusterProcessEnv, kubectl, kubectlJson, waitFor} from './cluster.js';

const REPO = resolve(import.meta.dirname, '../../..');

export interface ZkRun {
  code: number;
  stdout: string;
  stdoutBytes: Buffer;
  stderr: string;
}

/** Where kubectl finds `kubectl-zk`: KZK_PLUGIN_DIR (a packaged binary) or the repo's bin/. */
export function pluginDir(): string {
  return process.env['KZK_PLUGIN_DIR'] ?? resolve(REPO, 'bin');
}

export function kzk(args: string[], opts: {input?: Buffer | string; timeoutMs?: number; env?: NodeJS.ProcessEnv} = {}): Promise<ZkRun> {
  const env = clusterProcessEnv();
  // the plugin's `#!/usr/bin/env node` must find the Node that runs the tests (24), not the machine's
  env.PATH = `${pluginDir()}:${dirname(process.execPath)}:${env.PATH}`;
  Object.assign(env, opts.env ?? {});
  return new Promise((res, rej) => {
    const child = spawn('kubectl', ['zk', ...args], {env, stdio: ['pipe', 'pipe', 'pipe']});
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 600_000);
    child.on('error', rej);
    child.on('close', (code) => {
      clearTimeout(timer);
      const bytes = Buffer.concat(out);
      res({code: code ?? -1, stdout: bytes.toString('utf8'), stdoutBytes: bytes, stderr: Buffer.concat(err).toString('utf8')});
    });
    child.stdin.end(opts.input ?? '');
  });
}

/** Flags every e2e ensemble uses: the locally built image, small pods for 2 cores. */
export function smallEnsembleFlags(): string[] {
  return ['--image', clusterEnv().KZK_ZK_IMAGE, '--image-pull-policy', 'Never', '--memory', '512Mi', '--cpu', '100m', '--storage', '128Mi'];
}

export async function createEnsemble(ns: string, name: string, replicas: number, extra: string[] = []): Promise<ZkRun> {
  const r = await kzk(['create', name, '-n', ns, '--replicas', String(replicas), '--timeout', '4m', ...smallEnsembleFlags(), ...extra]);
  if (r.code !== 0) throw new Error(`kubectl zk create ${name} -n ${ns} failed (${r.code}):\n${r.stderr}`);
  return r;
}

/** Asks a member directly with a four-letter word, from inside its pod (bash /dev/tcp): independent of the plugin. */
export async function fourLetter(ns: string, pod: string, cmd: string): Promise<string> {
  const r = await kubectl(['exec', '-n', ns, pod, '-c', 'zookeeper', '--', 'bash', '-c', `exec 3<>/dev/tcp/127.0.0.1/2181 && printf ${cmd} >&3 && cat <&3`], {timeoutMs: 30_000});
  return r.stdout;
}

export async function modes(ns: string, name: string, replicas: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < replicas; i++) {
    const srvr = await fourLetter(ns, `${name}-${i}`, 'srvr');
    out.push(/^Mode: (.*)$/m.exec(srvr)?.[1] ?? 'not serving');
  }
  return out;
}

/** Everything in the namespace that carries the instance label (any kind the plugin could have made). */
export async function labelled(ns: string, name: string): Promise<string[]> {
  const list = await kubectlJson<{items: {kind: string; metadata: {name: string}}[]}>([
    'get',
    'statefulsets,services,configmaps,secrets,poddisruptionbudgets,pods,persistentvolumeclaims',
    '-n',
    ns,
    '-l',
    `app.kubernetes.io/instance=${name}`,
    '-o',
    'json',
  ]);
  return list.items.map((i) => `${i.kind}/${i.metadata.name}`).sort();
}

export {kubectl, kubectlJson, waitFor};
