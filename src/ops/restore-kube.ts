/**
 * RestoreDeps over Kubernetes: the create and scale ops as the create and
 * scale commands wire them, port-forwards to 2181 and 8080, a member
 * restart by deleting its pod.
 */
import {CliError} from '../errors.js';
import type {Kube, StatefulSetObject} from '../kube/types.js';
import type {EnsembleOptions} from '../manifests/options.js';
import {poll} from '../util/poll.js';
import type {Progress} from '../util/progress.js';
import type {Clock, Sleep} from '../util/time.js';
import {evictPod} from './evict.js';
import type {RestoreDeps} from './restore.js';

export interface KubeRestoreOptions {
  kube: Kube;
  namespace: string;
  name: string;
  /** the options for create (one member) */
  options: EnsembleOptions;
  warnings: string[];
  timeoutMs: number;
  clock: Clock;
  sleep: Sleep;
  progress: Progress;
  signal?: AbortSignal;
  confirm: (q: string) => Promise<boolean>;
  newPassword: () => string;
  debug?: (line: string) => void;
}

export async function kubeRestoreDeps(o: KubeRestoreOptions): Promise<RestoreDeps & {close: () => Promise<void>}> {
  const [{MemberForwarders, memberProbe}, probe, znode, {connectZk}, create, scale, scaleKube, {gatherStatus}, {waitForQuorum}, {loadAssets}, {PORTS}, {fourLetterWord}, {parseSrvr}] =
    await Promise.all([
      import('./members.js'),
      import('./ensemble/probe.js'),
      import('./znode.js'),
      import('../zk/client.js'),
      import('./create.js'),
      import('./scale.js'),
      import('./scale/kube.js'),
      import('./status.js'),
      import('./wait.js'),
      import('../manifests/assets.js'),
      import('../manifests/names.js'),
      import('../zk/fourletter.js'),
      import('../zk/parse.js'),
    ]);
  const {kube, namespace, name} = o;
  const client = new MemberForwarders(kube, PORTS.client);
  const admin = new MemberForwarders(kube, PORTS.admin);
  const endpoint = (ns: string, pod: string) => client.endpoint(ns, pod);
  const target = {namespace, ensemble: name};
  const sdeps = probe.statusDeps({kube, clock: o.clock, endpoint});
  const waitServing = (replicas: number) =>
    waitForQuorum({namespace, name, replicas, timeoutMs: o.timeoutMs}, {kube, clock: o.clock, sleep: o.sleep, progress: o.progress, probe: memberProbe(client), signal: o.signal});
  return {
    kube,
    clock: o.clock,
    sleep: o.sleep,
    signal: o.signal,
    confirm: o.confirm,
    note: (t) => o.progress.info(t),
    create: () =>
      create.createEnsemble(
        {options: {...o.options, replicas: 1}, wait: true, timeoutMs: o.timeoutMs, warnings: o.warnings},
        {
          kube,
          clock: o.clock,
          sleep: o.sleep,
          progress: o.progress,
          probe: memberProbe(client),
          assets: loadAssets(),
          newPassword: o.newPassword,
          connect: (auth) => znode.forwardedConnector({kube, forwarders: client, dial: connectZk, debug: o.debug}, target, {auth, signal: o.signal})(),
          signal: o.signal,
        },
      ),
    scale: (replicas) =>
      scale.scaleEnsemble(
        {name, namespace, voters: replicas, keepVolumes: false, force: false, dryRun: false, wait: true, timeoutMs: o.timeoutMs},
        {
          members: scaleKube.kubeScaleMembers({kube, namespace, name, keepVolumes: false, endpoint, clock: o.clock, sleep: o.sleep, signal: o.signal}),
          status: () => gatherStatus({name, namespace}, sdeps),
          auth: () => scaleKube.readSuperAuth(kube, namespace, name),
          clock: o.clock,
          sleep: o.sleep,
          progress: o.progress,
          confirm: o.confirm,
          signal: o.signal,
        },
      ),
    superAuth: () => znode.superAuth(kube, namespace, name),
    adminEndpoint: (pod) => admin.endpoint(namespace, pod),
    connect: async (auth, pod) => {
      if (!pod) return znode.forwardedConnector({kube, forwarders: client, dial: connectZk, debug: o.debug}, target, {auth: [auth], signal: o.signal})();
      const ep = await client.endpoint(namespace, pod);
      return connectZk({endpoints: [{host: ep.host, port: ep.port}], auth: [auth], signal: o.signal, log: o.debug});
    },
    restartMember: (pod) => restartMember(o, pod, waitServing),
    serverVersion: async (pod) => {
      const r = parseSrvr(await fourLetterWord(await client.endpoint(namespace, pod), 'srvr', {timeoutMs: probe.PROBE_TIMEOUT_MS}));
      return r.status === 'ok' ? (r.versionNumber ?? r.version) : 'unknown';
    },
    close: async () => {
      await Promise.all([client.close(), admin.close()]);
    },
  };
}

/** Deletes the member's pod, waits for its successor (another uid, not terminating), then for the quorum. */
async function restartMember(o: KubeRestoreOptions, pod: string, waitServing: (replicas: number) => Promise<unknown>): Promise<void> {
  const {kube, namespace, name} = o;
  const ref = {apiVersion: 'v1', kind: 'Pod', namespace, name: pod};
  const before = await kube.get(ref);
  await evictPod(kube, namespace, pod, {clock: o.clock, sleep: o.sleep, signal: o.signal, timeoutMs: o.timeoutMs});
  await poll(
    async () => {
      const now = await kube.get(ref);
      return now && now.metadata.uid !== before?.metadata.uid && !now.metadata.deletionTimestamp ? {ok: undefined} : {why: 'the pod is not back'};
    },
    {
      clock: o.clock,
      sleep: o.sleep,
      signal: o.signal,
      intervalMs: 500,
      timeoutMs: o.timeoutMs,
      onTimeout: () => new CliError(`${pod} did not come back within ${Math.round(o.timeoutMs / 1000)}s after its restart`),
    },
  );
  const sts = await kube.get<StatefulSetObject>({apiVersion: 'apps/v1', kind: 'StatefulSet', namespace, name});
  await waitServing(sts?.spec?.replicas ?? 1);
}
