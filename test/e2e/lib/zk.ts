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

/**
 * Flags every e2e ensemble uses: small pods for 2 cores. No --image: the
 * ensembles run the plugin's default image, which the cluster carries (built
 * from the pinned 3.9 jars, tagged docker.io/library/zookeeper:<version>:
 * KZK_ZK_IMAGE). Never pull: a missing image fails at once.
 */
export function smallEnsembleFlags(): string[] {
  return ['--image-pull-policy', 'Never', '--memory', '512Mi', '--cpu', '100m', '--storage', '128Mi'];
}

/** The x.y.z a member's srvr reports (`Zookeeper version: 3.9.5-<commit>, built on …`). */
export function srvrVersion(srvr: string): string | undefined {
  return /^Zookeeper version: (\d+\.\d+\.\d+)/m.exec(srvr)?.[1];
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

/** `kubectl zk status NAME -o json`, parsed. */
export async function statusJson(ns: string, name: string): Promise<any> {
  const s = await kzk(['status', name, '-n', ns, '-o', 'json']);
  return JSON.parse(s.stdout);
}

/** Each member pod's uid: a changed uid means the pod was replaced. */
export async function podUids(ns: string, name: string): Promise<Record<string, string>> {
  const pods = await kubectlJson<{items: {metadata: {name: string; uid: string}}[]}>(['get', 'pods', '-n', ns, '-l', `app.kubernetes.io/instance=${name}`]);
  return Object.fromEntries(pods.items.map((p) => [p.metadata.name, p.metadata.uid]));
}

/** The leader and its epoch, asked of each server itself (srvr from inside its pod). */
export async function leaderEpoch(ns: string, pods: readonly string[]): Promise<{leader: string; epoch: number}> {
  for (const pod of pods) {
    const srvr = await fourLetter(ns, pod, 'srvr').catch(() => '');
    if (/^Mode: leader$/m.test(srvr)) {
      const zxid = /^Zxid: (0x[0-9a-f]+)$/m.exec(srvr)?.[1];
      if (!zxid) throw new Error(`${pod} leads but srvr has no Zxid line:\n${srvr}`);
      return {leader: pod, epoch: Number(BigInt(zxid) >> 32n)};
    }
  }
  throw new Error('no member says it leads');
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
    'statefulsets,services,configmaps,secrets,poddisruptionbudgets,networkpolicies,pods,persistentvolumeclaims',
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

/**
 * The children of `path` as zkCli.sh in the member's own pod lists them (the member alone, not
 * through the plugin). A run whose output holds no whole `[…]` list line is tried again (3 tries;
 * seen once in CI: exit 0 and no list, the output not kept), and the last output is in the error.
 * zkCli's own failures (connection loss, no such znode) exit 1.
 */
export async function zkCliChildren(ns: string, pod: string, path: string): Promise<Set<string>> {
  let last = '';
  for (let attempt = 1; attempt <= 3; attempt++) {
    const r = await kubectl(['exec', '-n', ns, pod, '-c', 'zookeeper', '--', 'zkCli.sh', '-server', '127.0.0.1:2181', 'ls', path], {timeoutMs: 60_000, allowFail: true});
    const list = /^\[(.*)\]$/m.exec(r.stdout);
    if (r.code === 0 && list) return new Set(list[1]!.split(', ').filter(Boolean));
    last = `exit ${r.code}\nstdout: ${r.stdout.slice(-2000)}\nstderr: ${r.stderr.slice(-2000)}`;
    await new Promise((res) => setTimeout(res, 3000));
  }
  throw new Error(`zkCli.sh ls ${path} in ${pod} gave no list in 3 tries; the last:\n${last}`);
}

/** From inside a pod: connect, send a four-letter word in plain TCP, print what came back; `rc=` is the connect's exit (0 open, 124 timeout, else refused). */
export async function plainFrom(ns: string, pod: string, host: string, port: number): Promise<{connected: 'open' | 'refused' | 'timeout'; answer: string}> {
  const script = `timeout 4 bash -c 'exec 3<>/dev/tcp/${host}/${port}' 2>/dev/null; echo rc=$?; timeout 4 bash -c 'exec 3<>/dev/tcp/${host}/${port} && printf srvr >&3 && cat <&3' 2>/dev/null`;
  const r = await kubectl(['exec', '-n', ns, pod, '--', 'bash', '-c', script], {allowFail: true, timeoutMs: 30_000});
  const rc = /rc=(\d+)/.exec(r.stdout)?.[1];
  return {connected: rc === '0' ? 'open' : rc === '124' ? 'timeout' : 'refused', answer: r.stdout.replace(/^rc=\d+\n?/, '')};
}

/**
 * A ZooKeeper session held open from the test process through port-forwards
 * (the plugin's own kube client and forwarders), with a writer creating one
 * znode every `intervalMs`: proves that a change keeps sessions and loses no
 * acknowledged write.
 */
export async function holdSession(ns: string, name: string, pods: string[], intervalMs = 100, opts: {endpoints?: {host: string; port: number}[]} = {}) {
  const [{resolveKubeConfig}, {KubeClient}, {MemberForwarders}, {connectZk}] = await Promise.all([
    import('../../../src/kube/config.js'),
    import('../../../src/kube/client.js'),
    import('../../../src/ops/members.js'),
    import('../../../src/zk/client.js'),
  ]);
  const kube = new KubeClient(resolveKubeConfig({namespace: ns}, {...process.env, KUBECONFIG: clusterEnv().KUBECONFIG}));
  const forwarders = new MemberForwarders(kube);
  const endpoints = opts.endpoints ?? (await Promise.all(pods.map((p) => forwarders.endpoint(ns, p))));
  const client = await connectZk({endpoints, sessionTimeoutMs: 30_000, operationTimeoutMs: 10_000, spinDelayMs: 100});
  const sessionId = client.sessionId;
  const states: string[] = [];
  client.onState((s) => states.push(s));
  const dir = `/e2e-writer-${Date.now()}`;
  await client.create(dir, '', {parents: true});
  const acked: string[] = [];
  let failed = 0;
  let lastAck = Date.now();
  let longestGapMs = 0;
  let running = true;
  const loop = (async () => {
    for (let i = 0; running; i++) {
      const path = `${dir}/w-${String(i).padStart(8, '0')}`;
      try {
        await client.create(path, String(i));
        const now = Date.now();
        longestGapMs = Math.max(longestGapMs, now - lastAck);
        lastAck = now;
        acked.push(path);
      } catch {
        failed++;
      }
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  })();
  return {
    /** Where the writer writes: one child per write. */
    dir,
    /** Stops the writer and checks every acknowledged write is there, on the same session; `keep` leaves the written znodes (and returns their paths) to be read again elsewhere. */
    async finish(opts: {keep?: boolean} = {}) {
      running = false;
      await loop;
      const present = new Set((await client.ls(dir)).map((c) => `${dir}/${c}`));
      const lost = acked.filter((p) => !present.has(p));
      const result = {sessionKept: client.sessionId === sessionId && !states.includes('expired'), states, acked: acked.length, failed, lost, longestGapMs, ackedPaths: opts.keep ? acked : []};
      if (!opts.keep) await client.deleteRecursive(dir).catch(() => undefined);
      await client.close();
      await forwarders.close();
      await kube.close();
      return result;
    },
  };
}

/**
 * A command that refuses while the followers are not in sync yet (restart exit 3, failover-test
 * exit 13: the tool's own precondition, right as it is), run again until it is accepted (2 min):
 * just after a scale on a loaded machine the leader may not count them in sync for a while.
 */
export async function whenInSync(args: string[]): Promise<Awaited<ReturnType<typeof kzk>>> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const r = await kzk(args, {timeoutMs: 900_000});
    if (!/followers in sync/.test(r.stderr) || ![3, 13].includes(r.code) || Date.now() > deadline) return r;
    await new Promise((res) => setTimeout(res, 5000));
  }
}
