/**
 * tls enable, pure: the pod template of each roll, the Services and the
 * NetworkPolicy of each phase, and how the phase is read back.
 */
import {CliError} from '../../errors.js';
import type {Kube, KubeObject, StatefulSetObject} from '../../kube/types.js';
import {TLS_ENABLE_ANNOTATION} from '../../manifests/labels.js';
import {objectNames, PORTS} from '../../manifests/names.js';

export {TLS_ENABLE_ANNOTATION};
import {tlsEnableConfigKey, TLS_ENABLE_PHASES, type TlsEnablePhase, type TlsRoll} from '../../manifests/tls-enable.js';
import {tlsJvmFlags} from '../../manifests/tls.js';
import {TLS_MOUNT} from '../../tls/ensemble.js';
import {ZK_CONTAINER} from '../roll/template.js';

/** start.sh reads its static settings from here (default /opt/kubectl-zk/zoo.cfg). */
export const STATIC_TEMPLATE_ENV = 'ZK_STATIC_TEMPLATE';
const SCRIPTS_DIR = '/opt/kubectl-zk';

/** The phase recorded on the ConfigMap (undefined: none, the ensemble was never touched by tls enable). */
export function recordedPhase(cm: KubeObject | null): TlsEnablePhase | undefined {
  const v = cm?.metadata.annotations?.[TLS_ENABLE_ANNOTATION];
  return (TLS_ENABLE_PHASES as readonly string[]).includes(v ?? '') ? (v as TlsEnablePhase) : undefined;
}

/**
 * Refuses (exit 3) a command that must not run while a tls enable is part-way
 * (a phase recorded on the ConfigMap `cm`, not yet done): `why` says what it
 * would work against. One check for secure, scale, member replace, restart
 * and upgrade; tls enable's own rolls do not ask it.
 */
export function refuseDuringTlsEnable(cm: KubeObject | null, o: {name: string; namespace: string; why: string}): void {
  const phase = recordedPhase(cm);
  if (phase === undefined || phase === 'done') return;
  throw new CliError(`a tls enable of "${o.name}" is part-way (its last phase done: ${phase}); ${o.why}`, {
    hint: `finish it first: kubectl zk tls enable ${o.name} -n ${o.namespace}`,
    exitCode: 3,
  });
}

/** refuseDuringTlsEnable, reading the ensemble's ConfigMap. */
export async function refuseDuringTlsEnableOf(kube: Kube, o: {name: string; namespace: string; why: string}): Promise<void> {
  refuseDuringTlsEnable(await kube.get({apiVersion: 'v1', kind: 'ConfigMap', namespace: o.namespace, name: objectNames(o.name).configMap}), o);
}

/** The phases still to do after `reached` (all of them when nothing was recorded). */
export function phasesAfter(reached: TlsEnablePhase | undefined): TlsEnablePhase[] {
  const i = reached === undefined ? -1 : TLS_ENABLE_PHASES.indexOf(reached);
  return TLS_ENABLE_PHASES.slice(i + 1);
}

/** The roll a pod template carries (its annotation), if any. */
export function templateRoll(sts: StatefulSetObject): string | undefined {
  return sts.spec?.template?.metadata?.annotations?.[TLS_ENABLE_ANNOTATION];
}

type Env = {name: string; value?: string; valueFrom?: unknown};
type Port = {name?: string; containerPort: number};

/**
 * The template of a roll, as a merge patch of the zookeeper container (the
 * containers list is replaced whole: the live list with only it changed) and
 * the volumes, or undefined when the template already carries this roll.
 * Roll 1 and 2: NAME-tls mounted, the key store flags, the secure client port
 * next to the plain one, the static settings from the roll's ConfigMap key.
 * Roll 3: create --tls's pod (withTlsPod): the plain port is no container
 * port, the static settings are the ConfigMap's zoo.cfg again.
 */
export function rollPatch(sts: StatefulSetObject, roll: TlsRoll, name: string): Record<string, unknown> | undefined {
  if (templateRoll(sts) === roll) return undefined;
  const pod = sts.spec?.template?.spec;
  const containers = (pod?.containers ?? []).map((c) => {
    if (c.name !== ZK_CONTAINER) return c;
    const env: Env[] = (c.env ?? []).filter((e) => e.name !== STATIC_TEMPLATE_ENV && e.name !== 'SERVER_JVMFLAGS');
    env.push({name: 'SERVER_JVMFLAGS', value: tlsJvmFlags(`${TLS_MOUNT}/$(POD_NAME).pem`)});
    if (roll !== 'tls') env.push({name: STATIC_TEMPLATE_ENV, value: `${SCRIPTS_DIR}/${tlsEnableConfigKey(roll)}`});
    const ports: Port[] = (c.ports ?? []).filter((p) => p.name !== 'secure-client' && (roll !== 'tls' || p.name !== 'client'));
    ports.unshift({name: 'secure-client', containerPort: PORTS.secureClient});
    const mounts = (c.volumeMounts ?? []).filter((m) => m.name !== 'tls');
    mounts.push({name: 'tls', mountPath: TLS_MOUNT, readOnly: true});
    return {...c, env, ports, volumeMounts: mounts};
  });
  const volumes = (pod?.volumes ?? []).filter((v) => v.name !== 'tls');
  volumes.push({name: 'tls', secret: {secretName: objectNames(name).tlsSecret, defaultMode: 0o440}});
  return {
    metadata: {name: sts.metadata.name, namespace: sts.metadata.namespace, resourceVersion: sts.metadata.resourceVersion},
    spec: {template: {metadata: {annotations: {[TLS_ENABLE_ANNOTATION]: roll}}, spec: {containers, volumes}}},
  };
}

type ServicePort = {name?: string; port: number; targetPort?: number | string};

/** A Service's ports in a phase: the secure client port next to the plain one (both), or instead of it (tls). */
export function servicePorts(ports: ServicePort[], clients: 'both' | 'tls'): ServicePort[] {
  const secure = {name: 'secure-client', port: PORTS.secureClient, targetPort: 'secure-client'};
  const rest = ports.filter((p) => p.name !== 'secure-client' && (clients === 'both' || p.name !== 'client'));
  const at = Math.max(
    0,
    ports.findIndex((p) => p.name === 'client'),
  );
  rest.splice(clients === 'both' ? at + 1 : at, 0, secure);
  return rest;
}

type PolicyRule = {ports?: {protocol?: string; port: number}[]; from?: unknown};

/** The NetworkPolicy's client rule in a phase: 2181 and 2281 (both), or 2281 only (tls). Rules without the client port are kept as they are. */
export function policyRules(rules: PolicyRule[], clients: 'both' | 'tls'): PolicyRule[] {
  return rules.map((r) => {
    const ports = r.ports ?? [];
    if (!ports.some((p) => p.port === PORTS.client || p.port === PORTS.secureClient)) return r;
    const others = ports.filter((p) => p.port !== PORTS.client && p.port !== PORTS.secureClient);
    const client = clients === 'both' ? [{protocol: 'TCP', port: PORTS.client}] : [];
    return {...r, ports: [...client, {protocol: 'TCP', port: PORTS.secureClient}, ...others]};
  });
}
