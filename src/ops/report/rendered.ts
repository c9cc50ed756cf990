/**
 * What this version of kubectl-zk would apply for an ensemble with the live
 * one's settings (pure): create's flags read back from the live objects, then
 * create's own renderer. A report keeps it beside the live objects, so drift
 * (a hand edit, an older plugin's manifests) shows in a diff.
 */
import {formatSpread, PREFERRED_SPREAD, spreadOfTemplate, type Spread} from '../../manifests/spread.js';
import type {KubeObject, StatefulSetObject} from '../../kube/types.js';
import type {Assets} from '../../manifests/assets.js';
import {describeClientPeers, parseClientSources} from '../../manifests/network.js';
import {PORTS} from '../../manifests/names.js';
import {validateEnsembleOptions, type EnsembleFlags} from '../../manifests/options.js';
import {renderEnsemble} from '../../manifests/render.js';
import {zooCfgValues} from '../../manifests/security.js';
import {HEAP_ENV, ZK_CONTAINER} from '../roll/template.js';

/** A placeholder: the rendered Secret is redacted anyway, and the real password is never read into a report. */
const PLACEHOLDER_PASSWORD = 'not-the-real-password';

export interface LiveSettings {
  sts: StatefulSetObject;
  /** the ConfigMap's data */
  config?: Record<string, string>;
  policy?: KubeObject | null;
}

function intOf(v: string | undefined): number | undefined {
  return v !== undefined && /^\d+$/.test(v) ? Number(v) : undefined;
}

/** create's flags as the live objects have them; what cannot be read is left to create's defaults. */
export function liveFlags(name: string, namespace: string, live: LiveSettings): EnsembleFlags {
  const pod = live.sts.spec?.template?.spec;
  const c = pod?.containers?.find((x) => x.name === ZK_CONTAINER);
  const claim = live.sts.spec?.volumeClaimTemplates?.find((v) => v.metadata?.name === 'data');
  const cfg = zooCfgValues(live.config?.['zoo.cfg'] ?? '');
  const domain = /\.svc\.([a-z0-9.-]+?):\d+:\d+/.exec(live.config?.['zoo.cfg.dynamic'] ?? '')?.[1];
  const sources = live.policy ? describeClientPeers(live.policy as never, [PORTS.client, PORTS.secureClient]) : undefined;
  const heap = c?.env?.find((e) => e.name === HEAP_ENV)?.value;
  return {
    name,
    namespace,
    replicas: live.sts.spec?.replicas,
    image: c?.image,
    imagePullPolicy: c?.imagePullPolicy,
    ephemeral: claim === undefined,
    storage: claim?.spec?.resources?.requests?.['storage'] as string | undefined,
    storageClass: claim?.spec?.storageClassName,
    cpu: c?.resources?.requests?.['cpu'] as string | undefined,
    memory: (c?.resources?.limits?.['memory'] ?? c?.resources?.requests?.['memory']) as string | undefined,
    heap: intOf(heap) !== undefined ? `${heap}m` : undefined,
    clusterDomain: domain,
    tickTime: intOf(cfg.get('tickTime')),
    initLimit: intOf(cfg.get('initLimit')),
    syncLimit: intOf(cfg.get('syncLimit')),
    allowClientsFrom: sources,
    spread: spreadFlag(spreadOfTemplate(live.sts.metadata?.annotations, pod as never)),
  };
}

/** The spreading as a flag: absent when it is what the renderer does without one. */
function spreadFlag(s: Spread): Spread | undefined {
  return formatSpread(s) === formatSpread(PREFERRED_SPREAD) ? undefined : s;
}

/** The objects create would apply for these settings (the Secret holds a placeholder, and is redacted by the caller). */
export function renderedFor(name: string, namespace: string, live: LiveSettings, assets: Assets): {flags: EnsembleFlags; objects: KubeObject[]} {
  const flags = liveFlags(name, namespace, live);
  if (flags.allowClientsFrom) parseClientSources(flags.allowClientsFrom); // a hand-edited policy: the caller records the error
  const {options} = validateEnsembleOptions(flags);
  return {flags, objects: renderEnsemble(options, {superPassword: PLACEHOLDER_PASSWORD}, assets)};
}
