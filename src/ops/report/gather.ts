/**
 * `kubectl zk report`: everything a bug report needs about one ensemble,
 * gathered into files (path → text) under one root directory. Partial
 * failures are files too (errors.txt), never a stop: a report is most
 * needed when things are broken. Nothing secret goes in: Secrets are
 * redacted, the AdminServer commands asked show no system properties, and
 * every file is scrubbed for the values the ensemble's Secret holds.
 */
import type {CoreV1Event, V1Node, V1PersistentVolumeClaim, V1Pod} from '@kubernetes/client-node';
import {stringify} from 'yaml';
import {CliError, errorMessage} from '../../errors.js';
import type {Kube, KubeObject, StatefulSetObject} from '../../kube/types.js';
import type {Assets} from '../../manifests/assets.js';
import {objectNames} from '../../manifests/names.js';
import type {Clock} from '../../util/time.js';
import type {TarEntry} from '../../util/tar.js';
import {REPORT_ADMIN_COMMANDS, adminGet} from '../../zk/admin.js';
import type {Endpoint} from '../../zk/endpoint.js';
import {fourLetterWord} from '../../zk/fourletter.js';
import {srvrComplete} from '../../zk/parse.js';
import {readConfig} from '../../zk/reconfig.js';
import type {StatusReport} from '../status.js';
import {podSelector} from '../wait.js';
import {describePod, eventsText, nodesText} from './describe.js';
import {redactObject, scrub, secretStrings} from './redact.js';
import {renderedFor} from './rendered.js';

export interface ReportRequest {
  name: string;
  namespace: string;
  /** log lines per container (and per previous container) */
  tailLines: number;
}

export interface PluginInfo {
  version: unknown;
  /** the report command's own arguments */
  argv: readonly string[];
  context: string;
  server: string;
}

export interface ReportDeps {
  kube: Kube;
  clock: Clock;
  /** a member's client port (2181) */
  endpoint(namespace: string, pod: string): Promise<Endpoint>;
  /** a member's AdminServer (8080, on the pod's loopback) */
  adminEndpoint(namespace: string, pod: string): Promise<Endpoint>;
  /** the status report, as `kubectl zk status -o json` prints it */
  status(name: string, namespace: string): Promise<StatusReport>;
  assets: Assets;
  plugin: PluginInfo;
  timeoutMs: number;
}

export interface ReportContents {
  /** the archive's top directory */
  root: string;
  files: TarEntry[];
  errors: string[];
  /** secret values found and replaced in gathered text */
  redactions: number;
}

/** Collects files and partial failures. */
class Collector {
  readonly files = new Map<string, string>();
  readonly errors: string[] = [];
  add(path: string, text: string): void {
    this.files.set(path, text);
  }
  async attempt<T>(what: string, fn: () => Promise<T>): Promise<T | undefined> {
    try {
      return await fn();
    } catch (err) {
      this.errors.push(`${what}: ${errorMessage(err)}`);
      return undefined;
    }
  }
}

const yaml = (o: unknown): string => stringify(o, {lineWidth: 0});
const fileName = (o: KubeObject): string => `${o.kind.toLowerCase()}-${o.metadata.name}.yaml`;

export function reportRoot(name: string, now: Date): string {
  return `kzk-report-${name}-${now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z')}`;
}

interface Live {
  sts: StatefulSetObject;
  objects: KubeObject[];
  pods: V1Pod[];
  secrets: KubeObject[];
  config?: Record<string, string>;
  policy: KubeObject | null;
}

async function readLive(req: ReportRequest, deps: ReportDeps, c: Collector): Promise<Live> {
  const {kube} = deps;
  const ns = req.namespace;
  const n = objectNames(req.name);
  const get = (apiVersion: string, kind: string, name: string) => c.attempt(`get ${kind} ${name}`, () => kube.get({apiVersion, kind, namespace: ns, name}));
  const sts = await kube.get<StatefulSetObject>({apiVersion: 'apps/v1', kind: 'StatefulSet', namespace: ns, name: n.statefulSet});
  if (!sts) throw new CliError(`ensemble "${req.name}" not found in namespace "${ns}"`, {hint: `list ensembles with: kubectl zk list -n ${ns} (or -A)`});
  const selector = podSelector(req.name);
  const [cm, secret, pdb, policy, client, headless, pods, pvcs] = await Promise.all([
    get('v1', 'ConfigMap', n.configMap),
    get('v1', 'Secret', n.secret),
    get('policy/v1', 'PodDisruptionBudget', n.pdb),
    get('networking.k8s.io/v1', 'NetworkPolicy', n.networkPolicy),
    get('v1', 'Service', n.clientService),
    get('v1', 'Service', n.headlessService),
    c.attempt('list pods', () => kube.list<KubeObject>('v1', 'Pod', {namespace: ns, labelSelector: selector})),
    c.attempt('list PersistentVolumeClaims', () => kube.list<KubeObject>('v1', 'PersistentVolumeClaim', {namespace: ns, labelSelector: selector})),
  ]);
  const volumes = (pvcs ?? []).map((p) => (p as unknown as V1PersistentVolumeClaim).spec?.volumeName).filter((v): v is string => Boolean(v));
  const pvs = await Promise.all(volumes.map((v) => c.attempt(`get PersistentVolume ${v}`, () => kube.get({apiVersion: 'v1', kind: 'PersistentVolume', name: v}))));
  const present = (xs: (KubeObject | null | undefined)[]): KubeObject[] => xs.filter((x): x is KubeObject => Boolean(x));
  return {
    sts,
    objects: present([sts, cm, secret, pdb, policy, client, headless, ...(pods ?? []), ...(pvcs ?? []), ...pvs]),
    pods: (pods ?? []) as unknown as V1Pod[],
    secrets: present([secret]),
    config: cm?.['data'] as Record<string, string> | undefined,
    policy: policy ?? null,
  };
}

function addManifests(req: ReportRequest, deps: ReportDeps, live: Live, c: Collector): void {
  for (const o of live.objects) c.add(`manifests/live/${fileName(o)}`, yaml(redactObject(o)));
  try {
    const {flags, objects} = renderedFor(req.name, req.namespace, {sts: live.sts, config: live.config, policy: live.policy}, deps.assets);
    c.add('manifests/rendered/flags.json', `${JSON.stringify(flags, null, 2)}\n`);
    for (const o of objects) c.add(`manifests/rendered/${fileName(o)}`, yaml(redactObject(o)));
  } catch (err) {
    c.errors.push(`rendering the manifests for the live settings: ${errorMessage(err)}`);
  }
}

async function addEvents(req: ReportRequest, deps: ReportDeps, live: Live, c: Collector): Promise<CoreV1Event[]> {
  const events = await c.attempt('list events', () => deps.kube.list<KubeObject>('v1', 'Event', {namespace: req.namespace}));
  const names = new Set(live.objects.map((o) => `${o.kind}/${o.metadata.name}`));
  const mine = ((events ?? []) as unknown as CoreV1Event[]).filter((e) => names.has(`${e.involvedObject?.kind}/${e.involvedObject?.name}`));
  const when = (e: CoreV1Event) => String(e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp ?? '');
  mine.sort((a, b) => when(a).localeCompare(when(b)));
  c.add('events.txt', eventsText(mine));
  return mine;
}

async function addPod(req: ReportRequest, deps: ReportDeps, pod: V1Pod, events: CoreV1Event[], c: Collector): Promise<void> {
  const name = pod.metadata?.name ?? '?';
  c.add(`pods/${name}/describe.txt`, describePod(pod, events));
  const statuses = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])];
  const containers = [...new Set([...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? []), ...statuses].map((x) => x.name))];
  await Promise.all(
    containers.flatMap((container) => {
      const restarted = (statuses.find((s) => s.name === container)?.restartCount ?? 0) > 0;
      return [false, ...(restarted ? [true] : [])].map(async (previous) => {
        const text = await c.attempt(`logs ${name}/${container}${previous ? ' (previous)' : ''}`, () => deps.kube.logs(req.namespace, name, {container, tailLines: req.tailLines, previous}));
        if (text !== undefined) c.add(`pods/${name}/logs/${container}${previous ? '.previous' : ''}.log`, text);
      });
    }),
  );
}

async function addMember(req: ReportRequest, deps: ReportDeps, pod: string, c: Collector): Promise<void> {
  const timeoutMs = deps.timeoutMs;
  const ep = await c.attempt(`port-forward to ${pod}:2181`, () => deps.endpoint(req.namespace, pod));
  const words = ep
    ? (['srvr', 'mntr', 'conf'] as const).map(async (w) => {
        const text = await c.attempt(`${w} from ${pod}`, () => fourLetterWord(ep, w, w === 'srvr' ? {timeoutMs, complete: srvrComplete} : {timeoutMs, quietMs: 100}));
        if (text !== undefined) c.add(`members/${pod}/${w}.txt`, text);
      })
    : [];
  const admin = await c.attempt(`port-forward to ${pod}:8080`, () => deps.adminEndpoint(req.namespace, pod));
  const commands = admin
    ? REPORT_ADMIN_COMMANDS.map(async (cmd) => {
        const text = await c.attempt(`AdminServer ${cmd} from ${pod}`, () => adminGet(admin, cmd, {timeoutMs}));
        if (text !== undefined) c.add(`members/${pod}/${cmd === 'connections' ? 'cons' : cmd}.json`, text);
      })
    : [];
  await Promise.all([...words, ...commands]);
}

async function addEnsemble(req: ReportRequest, deps: ReportDeps, live: Live, c: Collector): Promise<void> {
  const pods = live.pods.map((p) => p.metadata?.name ?? '').filter(Boolean);
  const endpoints = (await Promise.all(pods.map((p) => deps.endpoint(req.namespace, p).catch(() => undefined)))).filter((e): e is Endpoint => Boolean(e));
  const [config, status, nodes] = await Promise.all([
    endpoints.length === 0 ? undefined : c.attempt('read /zookeeper/config', () => readConfig(endpoints, {timeoutMs: deps.timeoutMs, connectTimeoutMs: deps.timeoutMs})),
    c.attempt('status', () => deps.status(req.name, req.namespace)),
    c.attempt('list nodes', () => deps.kube.list<KubeObject>('v1', 'Node')),
  ]);
  if (config) c.add('zookeeper/config.txt', `${config.raw}${config.raw.endsWith('\n') ? '' : '\n'}`);
  if (status) c.add('status.json', `${JSON.stringify(status, null, 2)}\n`);
  const byNode = new Map<string, string[]>();
  for (const p of live.pods) if (p.spec?.nodeName) byNode.set(p.spec.nodeName, [...(byNode.get(p.spec.nodeName) ?? []), p.metadata?.name ?? '?']);
  if (nodes) c.add('nodes.txt', nodesText(nodes as unknown as V1Node[], byNode));
}

/** Gathers the report's files; the caller packs them. */
export async function gatherReport(req: ReportRequest, deps: ReportDeps): Promise<ReportContents> {
  const now = new Date(deps.clock.now());
  const c = new Collector();
  const live = await readLive(req, deps, c);
  addManifests(req, deps, live, c);
  const events = await addEvents(req, deps, live, c);
  await Promise.all([...live.pods.map((p) => addPod(req, deps, p, events, c)), ...live.pods.map((p) => addMember(req, deps, p.metadata?.name ?? '', c)), addEnsemble(req, deps, live, c)]);
  c.add('plugin.json', `${JSON.stringify({...deps.plugin, time: now.toISOString(), namespace: req.namespace, ensemble: req.name, tailLines: req.tailLines}, null, 2)}\n`);
  if (live.secrets.length === 0) c.errors.push(`Secret ${objectNames(req.name).secret} could not be read: files were not scrubbed for its values`);
  c.add('errors.txt', c.errors.length === 0 ? '(none)\n' : `${c.errors.join('\n')}\n`);
  const secrets = secretStrings(live.secrets);
  let redactions = 0;
  const root = reportRoot(req.name, now);
  const files: TarEntry[] = [...c.files.keys()].sort().map((path) => {
    const clean = scrub(c.files.get(path)!, secrets);
    redactions += clean.replaced;
    return {name: `${root}/${path}`, data: clean.text};
  });
  return {root, files, errors: c.errors.map((e) => scrub(e, secrets).text), redactions};
}
