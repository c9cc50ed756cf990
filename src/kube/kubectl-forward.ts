/**
 * A port-forward run by the user's own `kubectl port-forward` (a kubectl
 * plugin can count on kubectl being there), for bulk transfers: its
 * WebSocket/SPDY framing and TLS then run in kubectl's process, beside the
 * plugin's own work on the bytes (hashing, parsing), instead of on the
 * plugin's one JavaScript thread. The same kubeconfig, context and namespace
 * as the plugin: --kubeconfig when it was given (else kubectl reads
 * $KUBECONFIG as the plugin did), --context always (the one the plugin
 * resolved). The local port is kubectl's choice (":PORT"), read from its
 * "Forwarding from 127.0.0.1:PORT -> TARGET" line; kubectl is stopped on
 * close() and when the plugin exits.
 */
import {spawn as nodeSpawn, type ChildProcess} from 'node:child_process';
import type {Forwarder} from './types.js';

export interface KubectlForwardOptions {
  namespace: string;
  pod: string;
  port: number;
  /** the kubectl binary (default "kubectl", found on PATH) */
  kubectl?: string;
  /** --kubeconfig, only when the user gave it */
  kubeconfig?: string;
  context?: string;
  env?: NodeJS.ProcessEnv;
  /** until the "Forwarding from" line (default 30 s) */
  timeoutMs?: number;
  log?: (line: string) => void;
  spawn?: (cmd: string, args: string[], opts: {env?: NodeJS.ProcessEnv; stdio: ['ignore', 'pipe', 'pipe']}) => ChildProcess;
}

/** kubectl's arguments for a forward of pod:port to a local port of its choice on 127.0.0.1. Pure. */
export function kubectlForwardArgs(o: Pick<KubectlForwardOptions, 'namespace' | 'pod' | 'port' | 'kubeconfig' | 'context'>): string[] {
  return [
    ...(o.kubeconfig ? ['--kubeconfig', o.kubeconfig] : []),
    ...(o.context ? ['--context', o.context] : []),
    'port-forward',
    '--namespace',
    o.namespace,
    '--address',
    '127.0.0.1',
    `pod/${o.pod}`,
    `:${o.port}`,
  ];
}

/** The local port of kubectl's "Forwarding from 127.0.0.1:PORT -> TARGET" line, if `text` holds it. Pure. */
export function forwardingPort(text: string, target: number): number | undefined {
  const m = new RegExp(`Forwarding from 127\\.0\\.0\\.1:(\\d+) -> ${target}\\b`).exec(text);
  return m ? Number(m[1]) : undefined;
}

export function kubectlPortForward(o: KubectlForwardOptions): Promise<Forwarder> {
  const kubectl = o.kubectl ?? 'kubectl';
  const args = kubectlForwardArgs(o);
  o.log?.(`${kubectl} ${args.join(' ')}`);
  const child = (o.spawn ?? nodeSpawn)(kubectl, args, {env: o.env, stdio: ['ignore', 'pipe', 'pipe']});
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  const stop = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  };
  process.once('exit', stop);
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    if (stderr.length < 4096) stderr += d.toString();
  });
  return new Promise<Forwarder>((resolve, reject) => {
    let out = '';
    let done = false;
    const fail = (why: string) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      stop();
      process.off('exit', stop);
      reject(new Error(`kubectl port-forward ${o.namespace}/${o.pod}:${o.port}: ${why}`));
    };
    const timer = setTimeout(() => fail(`no "Forwarding from" line within ${Math.round((o.timeoutMs ?? 30_000) / 1000)}s`), o.timeoutMs ?? 30_000);
    child.on('error', (e: NodeJS.ErrnoException) => fail(e.code === 'ENOENT' ? `${kubectl} is not on PATH` : e.message));
    child.once('exit', (code, signal) => fail(`kubectl exited (${signal ?? `code ${code}`})${stderr.trim() ? `: ${stderr.trim()}` : ''}`));
    child.stdout?.on('data', (d: Buffer) => {
      if (done) return;
      out += d.toString();
      const port = forwardingPort(out, o.port);
      if (port === undefined) return;
      done = true;
      clearTimeout(timer);
      resolve({
        host: '127.0.0.1',
        port,
        pod: o.pod,
        targetPort: o.port,
        close: async () => {
          stop();
          process.off('exit', stop);
          await exited;
        },
      });
    });
  });
}
