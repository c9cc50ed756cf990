/** restore-quorum's members over the Kubernetes API: the ConfigMap's recorded membership and reset marker, members' logs, pods and volume claims. */
import {CliError} from '../../errors.js';
import type {Kube, ObjectRef} from '../../kube/types.js';
import {objectNames, podName} from '../../manifests/names.js';
import type {Clock, Sleep} from '../../util/time.js';
import {parseDynamicConfig} from '../../zk/parse.js';
import {isRunning, type PodLike} from '../pods.js';
import type {QuorumMembers} from '../restore-quorum.js';
import {DYNAMIC_KEY, freshStart, MEMBERSHIP_VERSION_KEY, podStartState, waitStep} from '../scale/kube.js';
import {electionZxid} from './plan.js';

/** ConfigMap key start.sh reads: "<server id> <token>" names the member that restarts as the only voter. */
export const MEMBERSHIP_RESET_KEY = 'membership-reset';
/** log lines read for a member's last election */
const LOG_LINES = 20_000;

export function kubeQuorumMembers(o: {kube: Kube; namespace: string; name: string; clock: Clock; sleep: Sleep; signal?: AbortSignal; token: string; pollMs?: number}): QuorumMembers {
  const {kube, namespace, name} = o;
  const cmRef: ObjectRef = {apiVersion: 'v1', kind: 'ConfigMap', namespace, name: objectNames(name).configMap};
  const podRef = (ordinal: number): ObjectRef => ({apiVersion: 'v1', kind: 'Pod', namespace, name: podName(name, ordinal)});
  const pvcRef = (ordinal: number): ObjectRef => ({apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace, name: `data-${podName(name, ordinal)}`});
  const until = waitStep(o, o.pollMs ?? 1000);
  return {
    async recorded() {
      const cm = await kube.get<{apiVersion: string; kind: string; metadata: {name: string}; data?: Record<string, string>}>(cmRef);
      const text = cm?.data?.[DYNAMIC_KEY];
      if (!text) throw new CliError(`ConfigMap ${cmRef.name} in namespace "${namespace}" has no recorded membership (${DYNAMIC_KEY})`, {hint: 'was this ensemble made by kubectl zk create?'});
      const version = cm.data?.[MEMBERSHIP_VERSION_KEY]?.trim().replace(/^0x/, '');
      return {config: parseDynamicConfig(text), version: version || undefined};
    },
    async lastZxid(ordinal) {
      const pod = await kube.get<PodLike>(podRef(ordinal));
      if (!pod) return {why: 'no pod'};
      if (!isRunning(pod)) return {why: `pod ${pod.status?.phase ?? 'not running'}`};
      const found = electionZxid(await kube.logs(namespace, podName(name, ordinal), {container: 'zookeeper', tailLines: LOG_LINES}));
      if (!found) return {why: 'its log shows no election (ZooKeeper not started, or waiting with an empty disk)'};
      if (found.id !== ordinal + 1) return {why: `its log is server ${found.id}'s, not server ${ordinal + 1}'s`};
      return {zxid: found.zxid};
    },
    async reset(survivor, line, others, ctx) {
      ctx.phase('record the survivor as the only voter in the ConfigMap');
      await kube.mergePatch(cmRef, {data: {[DYNAMIC_KEY]: `${line}\n`, [MEMBERSHIP_VERSION_KEY]: '', [MEMBERSHIP_RESET_KEY]: `${survivor + 1} ${o.token}`}});
      /** A member's pod and claim deleted; done when the StatefulSet has made new ones (empty). */
      const renew = async (ordinal: number) => {
        const [pod, claim] = await Promise.all([kube.get<PodLike>(podRef(ordinal)), kube.get(pvcRef(ordinal))]);
        if (claim) await kube.delete(pvcRef(ordinal));
        if (pod) await kube.delete(podRef(ordinal));
        await until(`${podName(name, ordinal)}'s old pod and volume to go`, ctx, freshStart(kube, o.clock, podRef(ordinal), pvcRef(ordinal), pod?.metadata.uid, claim?.metadata.uid));
      };
      for (const ordinal of others) {
        ctx.phase(`delete ${podName(name, ordinal)} and its volume claim`);
        await renew(ordinal);
      }
      ctx.phase(`restart ${podName(name, survivor)}`);
      const old = await kube.get<PodLike>(podRef(survivor));
      if (old) await kube.delete(podRef(survivor));
      await until(`${podName(name, survivor)} to run again`, ctx, async () => {
        const p = await kube.get<PodLike>(podRef(survivor));
        if (p && old && p.metadata.uid === old.metadata.uid) return 'the old pod is terminating';
        const home = old?.spec?.nodeName;
        // the others' pods are read only when the survivor cannot be placed
        const blocker = p && home && cannotGoHome(p) ? takenHome(home, await Promise.all(others.map(async (ordinal) => ({ordinal, pod: await kube.get<PodLike>(podRef(ordinal))})))) : undefined;
        if (blocker !== undefined) {
          // an other made empty a moment ago (nothing joined yet), placed while the survivor was away
          ctx.note(`${podName(name, blocker)} (new, empty) took ${home}, where ${podName(name, survivor)}'s data is: made again elsewhere`);
          await renew(blocker);
          return `${podName(name, survivor)} to be scheduled`;
        }
        return podStartState(kube, podRef(survivor), namespace);
      });
    },
    async clearReset() {
      await kube.mergePatch(cmRef, {data: {[MEMBERSHIP_RESET_KEY]: null}});
    },
  };
}

/** The survivor's new pod is not placed and the scheduler found no node for it. Pure. */
export function cannotGoHome(survivor: PodLike): boolean {
  if (survivor.spec?.nodeName) return false;
  return survivor.status?.conditions?.some((c) => c.type === 'PodScheduled' && c.status === 'False' && c.reason === 'Unschedulable') ?? false;
}

/**
 * The rebuilt member whose new pod sits on `home` (the node the survivor ran on, where its data
 * is): the scheduler placed it there while the survivor was being restarted. Pure.
 */
export function takenHome(home: string, others: {ordinal: number; pod: PodLike | null | undefined}[]): number | undefined {
  return others.find((o) => o.pod && !o.pod.metadata.deletionTimestamp && o.pod.spec?.nodeName === home)?.ordinal;
}
