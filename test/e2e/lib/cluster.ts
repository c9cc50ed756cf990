/**
 * Helpers for end-to-end tests against the real cluster (KZK_NODES nodes,
 * default 3) that test/cluster/up.sh starts on this machine.
 *
 * - clusterEnv(): the cluster's environment, read from $KZK_CLUSTER_STATE/env
 *   (KUBECONFIG, PATH with the built kubectl first, KZK_ZK_IMAGE, ...).
 * - useCluster(): registers root mocha hooks: bring the cluster up with up.sh
 *   when it is not running (remembering that this process did), register this
 *   process in $STATE/users (down.sh refuses while other users are alive),
 *   and run down.sh at the very end only if this process started the cluster
 *   (KZK_KEEP_CLUSTER=1 keeps it).
 * - kubectl(args, opts): runs the built kubectl with the cluster's KUBECONFIG.
 * - withNamespace(fn) / createNamespace(): a unique namespace per test.
 * - waitFor(), waitForPod(), portForward(), dumpDiagnostics().
 * - nodeNames(), containerdSockets(), ctrAllNodes(args): the nodes.
 *
 * Dependency-free: node:child_process, node:fs, node:net only.
 */
import {spawn, spawnSync, type ChildProcess} from 'node:child_process';
import {randomBytes} from 'node:crypto';
import {existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import {join, resolve} from 'node:path';

const REPO = resolve(import.meta.dirname, '../../..');
const CLUSTER_SCRIPTS = join(REPO, 'test/cluster');

export interface ClusterEnv {
  KUBECONFIG: string;
  PATH: string;
  KZK_ZK_IMAGE: string;
  KZK_CLUSTER_LOGS: string;
  KZK_CLUSTER_STATE: string;
  [key: string]: string;
}

export function stateDir(): string {
  return process.env['KZK_CLUSTER_STATE'] ?? '/var/lib/kzk-cluster';
}

export function envFilePath(): string {
  return join(stateDir(), 'env');
}

/** Parses the `export K=V` lines up.sh writes, expanding $VAR / ${VAR}. */
export function parseEnvFile(text: string, base: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split('\n')) {
    const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(raw);
    if (!m || m[1] === undefined || m[2] === undefined) continue;
    let v = m[2].trim();
    if ((v.startsWith('"') && v.endsWith('"')) || (v.startsWith("'") && v.endsWith("'"))) v = v.slice(1, -1);
    v = v.replace(/\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g, (_s, name: string) => out[name] ?? base[name] ?? '');
    out[m[1]] = v;
  }
  return out;
}

let cachedEnv: ClusterEnv | undefined;

/** The running cluster's environment; throws when up.sh has not written it. */
export function clusterEnv(): ClusterEnv {
  if (cachedEnv) return cachedEnv;
  const file = envFilePath();
  if (!existsSync(file)) throw new Error(`no cluster env file at ${file}: run \`bash test/cluster/up.sh\``);
  const vars = parseEnvFile(readFileSync(file, 'utf8'));
  for (const k of ['KUBECONFIG', 'PATH', 'KZK_ZK_IMAGE', 'KZK_CLUSTER_LOGS'] as const) {
    if (!vars[k]) throw new Error(`${file} does not set ${k}`);
  }
  cachedEnv = {KZK_CLUSTER_STATE: stateDir(), ...vars} as ClusterEnv;
  return cachedEnv;
}

/** The cluster's node names (kzk-node-1 ...), from the env file (KZK_NODE_NAMES). */
export function nodeNames(): string[] {
  const names = (clusterEnv()['KZK_NODE_NAMES'] ?? '').split(/\s+/).filter(Boolean);
  return names.length ? names : ['kzk-node'];
}

/** Every node's containerd socket (KZK_CONTAINERD_SOCKETS; the older single-node layout had one). */
export function containerdSockets(): string[] {
  const socks = (clusterEnv()['KZK_CONTAINERD_SOCKETS'] ?? '').split(/\s+/).filter(Boolean);
  return socks.length ? socks : [join(clusterEnv().KZK_CLUSTER_STATE, 'containerd/containerd.sock')];
}

/**
 * Runs `ctr -n k8s.io ARGS` against every node's containerd (images must be
 * the same on all nodes); returns the first failure, else the last result.
 */
export function ctrAllNodes(args: string[]): {status: number | null; stdout: string; stderr: string} {
  let last = {status: 0 as number | null, stdout: '', stderr: ''};
  for (const sock of containerdSockets()) {
    const r = spawnSync('ctr', ['-n', 'k8s.io', '--address', sock, ...args], {encoding: 'utf8'});
    last = {status: r.status, stdout: r.stdout ?? '', stderr: `${sock}: ${r.stderr ?? ''}`};
    if (r.status !== 0) return last;
  }
  return last;
}

/** process.env overlaid with the cluster's variables (for spawning tools). */
export function clusterProcessEnv(): NodeJS.ProcessEnv {
  return {...process.env, ...clusterEnv()};
}

function runScript(name: string): number {
  const r = spawnSync('bash', [join(CLUSTER_SCRIPTS, name)], {
    stdio: ['ignore', process.stderr, process.stderr],
    // down.sh refuses while other registered e2e processes use the cluster;
    // this process's own registration does not count.
    env: {...process.env, KZK_CLUSTER_USER_PID: String(process.pid)},
  });
  return r.status ?? 1;
}

const userFile = () => join(stateDir(), 'users', String(process.pid));

/**
 * Registers this process as a user of the cluster ($STATE/users/<pid>), so a
 * concurrent `down.sh` (another test run, a developer) refuses to stop it.
 */
export function registerClusterUser(): void {
  mkdirSync(join(stateDir(), 'users'), {recursive: true});
  writeFileSync(userFile(), `${process.argv.join(' ')}\n`);
  process.once('exit', unregisterClusterUser);
}

export function unregisterClusterUser(): void {
  rmSync(userFile(), {force: true});
}

/** True when status.sh reports every component running and the node Ready. */
export function clusterIsUp(): boolean {
  if (!existsSync(envFilePath())) return false;
  const r = spawnSync('bash', [join(CLUSTER_SCRIPTS, 'status.sh')], {stdio: 'ignore', env: process.env});
  return r.status === 0;
}

let startedByUs = false;

/**
 * A node lost on purpose (test/cluster/node-lose.sh, by another test sharing
 * the bed) makes status.sh fail for a few minutes; up.sh then would restart
 * its kubelet mid-test (and rebuild what it finds stale). Wait for its
 * node-restore.sh instead, up to 10 minutes, before judging the cluster.
 */
function waitWhileNodeLost(): void {
  const until = Date.now() + 600_000;
  for (let lost = lostNodes(); lost.length > 0 && Date.now() < until; lost = lostNodes()) {
    process.stderr.write(`[e2e] node(s) ${lost.join(', ')} lost by test/cluster/node-lose.sh: waiting for node-restore.sh before checking the cluster\n`);
    spawnSync('sleep', ['10']);
  }
}

/** Brings the cluster up when it is not; returns true when this call started it. */
export function ensureCluster(): boolean {
  waitWhileNodeLost();
  if (clusterIsUp()) return false;
  process.stderr.write('[e2e] cluster not up: running test/cluster/up.sh\n');
  if (runScript('up.sh') !== 0) {
    printComponentLogs();
    // up.sh's own reason, repeated last: CI keeps only the tail of the output.
    const why = join(stateDir(), 'up-failed');
    const reason = existsSync(why) ? readFileSync(why, 'utf8').trim() : 'see its output above';
    throw new Error(`test/cluster/up.sh failed: ${reason}`);
  }
  cachedEnv = undefined;
  startedByUs = true;
  return true;
}

/** Runs down.sh if (and only if) ensureCluster() started the cluster. */
export function stopClusterIfStarted(): void {
  if (!startedByUs) return;
  startedByUs = false;
  unregisterClusterUser();
  if (process.env['KZK_KEEP_CLUSTER'] === '1') {
    process.stderr.write('[e2e] KZK_KEEP_CLUSTER=1: leaving the cluster running\n');
    return;
  }
  process.stderr.write('[e2e] stopping the cluster this run started (test/cluster/down.sh)\n');
  if (runScript('down.sh') === 3) process.stderr.write('[e2e] other e2e processes still use the cluster: left running\n');
}

let hooksRegistered = false;

/** Root mocha hooks: ensure the cluster before all tests, stop it after all if we started it. */
export function useCluster(): void {
  if (hooksRegistered) return;
  hooksRegistered = true;
  before(function () {
    this.timeout(0); // a cold up.sh builds Kubernetes
    ensureCluster();
    registerClusterUser();
  });
  after(function () {
    this.timeout(300_000);
    unregisterClusterUser();
    stopClusterIfStarted();
  });
}

export interface RunResult {
  stdout: string;
  stderr: string;
  code: number;
}

export interface KubectlOptions {
  namespace?: string;
  input?: string;
  timeoutMs?: number;
  /** Resolve with the result instead of rejecting on a non-zero exit. */
  allowFail?: boolean;
}

export function kubectlPath(): string {
  const bin = clusterEnv().PATH.split(':')[0] ?? '';
  const p = join(bin, 'kubectl');
  return existsSync(p) ? p : 'kubectl';
}

/** Runs the cluster's kubectl; rejects with stdout/stderr on failure unless allowFail. */
export function kubectl(args: string[], opts: KubectlOptions = {}): Promise<RunResult> {
  const full = [...(opts.namespace ? ['-n', opts.namespace] : []), ...args];
  return new Promise((res, rej) => {
    const child = spawn(kubectlPath(), full, {env: clusterProcessEnv(), stdio: ['pipe', 'pipe', 'pipe']});
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 120_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      rej(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const r = {stdout, stderr, code: code ?? (signal ? 128 : 1)};
      if (r.code !== 0 && !opts.allowFail) {
        rej(new Error(`kubectl ${full.join(' ')} exited ${signal ?? r.code}\nstdout: ${stdout}\nstderr: ${stderr}`));
      } else res(r);
    });
    child.stdin.end(opts.input ?? '');
  });
}

/** kubectl ... -o json, parsed. */
export async function kubectlJson<T = any>(args: string[], opts: KubectlOptions = {}): Promise<T> {
  const r = await kubectl([...args, '-o', 'json'], opts);
  return JSON.parse(r.stdout) as T;
}

/** kubectl apply -f - with the given manifest text. */
export function apply(manifest: string, namespace?: string): Promise<RunResult> {
  return kubectl(['apply', '-f', '-'], {input: manifest, ...(namespace ? {namespace} : {})});
}

/** A pod that only sleeps, on the ZooKeeper image (it has bash for /dev/tcp probes): a client that is not a member. */
export function bystanderPod(name: string): string {
  return `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
  labels: {app: bystander}
spec:
  terminationGracePeriodSeconds: 0
  containers:
    - name: c
      image: ${clusterEnv().KZK_ZK_IMAGE}
      imagePullPolicy: Never
      command: ["sleep", "3600"]
`;
}

export function uniqueName(prefix = 'kzk-e2e'): string {
  return `${prefix}-${randomBytes(3).toString('hex')}`;
}

export async function createNamespace(prefix = 'kzk-e2e'): Promise<string> {
  const name = uniqueName(prefix);
  await kubectl(['create', 'namespace', name]);
  await kubectl(['label', 'namespace', name, 'kzk-e2e=true']);
  // Pods need the namespace's default ServiceAccount, made by a controller.
  await waitFor(`ServiceAccount default in ${name}`, async () => (await kubectl(['get', 'serviceaccount', 'default'], {namespace: name, allowFail: true})).code === 0);
  return name;
}

export async function deleteNamespace(name: string, wait = false): Promise<void> {
  await kubectl(['delete', 'namespace', name, '--ignore-not-found', `--wait=${wait}`], {timeoutMs: 300_000});
}

/**
 * Runs fn in a fresh namespace and deletes it afterwards; on failure prints
 * the namespace's pods/events and the component log tails first.
 */
export async function withNamespace<T>(fn: (ns: string) => Promise<T>, prefix = 'kzk-e2e'): Promise<T> {
  const ns = await createNamespace(prefix);
  try {
    return await fn(ns);
  } catch (e) {
    await dumpDiagnostics(ns);
    throw e;
  } finally {
    await deleteNamespace(ns).catch(() => undefined);
  }
}

export interface WaitOptions {
  timeoutMs?: number;
  intervalMs?: number;
}

/** Polls check until it returns a truthy value (which is returned). */
export async function waitFor<T>(what: string, check: () => Promise<T | false | undefined | null>, opts: WaitOptions = {}): Promise<T> {
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  let lastErr: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v) return v;
    } catch (e) {
      lastErr = e;
    }
    if (Date.now() > deadline) {
      const detail = lastErr instanceof Error ? `: last error: ${lastErr.message}` : '';
      throw new Error(`timed out after ${opts.timeoutMs ?? 60_000} ms waiting for ${what}${detail}`);
    }
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 500));
  }
}

/** Waits for a pod to reach a phase (default Running) and returns it. */
export async function waitForPod(ns: string, name: string, phase = 'Running', timeoutMs = 120_000): Promise<any> {
  return waitFor(
    `pod ${ns}/${name} ${phase}`,
    async () => {
      const r = await kubectl(['get', 'pod', name, '-o', 'json'], {namespace: ns, allowFail: true});
      if (r.code !== 0) return false;
      const pod = JSON.parse(r.stdout);
      return pod.status?.phase === phase ? pod : false;
    },
    {timeoutMs},
  );
}

export interface PortForward {
  localPort: number;
  close(): void;
}

/** Starts `kubectl port-forward pod/NAME :PORT` and resolves with the local port. */
export function portForward(ns: string, target: string, remotePort: number, timeoutMs = 30_000): Promise<PortForward> {
  return new Promise((res, rej) => {
    const child: ChildProcess = spawn(kubectlPath(), ['-n', ns, 'port-forward', '--address', '127.0.0.1', target, `:${remotePort}`], {env: clusterProcessEnv(), stdio: ['ignore', 'pipe', 'pipe']});
    let out = '';
    let done = false;
    const finish = (err?: Error, port?: number) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (err) {
        child.kill('SIGTERM');
        rej(err);
      } else res({localPort: port!, close: () => child.kill('SIGTERM')});
    };
    const timer = setTimeout(() => finish(new Error(`port-forward to ${target}:${remotePort} not ready in ${timeoutMs} ms: ${out}`)), timeoutMs);
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = /Forwarding from 127\.0\.0\.1:(\d+) ->/.exec(out);
      if (m?.[1]) finish(undefined, Number(m[1]));
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => finish(new Error(`kubectl port-forward exited ${code}: ${out}`)));
  });
}

/** Prints the last lines of every component log (etcd, kube-apiserver, kubelet, ...). */
export function printComponentLogs(lines = 30): void {
  let dir: string;
  try {
    dir = clusterEnv().KZK_CLUSTER_LOGS;
  } catch {
    dir = join(stateDir(), 'logs');
  }
  if (!existsSync(dir)) return;
  for (const f of readdirSync(dir)
    .filter((n) => n.endsWith('.log'))
    .sort()) {
    const text = readFileSync(join(dir, f), 'utf8').trimEnd().split('\n');
    process.stderr.write(`----- ${join(dir, f)} (last ${lines} lines) -----\n${text.slice(-lines).join('\n')}\n`);
  }
}

/** On failure: pods, events and describe output of a namespace, then component logs. */
export async function dumpDiagnostics(ns?: string): Promise<void> {
  const show = async (args: string[]) => {
    const r = await kubectl(args, {allowFail: true, timeoutMs: 30_000}).catch((e: Error) => ({stdout: '', stderr: e.message, code: 1}));
    process.stderr.write(`----- kubectl ${args.join(' ')} -----\n${r.stdout}${r.stderr}\n`);
  };
  await show(['get', 'nodes', '-o', 'wide']);
  if (ns) {
    await show(['-n', ns, 'get', 'all,pvc,events', '-o', 'wide']);
    await show(['-n', ns, 'describe', 'pods']);
  }
  await show(['get', 'pv,pods', '-A', '-o', 'wide']);
  printComponentLogs();
}

/** The index I of node kzk-node-I (what test/cluster/node-lose.sh takes). */
export function nodeIndex(node: string): number {
  const m = /^kzk-node-([1-9])$/.exec(node);
  if (!m) throw new Error(`not a test-cluster node: ${node}`);
  return Number(m[1]);
}

function nodeScript(script: string, node: string, timeoutMs: number): Promise<RunResult> {
  return new Promise((res, rej) => {
    const child = spawn('bash', [join(CLUSTER_SCRIPTS, script), String(nodeIndex(node))], {env: process.env, stdio: ['ignore', 'pipe', 'pipe']});
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', rej);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0) res({stdout: out, stderr: '', code: 0});
      else rej(new Error(`${script} ${node} exited ${code}:\n${out}`));
    });
  });
}

/** A simulated node loss (test/cluster/node-lose.sh): the node unreachable, its kubelet and containerd stopped, its pods' processes killed. Always follow with restoreNode. */
export function loseNode(node: string): Promise<RunResult> {
  return nodeScript('node-lose.sh', node, 120_000);
}

/** Brings a lost node back and waits until it is Ready (test/cluster/node-restore.sh); a no-op for a node that is not lost. */
export function restoreNode(node: string): Promise<RunResult> {
  return nodeScript('node-restore.sh', node, 300_000);
}

/** Nodes node-lose.sh took down and node-restore.sh has not brought back. */
export function lostNodes(): string[] {
  const dir = join(stateDir(), 'lost');
  return existsSync(dir) ? readdirSync(dir).filter((n) => /^kzk-node-[1-9]$/.test(n)) : [];
}
