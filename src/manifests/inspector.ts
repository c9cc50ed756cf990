import type {KubeObject} from '../kube/types.js';
import type {Assets} from './assets.js';
import {LABEL, MANAGER} from './labels.js';
import type {EnsembleOptions} from './options.js';

/** Label on the short-lived pods that read kept volumes (never the ensemble's labels: no Service or PDB selects them). */
export const INSPECT_LABEL = 'kubectl-zk.io/inspect';

/**
 * A pod that mounts one kept PVC read-only at /data and prints what it holds
 * (manifests/scripts/inspect.sh), with the ensemble's image and the members'
 * security settings. Pure.
 */
export function renderInspector(o: Pick<EnsembleOptions, 'name' | 'namespace' | 'image' | 'imagePullPolicy'>, claim: string, assets: Pick<Assets, 'scripts/inspect.sh'>): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {name: `${claim}-inspect`.slice(0, 63), namespace: o.namespace, labels: {[LABEL.managedBy]: MANAGER, [INSPECT_LABEL]: o.name}},
    spec: {
      restartPolicy: 'Never',
      automountServiceAccountToken: false,
      terminationGracePeriodSeconds: 0,
      securityContext: {runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, seccompProfile: {type: 'RuntimeDefault'}},
      containers: [
        {
          name: 'inspect',
          image: o.image,
          ...(o.imagePullPolicy ? {imagePullPolicy: o.imagePullPolicy} : {}),
          command: ['bash', '-c', assets['scripts/inspect.sh']],
          resources: {requests: {cpu: '10m', memory: '16Mi'}, limits: {memory: '64Mi'}},
          securityContext: {allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: {drop: ['ALL']}},
          volumeMounts: [{name: 'data', mountPath: '/data', readOnly: true}],
        },
      ],
      volumes: [{name: 'data', persistentVolumeClaim: {claimName: claim, readOnly: true}}],
    },
  } as KubeObject;
}

/** What one kept volume holds. */
export interface KeptVolume {
  claim: string;
  ordinal: number;
  myid?: number;
  /** the membership file ZooKeeper last wrote (zoo.cfg.dynamic.<version>) and its server lines */
  configFile?: string;
  servers: string[];
  currentEpoch?: number;
  newestZxid?: string;
}

export function parseInspection(claim: string, text: string): KeptVolume {
  if (!/^end=ok$/m.test(text)) throw new Error(`the inspection of ${claim} printed no end marker: ${text.trim().slice(-200) || '(nothing)'}`);
  const one = (k: string) => new RegExp(`^${k}=(.*)$`, 'm').exec(text)?.[1]?.trim() || undefined;
  const myid = one('myid');
  const epoch = one('current_epoch');
  return {
    claim,
    ordinal: Number(/-(\d+)$/.exec(claim)?.[1] ?? -1),
    myid: myid !== undefined && /^\d+$/.test(myid) ? Number(myid) : undefined,
    configFile: one('dynamic_file'),
    servers: [...text.matchAll(/^server=(.*)$/gm)].map((m) => m[1]!.trim()),
    currentEpoch: epoch !== undefined && /^\d+$/.test(epoch) ? Number(epoch) : undefined,
    newestZxid: one('newest_zxid') ? `0x${one('newest_zxid')}` : undefined,
  };
}

/** One line for a volume: what it holds. */
export function describeKept(v: KeptVolume): string {
  if (v.myid === undefined && v.servers.length === 0 && !v.newestZxid) return `${v.claim}: empty`;
  const voters = v.servers
    .filter((s) => !/:observer(;|$)/.test(s))
    .map((s) => /^server\.(\d+)=/.exec(s)?.[1])
    .join(',');
  const version = v.configFile?.split('.dynamic.')[1];
  return `${v.claim}: myid ${v.myid ?? '-'}, config ${version ? `version ${version}` : (v.configFile ?? 'none')} with voters ${voters || '-'}, epoch ${v.currentEpoch ?? '-'}, newest zxid ${v.newestZxid ?? '-'}`;
}

/**
 * Why a kept volume cannot be a member of the ensemble create would make:
 * another myid, an ordinal beyond --replicas, or a membership other than
 * servers 1..replicas as participants on the rendered hosts. Empty = it fits.
 */
export function keptMismatch(v: KeptVolume, expectedLines: readonly string[], replicas: number): string | undefined {
  if (v.ordinal >= replicas) return `ordinal ${v.ordinal} is beyond --replicas ${replicas}`;
  if (v.myid !== undefined && v.myid !== v.ordinal + 1) return `myid ${v.myid}, but member ${v.ordinal + 1} would use it`;
  if (v.servers.length === 0) return undefined;
  const norm = (s: string) => s.replace(/;(0\.0\.0\.0:)?(\d+)$/, ';$2');
  const have = [...v.servers].map(norm).sort();
  const want = [...expectedLines].map(norm).sort();
  if (have.join('\n') !== want.join('\n')) return `its membership (${have.length} servers) differs from the ${replicas} members create would make`;
  return undefined;
}
