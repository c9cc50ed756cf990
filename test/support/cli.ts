import assert from 'node:assert/strict';
import {spawnSync} from 'node:child_process';
import {mkdtempSync, writeFileSync} from 'node:fs';
import net from 'node:net';
import {tmpdir} from 'node:os';
import path from 'node:path';

/**
 * Runs the built plugin exactly as kubectl would (bin/kubectl-zk over dist/;
 * `npm test` builds first), without a TTY, against a kubeconfig whose API
 * server port was free a moment ago (it refuses connections): what must not
 * contact the cluster still works, what does fails at the API server.
 */
export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
  stdoutBytes: Buffer;
  ms: number;
}

export interface Cli {
  readonly kubeconfig: string;
  readonly port: number;
  run(args: string[], opts?: {input?: Buffer | string; env?: NodeJS.ProcessEnv}): CliRun;
}

const BIN = path.resolve('bin/kubectl-zk');

async function closedPort(): Promise<number> {
  const srv = net.createServer().listen(0, '127.0.0.1');
  await new Promise((r) => srv.once('listening', r));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise((r) => srv.close(r));
  return port;
}

/** Call in a `before` hook. The kubeconfig's context is "dev" with namespace "team-a". */
export async function refusingCli(): Promise<Cli> {
  const port = await closedPort();
  const kubeconfig = path.join(mkdtempSync(path.join(tmpdir(), 'kzk-cli-')), 'config');
  writeFileSync(
    kubeconfig,
    `apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: https://127.0.0.1:${port}\ncontexts:\n- name: dev\n  context:\n    cluster: c\n    user: u\n    namespace: team-a\nusers:\n- name: u\n  user:\n    token: t\ncurrent-context: dev\n`,
  );
  return {
    kubeconfig,
    port,
    run(args, opts = {}) {
      const env: NodeJS.ProcessEnv = {...process.env, KUBECONFIG: kubeconfig};
      delete env.FORCE_COLOR; // supports-color treats an empty FORCE_COLOR as "force"
      delete env.NO_COLOR;
      Object.assign(env, opts.env ?? {});
      const t0 = performance.now();
      const r = spawnSync(process.execPath, [BIN, ...args], {env, input: opts.input, timeout: 30_000});
      return {code: r.status, stdout: r.stdout.toString('utf8'), stderr: r.stderr.toString('utf8'), stdoutBytes: r.stdout, ms: performance.now() - t0};
    },
  };
}

/** A refused command: nothing on stdout, exactly one `error: …` line on stderr; returns that line. */
export function oneErrorLine(r: {stdout: string; stderr: string}, what: string): string {
  assert.equal(r.stdout, '', what);
  const lines = r.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `${what}: ${r.stderr}`);
  assert.match(lines[0]!, /^error: /, what);
  return lines[0]!;
}
