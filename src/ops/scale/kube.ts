/**
 * ScaleMembers over the Kubernetes API (ConfigMap, StatefulSet replicas,
 * PersistentVolumeClaims, port-forwards) and the Secret with the super user.
 */
import {chooseSpread, spreadRoomFor} from '../spread.js';
import {refuseDuringTlsEnableOf} from '../tls/enable-template.js';
import {formatSpread, spreadOfTemplate, spreadPatch} from '../../manifests/spread.js';
import {selectorLabels} from '../../manifests/labels.js';
import {CliError} from '../../errors.js';
import type {Kube, ObjectRef, SecretObject, StatefulSetObject} from '../../kube/types.js';
import {objectNames, podName, PORTS} from '../../manifests/names.js';
import {poll} from '../../util/poll.js';
import type {Clock, Sleep} from '../../util/time.js';
import type {Endpoint} from '../../zk/endpoint.js';
import {type DynamicConfig, formatServerLine, parseServerLine, type ServerRole} from '../../zk/parse.js';
import {type ConfigSnapshot, digestAuth} from '../../zk/reconfig.js';
import type {AuthInfo} from '../../zk/wire.js';
import {isRunning, type PodLike, podProblem} from '../pods.js';
import {ensureMemberCertificate} from '../tls.js';
import type {ScaleMembers, StepContext, VolumeFate} from './types.js';

// ---------------------------------------------------------------- helpers

/** The dynamic config text kubectl-zk publishes: server lines only (the version goes to membership-version). */
export function membershipText(servers: DynamicConfig['servers']): string {
  return (
    [...servers]
      .sort((a, b) => a.id - b.id)
      .map((s) => formatServerLine(s))
      .join('\n') + '\n'
  );
}

/** committed membership + the joiner (any old line of its id replaced) */
export function joinerMembership(committed: DynamicConfig, joinerLine: string): string {
  const joiner = parseServerLine(joinerLine);
  return membershipText([...committed.servers.filter((s) => s.id !== joiner.id), joiner]);
}

// ---------------------------------------------------------------- Kubernetes

/** The super-user password from Secret NAME-auth (.data.password, base64) as reconfig credentials. */
export async function readSuperAuth(kube: Kube, namespace: string, name: string): Promise<AuthInfo[]> {
  const secretName = objectNames(name).secret;
  const secret = await kube.get<SecretObject>({apiVersion: 'v1', kind: 'Secret', namespace, name: secretName});
  const password = secret?.data?.password !== undefined ? Buffer.from(secret.data.password, 'base64').toString('utf8') : secret?.stringData?.password;
  if (!password) {
    throw new CliError(`Secret ${secretName} ${secret ? 'has no password' : 'not found'} in namespace "${namespace}": the super-user password is needed to change the membership`, {
      hint: "kubectl zk create makes it; it must match the servers' superDigest",
    });
  }
  return [digestAuth('super', password)];
}

/** The cluster DNS domain the members' hosts use (NAME-<i>.NAME-hs.NAMESPACE.svc.<domain>). */
export function clusterDomainOf(config: DynamicConfig, name: string, namespace: string): string {
  const hs = objectNames(name).headlessService;
  for (const s of config.servers) {
    const prefix = `${podName(name, s.id - 1)}.${hs}.${namespace}.svc.`;
    if (s.host.startsWith(prefix) && s.host.length > prefix.length) return s.host.slice(prefix.length);
  }
  throw new CliError(`the committed membership's hosts (${config.servers.map((s) => s.host).join(', ')}) are not kubectl-zk's (NAME-<i>.${hs}.${namespace}.svc.<domain>)`, {
    hint: 'was this ensemble made by kubectl zk create?',
  });
}

/** A joiner's client address: as the members have it (create --tls keeps the plain port on loopback), else the plain port on all addresses. */
export function clientPartOf(config: DynamicConfig): string {
  return config.servers.some((s) => s.clientAddress === '127.0.0.1') ? `127.0.0.1:${PORTS.client}` : String(PORTS.client);
}

/** A joiner's membership line, in the committed members' cluster domain and client address. */
function memberLine(name: string, namespace: string, ordinal: number, role: ServerRole, committed: ConfigSnapshot): string {
  const host = `${podName(name, ordinal)}.${objectNames(name).headlessService}.${namespace}.svc.${clusterDomainOf(committed.config, name, namespace)}`;
  return `server.${ordinal + 1}=${host}:${PORTS.quorum}:${PORTS.election}:${role};${clientPartOf(committed.config)}`;
}

/** create --tls: the joiner's certificate, before its pod starts (nothing to do without TLS). */
async function joinerCertificate(kube: Kube, j: {namespace: string; name: string; ordinal: number; committed: ConfigSnapshot; now: Date}, ctx: StepContext): Promise<void> {
  const clusterDomain = clusterDomainOf(j.committed.config, j.name, j.namespace);
  if (await ensureMemberCertificate(kube, {namespace: j.namespace, name: j.name, clusterDomain, ordinal: j.ordinal, now: j.now})) {
    ctx.phase(`issued ${podName(j.name, j.ordinal)}'s certificate (Secret ${objectNames(j.name).tlsSecret})`);
  }
}

export const MEMBERSHIP_VERSION_KEY = 'membership-version';
export const DYNAMIC_KEY = 'zoo.cfg.dynamic';

export interface KubeMembersOptions {
  kube: Kube;
  namespace: string;
  name: string;
  keepVolumes: boolean;
  /** a member's client port (MemberForwarders in production) */
  endpoint(namespace: string, pod: string): Promise<Endpoint>;
  clock: Clock;
  sleep: Sleep;
  signal?: AbortSignal;
  pollMs?: number;
}

/** ScaleMembers' room and respread: the StatefulSet's spreading against the nodes (src/ops/spread.ts). */
function spreadMembers(kube: Kube, stsRef: ObjectRef, o: {name: string; namespace: string}): Pick<ScaleMembers, 'room' | 'respread'> {
  const {name, namespace} = o;
  return {
    async room(members, replacing, spread) {
      const sts = await kube.get<StatefulSetObject>(stsRef);
      return sts ? spreadRoomFor(kube, sts, {name, namespace, members, replacing, spread}) : undefined;
    },
    async respread(choice, members, apply) {
      const sts = await kube.get<StatefulSetObject>(stsRef);
      if (!sts) throw new CliError(`ensemble "${name}" not found in namespace "${namespace}" (no StatefulSet ${stsRef.name})`);
      const from = spreadOfTemplate(sts.metadata?.annotations, sts.spec?.template?.spec as never);
      const to = (await chooseSpread(kube, choice, members)).spread;
      if (apply && formatSpread(from) !== formatSpread(to)) await kube.mergePatch(stsRef, spreadPatch(to, selectorLabels(name)));
      return {from, to};
    },
  };
}

/**
 * ScaleMembers over the Kubernetes API: the ConfigMap NAME-config (keys
 * zoo.cfg.dynamic and membership-version, read by start.sh), the StatefulSet's
 * spec.replicas, the PersistentVolumeClaims data-NAME-<i>, and port-forwards.
 */
export function kubeScaleMembers(o: KubeMembersOptions): ScaleMembers {
  const {kube, namespace, name} = o;
  const names = objectNames(name);
  const stsRef = {apiVersion: 'apps/v1', kind: 'StatefulSet', namespace, name: names.statefulSet};
  const cmRef = {apiVersion: 'v1', kind: 'ConfigMap', namespace, name: names.configMap};
  const pvcRef = (ordinal: number) => ({apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace, name: `data-${podName(name, ordinal)}`});
  const podRef = (ordinal: number) => ({apiVersion: 'v1', kind: 'Pod', namespace, name: podName(name, ordinal)});

  const replicas = async (): Promise<number> => {
    const sts = await kube.get<StatefulSetObject>(stsRef);
    if (!sts) throw new CliError(`ensemble "${name}" not found in namespace "${namespace}" (no StatefulSet ${names.statefulSet})`, {hint: `list ensembles with: kubectl zk list -n ${namespace}`});
    return sts.spec?.replicas ?? 0;
  };
  const writeMembership = async (dynamic: string, version: string | undefined) => {
    await kube.mergePatch(cmRef, {data: {[DYNAMIC_KEY]: dynamic, [MEMBERSHIP_VERSION_KEY]: version ?? ''}});
  };
  const until = waitStep(o, o.pollMs ?? 1000);
  return {
    replicas,
    refuseBusy: () => refuseDuringTlsEnableOf(kube, {name, namespace, why: "its phases change the members' settings and membership, which a member added or removed now would not follow"}),
    ...spreadMembers(kube, stsRef, {name, namespace}),
    async endpoints(ordinals) {
      const got = await Promise.allSettled(ordinals.map((i) => o.endpoint(namespace, podName(name, i))));
      return got.flatMap((g) => (g.status === 'fulfilled' ? [{host: g.value.host, port: g.value.port}] : []));
    },
    async publish(committed) {
      await writeMembership(membershipText(committed.config.servers), committed.version);
    },
    async launch(ordinal, role, committed, ctx) {
      const line = memberLine(name, namespace, ordinal, role, committed);
      await joinerCertificate(kube, {namespace, name, ordinal, committed, now: new Date(o.clock.now())}, ctx);
      ctx.phase("write the joiner's membership to the ConfigMap");
      await writeMembership(joinerMembership(committed.config, line), committed.version);
      const current = await replicas();
      let volume: VolumeFate = 'fresh';
      if (current <= ordinal) {
        const claim = await kube.get(pvcRef(ordinal));
        if (claim && !o.keepVolumes) {
          ctx.phase(`delete the stale volume ${pvcRef(ordinal).name}`);
          await kube.delete(pvcRef(ordinal));
          await until(`${pvcRef(ordinal).name} to go`, ctx, async () => ((await kube.get(pvcRef(ordinal))) ? 'volume claim still there' : null));
          volume = 'deleted-stale';
        } else if (claim) volume = 'reused';
        ctx.phase(`StatefulSet replicas ${current} → ${ordinal + 1}`);
        await kube.mergePatch(stsRef, {spec: {replicas: ordinal + 1}});
      } else {
        volume = (await kube.get(pvcRef(ordinal))) ? 'reused' : 'fresh';
      }
      ctx.phase(`wait for pod ${podName(name, ordinal)} to run`);
      await until(`${podName(name, ordinal)} to run`, ctx, () => podStartState(kube, podRef(ordinal), namespace));
      return {serverLine: line, volume};
    },
    async rebuild(ordinal, role, committed, ctx) {
      const line = memberLine(name, namespace, ordinal, role, committed);
      ctx.phase("write the joiner's membership to the ConfigMap");
      await writeMembership(joinerMembership(committed.config, line), committed.version);
      const oldPod = await kube.get<PodLike>(podRef(ordinal));
      const oldClaim = await kube.get(pvcRef(ordinal));
      ctx.phase(`delete the volume claim ${pvcRef(ordinal).name} and pod ${podName(name, ordinal)}`);
      if (oldClaim) await kube.delete(pvcRef(ordinal));
      if (oldPod) await kube.delete(podRef(ordinal));
      ctx.phase(`wait for pod ${podName(name, ordinal)} to run on a new volume`);
      const fresh = freshStart(kube, o.clock, podRef(ordinal), pvcRef(ordinal), oldPod?.metadata.uid, oldClaim?.metadata.uid);
      await until(`${podName(name, ordinal)} to run on a new volume`, ctx, async () => (await fresh()) ?? podStartState(kube, podRef(ordinal), namespace));
      return {serverLine: line, volume: oldClaim ? 'deleted-stale' : 'fresh'};
    },
    async retire(ordinal, ctx) {
      const current = await replicas();
      if (current > ordinal) {
        ctx.phase(`StatefulSet replicas ${current} → ${ordinal}`);
        await kube.mergePatch(stsRef, {spec: {replicas: ordinal}});
      }
      ctx.phase(`wait for pod ${podName(name, ordinal)} to go`);
      await until(`${podName(name, ordinal)} to go`, ctx, async () => ((await kube.get(podRef(ordinal))) ? 'still terminating' : null));
      if (o.keepVolumes) return {volume: (await kube.get(pvcRef(ordinal))) ? 'kept' : 'none'};
      ctx.phase(`delete the volume ${pvcRef(ordinal).name}`);
      return {volume: (await kube.delete(pvcRef(ordinal))) ? 'deleted' : 'none'};
    },
  };
}

/** How long past its grace period a deleted pod may stay Terminating before it is taken to be on a lost node (its kubelet never confirms). */
export const LOST_NODE_GRACE_MS = 30_000;

/**
 * One look at a member being rebuilt: why its new pod is not there yet, or
 * null once a pod other than the old one exists with a claim other than the
 * old one. The old claim goes once no scheduled pod uses it; the StatefulSet
 * controller makes a claim for its pending pod then. An old pod that stays
 * Terminating past its grace period (its node is lost: no kubelet confirms) is
 * deleted without grace: safe, as the member is out of the membership.
 */
export function freshStart(kube: Kube, clock: Clock, pod: ObjectRef, claim: ObjectRef, oldPodUid?: string, oldClaimUid?: string) {
  const since = clock.now();
  let forced = false;
  return async (): Promise<string | null> => {
    const [p, c] = await Promise.all([kube.get<PodLike>(pod), kube.get(claim)]);
    if (p && oldPodUid !== undefined && p.metadata.uid === oldPodUid) {
      const graceMs = (p.spec?.terminationGracePeriodSeconds ?? 30) * 1000 + LOST_NODE_GRACE_MS;
      if (!forced && clock.now() - since >= graceMs) {
        forced = true;
        await kube.delete(pod, {gracePeriodSeconds: 0});
        return `the old pod did not terminate within its grace period and ${LOST_NODE_GRACE_MS / 1000}s more (its node lost?): deleted without grace`;
      }
      return 'the old pod is terminating';
    }
    if (c && oldClaimUid !== undefined && c.metadata.uid === oldClaimUid) return 'the old volume claim is still being deleted';
    if (!p) return 'no pod yet';
    if (!c) return 'no volume claim yet (the StatefulSet makes it for its pending pod)';
    return null;
  };
}

/** A wait of one scale step: `check` says why not yet (null: done), until the step's deadline. */
export function waitStep(o: Pick<KubeMembersOptions, 'clock' | 'sleep' | 'signal' | 'namespace'>, pollMs: number) {
  return (what: string, ctx: StepContext, check: () => Promise<string | null>) =>
    poll(
      async () => {
        const why = await check();
        return why === null ? {ok: undefined} : {why};
      },
      {
        clock: o.clock,
        sleep: o.sleep,
        signal: o.signal,
        intervalMs: pollMs,
        deadline: ctx.deadline,
        onWhy: (why) => ctx.note(why),
        onTimeout: (why) => new CliError(`timed out waiting for ${what} (${why})`, {hint: `inspect with: kubectl describe pod ${what.split(' ')[0]} -n ${o.namespace}`}),
      },
    );
}

/** null once the pod runs; else why not yet. Throws when it cannot start (a fatal waiting reason). */
export async function podStartState(kube: Kube, ref: ObjectRef, namespace: string): Promise<string | null> {
  const pod = await kube.get<PodLike>(ref);
  if (!pod) return 'no pod yet';
  const problem = podProblem(pod);
  if (problem?.fatal) {
    throw new CliError(`${pod.metadata.name} cannot start: ${problem.reason}${problem.message ? ` (${problem.message})` : ''}`, {
      hint: `inspect with: kubectl describe pod ${pod.metadata.name} -n ${namespace}`,
    });
  }
  if (isRunning(pod)) return null;
  return problem ? `${problem.reason}${problem.message ? `: ${problem.message}` : ''}` : 'starting';
}
