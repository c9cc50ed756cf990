/**
 * `kubectl zk tls enable NAME`: a running plaintext ensemble to TLS without
 * downtime (docs/tls.md, "Moving a plaintext ensemble to TLS"). Phases, each
 * recorded on the ConfigMap (annotation kubectl-zk/tls-enable) once reached,
 * so a second run resumes after the last one:
 *
 * 1. certificates: the Secrets create --tls makes (a CA kept from an earlier,
 *    interrupted run), the rolls' settings into the ConfigMap, the Services
 *    and the NetworkPolicy carry the secure client port next to the plain one;
 * 2. quorum-unified: roll 1 (manifests/tls-enable.ts);
 * 3. quorum-tls: roll 2;
 * 4. clients-tls: every member's plain client port moves to the pod's
 *    loopback (one reconfig; each member rebinds it at once), the Services and
 *    the NetworkPolicy carry the secure port only;
 * 5. done: roll 3, the members run create --tls's settings.
 *
 * Each roll is restart's roll (ops/roll.ts) with the phase's template patch.
 */
import {AbortedError, CliError, UsageError} from '../../errors.js';
import type {Kube, KubeObject, ObjectRef, SecretObject, StatefulSetObject} from '../../kube/types.js';
import {LABEL, MANAGER, ownerAnnotations, ensembleLabels} from '../../manifests/labels.js';
import {objectNames, podName, PORTS} from '../../manifests/names.js';
import {checkTlsImage} from '../../manifests/options.js';
import {tlsEnableConfigKey, tlsEnableStatic, type TlsEnablePhase, type TlsRoll} from '../../manifests/tls-enable.js';
import {renderTlsSecrets} from '../../manifests/tls.js';
import {CA_KEY, makeEnsembleTls} from '../../tls/ensemble.js';
import {formatDuration} from '../../util/duration.js';
import {poll} from '../../util/poll.js';
import type {Progress, ProgressStep} from '../../util/progress.js';
import type {Clock, Sleep} from '../../util/time.js';
import type {Endpoint} from '../../zk/endpoint.js';
import {formatServerLine} from '../../zk/parse.js';
import {readConfig, reconfigAndConfirm} from '../../zk/reconfig.js';
import {rollPreconditions} from '../roll/plan.js';
import type {RollRequest, RollResult} from '../roll/types.js';
import type {StatusReport} from '../status.js';
import {listMemberPods} from '../wait.js';
import {hasTlsTemplate, templateOf} from '../roll/template.js';
import {clusterDomainOf, DYNAMIC_KEY, MEMBERSHIP_VERSION_KEY, membershipText, readSuperAuth} from '../scale/kube.js';
import {ensureMemberCertificate, readCa} from '../tls.js';
import {phasesAfter, policyRules, recordedPhase, rollPatch, servicePorts, TLS_ENABLE_ANNOTATION} from './enable-template.js';

export interface TlsEnableRequest {
  name: string;
  namespace: string;
  dryRun: boolean;
  /** per member of each roll (restart's --timeout) */
  timeoutMs: number;
  settleMs: number;
}

export interface TlsEnablePhaseStep {
  phase: TlsEnablePhase;
  what: string;
  /** done before this run (resumed after it), done now, or planned (--dry-run) */
  state: 'done-before' | 'done' | 'planned' | 'stopped';
  /** the roll's result, for a roll */
  roll?: {outcome: RollResult['outcome']; members: string[]; durationMs: number; elections: number};
  durationMs?: number;
}

export interface TlsEnableResult {
  name: string;
  namespace: string;
  dryRun: boolean;
  outcome: 'done' | 'planned' | 'stopped';
  exitCode: number;
  /** the phase recorded when the run started (none: plaintext) */
  resumedAfter?: TlsEnablePhase;
  phases: TlsEnablePhaseStep[];
  /** where a roll stopped, and how to resume */
  stopped?: {phase: TlsEnablePhase; reason: string; hint: string};
  durationMs: number;
}

export interface TlsEnableDeps {
  kube: Kube;
  clock: Clock;
  progress: Progress;
  /** restart's roll with a template patch (the command wires runRoll) */
  roll(req: Omit<RollRequest, 'namespace'>): Promise<RollResult>;
  /** a member's client port (MemberForwarders: plain or TLS, as the member's pod has it) */
  endpoint(namespace: string, pod: string): Promise<Endpoint>;
  confirm(question: string): Promise<boolean>;
  /**
   * A status probe opened now (its own port-forwards: each member reached as its pod is now,
   * plain or TLS); closed by the caller.
   */
  openStatus(): {status(): Promise<StatusReport>; close(): Promise<void>};
  sleep: Sleep;
  signal?: AbortSignal;
}

const WHAT: Record<TlsEnablePhase, string> = {
  certificates: "Secrets NAME-tls, NAME-tls-ca, NAME-tls-client (as create --tls); the rolls' settings into the ConfigMap; Services and NetworkPolicy: secure client port 2281 next to 2181",
  'quorum-unified': 'roll 1: key and trust stores mounted, secureClientPort=2281 (Netty) next to 2181, portUnification=true, sslQuorum=false',
  'quorum-tls': 'roll 2: sslQuorum=true (portUnification still true): members dial each other in TLS',
  'clients-tls': "reconfig: every member's plain client port moves to the pod's loopback (plain clients are refused from here on); Services and NetworkPolicy: 2281 only",
  done: "roll 3: portUnification off; the members run create --tls's settings",
};
const ROLLS: Partial<Record<TlsEnablePhase, TlsRoll>> = {'quorum-unified': 'quorum-unified', 'quorum-tls': 'quorum-tls', done: 'tls'};

function refs(name: string, namespace: string) {
  const n = objectNames(name);
  const ref = (apiVersion: string, kind: string, x: string): ObjectRef => ({apiVersion, kind, namespace, name: x});
  return {
    sts: ref('apps/v1', 'StatefulSet', n.statefulSet),
    cm: ref('v1', 'ConfigMap', n.configMap),
    services: [ref('v1', 'Service', n.clientService), ref('v1', 'Service', n.headlessService)],
    policy: ref('networking.k8s.io/v1', 'NetworkPolicy', n.networkPolicy),
  };
}

/** Reads the ensemble and refuses what tls enable cannot move: not found, TLS already, an image without TLS support. */
async function readEnsemble(kube: Kube, req: TlsEnableRequest): Promise<{sts: StatefulSetObject; cm: KubeObject & {data?: Record<string, string>}; reached?: TlsEnablePhase}> {
  const r = refs(req.name, req.namespace);
  const [sts, cm] = await Promise.all([kube.get<StatefulSetObject>(r.sts), kube.get<KubeObject & {data?: Record<string, string>}>(r.cm)]);
  if (!sts || sts.metadata.labels?.[LABEL.managedBy] !== MANAGER || !cm)
    throw new CliError(`ensemble "${req.name}" not found in namespace "${req.namespace}"`, {hint: `list ensembles with: kubectl zk list -n ${req.namespace}`});
  const reached = recordedPhase(cm);
  if (reached === 'done' || (reached === undefined && hasTlsTemplate(sts)))
    throw new CliError(`ensemble "${req.name}" in namespace "${req.namespace}" already has TLS: nothing to do`, {
      hint: `kubectl zk status ${req.name} -n ${req.namespace} shows what each member accepts`,
    });
  const image = templateOf(sts).image ?? '';
  try {
    checkTlsImage(image, []);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    throw new UsageError(
      `tls enable needs ZooKeeper 3.9.0 or newer; ensemble "${req.name}" runs ${image}`,
      `upgrade it first: kubectl zk upgrade ${req.name} -n ${req.namespace} --image zookeeper:3.9.5`,
    );
  }
  return {sts, cm, reached};
}

export async function tlsEnable(req: TlsEnableRequest, deps: TlsEnableDeps): Promise<TlsEnableResult> {
  const started = deps.clock.now();
  const {sts, reached} = await readEnsemble(deps.kube, req);
  const todo = phasesAfter(reached);
  const result: TlsEnableResult = {
    name: req.name,
    namespace: req.namespace,
    dryRun: req.dryRun,
    outcome: req.dryRun ? 'planned' : 'done',
    exitCode: 0,
    ...(reached ? {resumedAfter: reached} : {}),
    phases: phasesAfter(undefined).map((phase) => ({phase, what: WHAT[phase].replace(/NAME/g, req.name), state: todo.includes(phase) ? 'planned' : 'done-before'})),
    durationMs: 0,
  };
  if (req.dryRun) return {...result, durationMs: deps.clock.now() - started};
  const order = todo.map((p) => p).join(' → ');
  if (!(await deps.confirm(`Move ensemble "${req.name}" in namespace "${req.namespace}" to TLS (${order}; three rolls, each member evicted once per roll, the leader last)?`)))
    throw new AbortedError('tls enable cancelled; nothing was changed');
  for (const phase of todo) {
    const step = result.phases.find((p) => p.phase === phase)!;
    const t0 = deps.clock.now();
    const stop = await runPhase(phase, req, deps, sts, step);
    step.durationMs = deps.clock.now() - t0;
    if (stop) {
      step.state = 'stopped';
      result.outcome = 'stopped';
      result.exitCode = 4;
      result.stopped = {phase, reason: stop.reason, hint: `${stop.hint}; then run kubectl zk tls enable ${req.name} -n ${req.namespace} again: it resumes at ${phase}`};
      break;
    }
    step.state = 'done';
    await record(deps.kube, req, phase);
    if (phase === 'done') await dropRollSettings(deps.kube, req);
  }
  result.durationMs = deps.clock.now() - started;
  return result;
}

async function record(kube: Kube, req: TlsEnableRequest, phase: TlsEnablePhase): Promise<void> {
  await kube.mergePatch(refs(req.name, req.namespace).cm, {metadata: {annotations: {[TLS_ENABLE_ANNOTATION]: phase}}});
}

/** One phase; a roll that stops returns why (the rest is left for the next run). */
async function runPhase(phase: TlsEnablePhase, req: TlsEnableRequest, deps: TlsEnableDeps, sts: StatefulSetObject, step: TlsEnablePhaseStep): Promise<{reason: string; hint: string} | undefined> {
  if (phase === 'certificates') await certificates(req, deps, sts);
  else if (phase === 'clients-tls') await clientsTls(req, deps);
  if (phase === 'done') await finalSettings(req, deps);
  const roll = ROLLS[phase];
  if (!roll) return undefined;
  await readyForRoll(req, deps, phase);
  const r = await deps.roll({
    name: req.name,
    action: 'restart',
    force: false,
    dryRun: false,
    timeoutMs: req.timeoutMs,
    settleMs: req.settleMs,
    template: {patch: (s) => rollPatch(s, roll, req.name), changes: [`tls enable: ${phase}`], rerun: `kubectl zk tls enable ${req.name} -n ${req.namespace}`},
  });
  step.roll = {outcome: r.outcome, members: r.members.filter((m) => m.outcome === 'done').map((m) => m.pod), durationMs: r.durationMs, elections: r.elections.length};
  if (r.outcome === 'done' || r.outcome === 'nothing-to-do') return undefined;
  return {reason: r.stopped?.reason ?? `the roll ended ${r.outcome}`, hint: r.stopped?.hint ?? 'see kubectl zk status'};
}

/**
 * Before a roll: every member serves and is in sync, asked the way the roll
 * will ask (a probe opened now: TLS to the members that have it). A member
 * just rolled may answer its first TLS questions slowly; restart's roll
 * would refuse at once what this waits out (up to --timeout).
 */
async function readyForRoll(req: TlsEnableRequest, deps: TlsEnableDeps, phase: TlsEnablePhase): Promise<void> {
  const probe = deps.openStatus();
  let ui: ProgressStep | undefined;
  try {
    await poll(
      async () => {
        const [r, pods] = await Promise.all([probe.status(), listMemberPods(deps.kube, req.namespace, req.name)]);
        const problems = rollPreconditions(r, pods);
        if (problems.length === 0) return {ok: undefined};
        ui ??= deps.progress.step(`${phase}: waiting until every member serves and is in sync (TLS where a member has it)`);
        return {why: problems.join('; ')};
      },
      {
        clock: deps.clock,
        sleep: deps.sleep,
        signal: deps.signal,
        intervalMs: 1000,
        timeoutMs: req.timeoutMs,
        onWhy: (why) => ui?.update(why),
        onTimeout: (why) =>
          new CliError(`refusing to start ${phase}: the ensemble is not ready for a roll within ${formatDuration(req.timeoutMs)}: ${why}`, {
            hint: `see kubectl zk status ${req.name} -n ${req.namespace}; run kubectl zk tls enable ${req.name} -n ${req.namespace} again to resume`,
            exitCode: 3,
          }),
      },
    );
    ui?.succeed(`${phase}: every member serves and is in sync`);
  } catch (e) {
    ui?.fail();
    throw e;
  } finally {
    await probe.close();
  }
}

/** Phase 1: the Secrets (a CA from an earlier run is kept), the rolls' settings, the Services and the NetworkPolicy with both client ports. */
async function certificates(req: TlsEnableRequest, deps: TlsEnableDeps, sts: StatefulSetObject): Promise<void> {
  const {kube} = deps;
  const ui = deps.progress.step('certificates: the Secrets as create --tls makes them');
  const r = refs(req.name, req.namespace);
  const names = objectNames(req.name);
  const now = new Date(deps.clock.now());
  const committed = await readConfig(await memberEndpoints(req, deps, sts), {connectTimeoutMs: 5000});
  const clusterDomain = clusterDomainOf(committed.config, req.name, req.namespace);
  const caSecret = await kube.get<SecretObject>({...r.cm, kind: 'Secret', name: names.tlsCaSecret});
  const meta = {namespace: req.namespace, labels: ensembleLabels(req.name, templateOf(sts).image ?? ''), annotations: ownerAnnotations(req.name)};
  if (!caSecret) {
    const replicas = Math.max(sts.spec?.replicas ?? 0, ...committed.config.servers.map((s) => s.id));
    const tls = makeEnsembleTls({name: req.name, namespace: req.namespace, clusterDomain, replicas}, now);
    for (const s of renderTlsSecrets(req.name, tls, meta)) if (!(await kube.get({...r.cm, kind: 'Secret', name: s.metadata.name}))) await kube.create(s);
  } else {
    // an earlier run made the CA: the member certificates it lacks are issued by it
    const ca = await readCa(kube, req.namespace, req.name);
    if (!(await kube.get({...r.cm, kind: 'Secret', name: names.tlsSecret})))
      await kube.create({apiVersion: 'v1', kind: 'Secret', metadata: {name: names.tlsSecret, ...meta}, type: 'Opaque', stringData: {[CA_KEY]: ca.certPem}} as KubeObject);
    for (const s of committed.config.servers) await ensureMemberCertificate(kube, {namespace: req.namespace, name: req.name, clusterDomain, ordinal: s.id - 1, now});
    if (!(await kube.get({...r.cm, kind: 'Secret', name: names.tlsClientSecret})))
      throw new CliError(`Secret ${names.tlsClientSecret} is missing while ${names.tlsCaSecret} exists`, {hint: `delete ${names.tlsCaSecret} and run again`});
  }
  const cm = (await kube.get<KubeObject & {data?: Record<string, string>}>(r.cm))!;
  const plain = cm.data?.['zoo.cfg'] ?? '';
  const rollCfg = (roll: 'quorum-unified' | 'quorum-tls') => tlsEnableStatic(plain, roll, '/tls/ca.crt');
  await kube.mergePatch(r.cm, {data: {[tlsEnableConfigKey('quorum-unified')]: rollCfg('quorum-unified'), [tlsEnableConfigKey('quorum-tls')]: rollCfg('quorum-tls')}});
  await clientPorts(req, deps, 'both');
  ui.succeed(`certificates: Secrets ${names.tlsSecret}, ${names.tlsCaSecret}, ${names.tlsClientSecret}; Services and NetworkPolicy on 2181 and 2281`);
}

async function memberEndpoints(req: TlsEnableRequest, deps: TlsEnableDeps, sts: StatefulSetObject): Promise<Endpoint[]> {
  const pods = Array.from({length: sts.spec?.replicas ?? 0}, (_, i) => podName(req.name, i));
  const got = await Promise.allSettled(pods.map((p) => deps.endpoint(req.namespace, p)));
  return got.flatMap((g) => (g.status === 'fulfilled' ? [g.value] : []));
}

/** The Services and the NetworkPolicy: both client ports, or the secure one only. */
async function clientPorts(req: TlsEnableRequest, deps: TlsEnableDeps, clients: 'both' | 'tls'): Promise<void> {
  const r = refs(req.name, req.namespace);
  for (const ref of r.services) {
    const svc = await deps.kube.get<KubeObject & {spec?: {ports?: {name?: string; port: number}[]}}>(ref);
    if (svc?.spec?.ports) await deps.kube.mergePatch(ref, {spec: {ports: servicePorts(svc.spec.ports, clients)}});
  }
  const policy = await deps.kube.get<KubeObject & {spec?: {ingress?: {ports?: {port: number}[]}[]}}>(r.policy);
  if (policy?.spec?.ingress) await deps.kube.mergePatch(r.policy, {spec: {ingress: policyRules(policy.spec.ingress, clients)}});
}

/** Phase 4: the plain client port of every member to the pod's loopback (one reconfig), the ConfigMap's membership with it, then the Services and the policy. */
async function clientsTls(req: TlsEnableRequest, deps: TlsEnableDeps): Promise<void> {
  const ui = deps.progress.step("clients-tls: every member's plain client port to its loopback (reconfig)");
  const sts = (await deps.kube.get<StatefulSetObject>(refs(req.name, req.namespace).sts))!;
  const endpoints = await memberEndpoints(req, deps, sts);
  const committed = await readConfig(endpoints, {connectTimeoutMs: 5000});
  const moved = committed.config.servers.filter((s) => s.clientAddress !== '127.0.0.1').map((s) => formatServerLine({...s, clientAddress: '127.0.0.1', clientPort: s.clientPort ?? PORTS.client}));
  let config = committed;
  if (moved.length > 0) {
    const auth = await readSuperAuth(deps.kube, req.namespace, req.name);
    config = (await reconfigAndConfirm(endpoints, {add: moved, auth}, {connectTimeoutMs: 5000})).config;
  }
  await deps.kube.mergePatch(refs(req.name, req.namespace).cm, {data: {[DYNAMIC_KEY]: membershipText(config.config.servers), [MEMBERSHIP_VERSION_KEY]: config.version ?? ''}});
  await clientPorts(req, deps, 'tls');
  ui.succeed(`clients-tls: ${moved.length} member(s) moved their plain client port to loopback (config ${config.version ?? '?'}); Services and NetworkPolicy on 2281 only`);
}

/** Before roll 3: the ConfigMap's zoo.cfg becomes create --tls's (the rolls' keys go once the ensemble is done). */
async function finalSettings(req: TlsEnableRequest, deps: TlsEnableDeps): Promise<void> {
  const ref = refs(req.name, req.namespace).cm;
  const cm = (await deps.kube.get<KubeObject & {data?: Record<string, string>}>(ref))!;
  const plain = cm.data?.['zoo.cfg'] ?? '';
  if (!/^sslQuorum=true$/m.test(plain)) await deps.kube.mergePatch(ref, {data: {'zoo.cfg': tlsEnableStatic(plain, 'tls', '/tls/ca.crt')}});
}

/** After roll 3: the rolls' settings leave the ConfigMap. */
async function dropRollSettings(kube: Kube, req: Pick<TlsEnableRequest, 'name' | 'namespace'>): Promise<void> {
  await kube.mergePatch(refs(req.name, req.namespace).cm, {data: {[tlsEnableConfigKey('quorum-unified')]: null, [tlsEnableConfigKey('quorum-tls')]: null}});
}
