/**
 * `kubectl zk rotate-certs NAME [--ca | --finish]`: new certificates for an
 * ensemble made with --tls, without downtime. Each stage (tls/rotate.ts)
 * writes the ensemble's Secrets, waits until the kubelet has put the new
 * files in every member (the secure client port serves them: Netty builds
 * its TLS context from the files for every new connection; a CA added to the
 * trust store shows only after a restart, since the client port's x509
 * authentication keeps the trust store it read at start), then restarts
 * the members with the roll of restart (leader last, evictions, in sync
 * before the next): the quorum's TLS keeps the key and trust stores it read
 * at start, and ZooKeeper's reload (sslQuorumReloadCertFiles) never sees a
 * Secret volume change (docs/tls.md). Last, it checks what each member
 * serves and accepts.
 */
import {CliError} from '../../errors.js';
import type {Kube, KubeObject, ObjectRef, SecretObject} from '../../kube/types.js';
import {objectNames} from '../../manifests/names.js';
import type {Progress} from '../../util/progress.js';
import type {Clock, Sleep} from '../../util/time.js';
import type {TlsIdentity} from '../../tls/endpoint.js';
import {CA_KEY} from '../../tls/ensemble.js';
import {USER_CA_ANNOTATION} from '../../tls/user-ca.js';
import {caOf} from '../tls.js';
import {CA_ROTATION, fingerprint, memberPods, probeIdentity, rotationStages, type RotateMode, type RotateStage, type TlsSecrets} from '../../tls/rotate.js';
import type {Served} from '../../tls/served.js';
import type {RollResult} from '../roll/types.js';
import {redactObject} from '../report/redact.js';

export const ROTATE_EXIT = {done: 0, failed: 1, refused: 3, stopped: 4} as const;

export interface RotateRequest {
  name: string;
  namespace: string;
  mode: RotateMode;
  dryRun: boolean;
  /** how long to wait for the kubelet to update every member's files before the roll */
  syncTimeoutMs: number;
}

export interface RotateDeps {
  kube: Kube;
  clock: Clock;
  sleep: Sleep;
  progress: Progress;
  confirm(question: string): Promise<boolean>;
  /** restart's roll (leader last); dryRun: only its plan and preconditions */
  roll(dryRun: boolean): Promise<RollResult>;
  /** one TLS connection to a member's secure client port (tls/served.ts) */
  check(pod: string, identity: TlsIdentity): Promise<Served>;
  signal?: AbortSignal;
  pollMs?: number;
}

export interface MemberCheck {
  pod: string;
  /** what it served before the stage and after it */
  before?: string;
  after?: string;
  expected: string;
  /** a client certificate from the CA that must be accepted was (undefined: not checked) */
  accepts?: boolean;
  /** a client certificate from the CA that must be refused was refused */
  refuses?: boolean;
}

export interface StageResult {
  name: RotateStage['name'];
  summary: string;
  /** from the Secrets' update until every member's client port served the new files (the kubelet's sync); absent when it did not happen within the limit, or nothing shows before the restart (trust-new-ca) */
  syncMs?: number;
  roll?: {outcome: RollResult['outcome']; exitCode: number; leaderBefore?: string; leaderAfter?: string; durationMs: number; members: {pod: string; durationMs: number}[]};
  members: MemberCheck[];
  durationMs: number;
}

export interface RotateResult {
  name: string;
  namespace: string;
  mode: RotateMode;
  dryRun: boolean;
  outcome: 'done' | 'planned' | 'stopped';
  exitCode: number;
  stages: StageResult[];
  /** --dry-run: the Secrets as they would be patched (values redacted) */
  secrets?: KubeObject[];
  /** what to do next (the two-CA period) */
  next?: string;
  stopped?: string;
  durationMs: number;
}

const decode = (s: SecretObject | null): Record<string, string> => Object.fromEntries(Object.entries(s?.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));
const encode = (d: Record<string, string | null>): Record<string, string | null> => Object.fromEntries(Object.entries(d).map(([k, v]) => [k, v === null ? null : Buffer.from(v).toString('base64')]));

function refs(o: {name: string; namespace: string}): {members: ObjectRef; ca: ObjectRef; client: ObjectRef; sts: ObjectRef} {
  const n = objectNames(o.name);
  const secret = (name: string): ObjectRef => ({apiVersion: 'v1', kind: 'Secret', namespace: o.namespace, name});
  return {members: secret(n.tlsSecret), ca: secret(n.tlsCaSecret), client: secret(n.tlsClientSecret), sts: {apiVersion: 'apps/v1', kind: 'StatefulSet', namespace: o.namespace, name: n.statefulSet}};
}

/** The ensemble's TLS Secrets; a clear refusal for an ensemble without TLS or a run that does not fit the rotation under way. */
export async function readTlsSecrets(kube: Kube, req: Pick<RotateRequest, 'name' | 'namespace' | 'mode'>): Promise<TlsSecrets> {
  const r = refs(req);
  const where = `in namespace "${req.namespace}"`;
  if (!(await kube.get(r.sts))) throw new CliError(`ensemble "${req.name}" not found ${where}`, {hint: `list ensembles with: kubectl zk list -n ${req.namespace}`});
  const [members, ca, client] = await Promise.all([kube.get<SecretObject>(r.members), kube.get<SecretObject>(r.ca), kube.get<SecretObject>(r.client)]);
  if (!members)
    throw new CliError(`ensemble "${req.name}" ${where} has no TLS (no Secret ${r.members.name}): nothing to rotate`, {
      hint: 'rotate-certs is for ensembles made with kubectl zk create --tls',
      exitCode: ROTATE_EXIT.refused,
    });
  if (!ca || !client) throw new CliError(`ensemble "${req.name}" ${where} lacks Secret ${!ca ? r.ca.name : r.client.name}`, {hint: 'it is made by kubectl zk create --tls'});
  const rotating = ca.metadata.annotations?.[CA_ROTATION] !== undefined;
  const s: TlsSecrets = {members: decode(members), ca: decode(ca), client: decode(client), rotating};
  const userSecret = ca.metadata.annotations?.[USER_CA_ANNOTATION];
  if (userSecret && req.mode === 'ca') {
    throw new CliError(`the CA of "${req.name}" is yours (Secret ${userSecret}, made with --tls-from-secret): kubectl-zk does not rotate it`, {
      hint: `kubectl zk rotate-certs ${req.name} (no --ca) renews the members' and kubectl-zk's certificates from it; a new CA of yours: docs/tls.md "Your own CA"`,
      exitCode: ROTATE_EXIT.refused,
    });
  }
  if (userSecret) s.ca = {...s.ca, 'ca.key': (await caOf(kube, ca, req.namespace, req.name)).keyPem}; // the key stays in the user's Secret
  const resume = `kubectl zk rotate-certs ${req.name} -n ${req.namespace} --finish`;
  if (rotating && req.mode !== 'finish') throw new CliError(`a CA rotation of "${req.name}" is under way (both CAs are trusted)`, {hint: `end it with ${resume}`, exitCode: ROTATE_EXIT.refused});
  if (!rotating && req.mode === 'finish')
    throw new CliError(`no CA rotation of "${req.name}" is under way: nothing to finish`, {hint: `start one with kubectl zk rotate-certs ${req.name} --ca`, exitCode: ROTATE_EXIT.refused});
  return s;
}

/** The merge patches a stage makes, as Secret objects (for --dry-run, redacted). */
function stagePatches(stage: RotateStage, r: ReturnType<typeof refs>): {ref: ObjectRef; patch: {metadata?: unknown; data: Record<string, string | null>}}[] {
  const out: {ref: ObjectRef; patch: {metadata?: unknown; data: Record<string, string | null>}}[] = [{ref: r.members, patch: {data: encode(stage.members)}}];
  if (stage.ca || stage.annotation !== undefined)
    out.push({ref: r.ca, patch: {...(stage.annotation !== undefined ? {metadata: {annotations: {[CA_ROTATION]: stage.annotation}}} : {}), data: encode(stage.ca ?? {})}});
  if (stage.client) out.push({ref: r.client, patch: {data: encode(stage.client)}});
  return out;
}

function asObject(p: {ref: ObjectRef; patch: {metadata?: unknown; data: Record<string, string | null>}}): KubeObject {
  const meta = (p.patch.metadata ?? {}) as Record<string, unknown>;
  return redactObject({apiVersion: 'v1', kind: 'Secret', metadata: {name: p.ref.name, namespace: p.ref.namespace, ...meta}, data: p.patch.data} as KubeObject);
}

export async function rotateCerts(req: RotateRequest, deps: RotateDeps): Promise<RotateResult> {
  const started = deps.clock.now();
  const s = await readTlsSecrets(deps.kube, req);
  const stages = rotationStages(req.mode, s, {name: req.name, namespace: req.namespace, now: new Date(deps.clock.now())});
  const r = refs(req);
  const result: RotateResult = {name: req.name, namespace: req.namespace, mode: req.mode, dryRun: req.dryRun, outcome: 'planned', exitCode: 0, stages: [], durationMs: 0};
  const preflight = await deps.roll(true);
  const refused = preflight.warnings.filter((w) => w.startsWith('would be refused'));
  for (const st of stages) result.stages.push({name: st.name, summary: st.summary, members: memberPods(s.members).map((pod) => ({pod, expected: st.expect[pod]!})), durationMs: 0});
  if (req.dryRun) {
    result.secrets = stages.flatMap((st) => stagePatches(st, r).map(asObject));
    result.next = nextStep(req);
    result.durationMs = deps.clock.now() - started;
    return result;
  }
  if (refused.length > 0)
    throw new CliError(`refusing to rotate the certificates of "${req.name}": ${refused.join('; ').replace(/^would be refused without --force: /, '')}`, {
      hint: `see kubectl zk status ${req.name} -n ${req.namespace}; nothing was changed`,
      exitCode: ROTATE_EXIT.refused,
    });
  const q = `Rotate the certificates of "${req.name}" in namespace "${req.namespace}" (${stages.map((x) => x.name).join(', then ')}; each restarts every member, the leader last)?`;
  if (!(await deps.confirm(q))) throw new CliError('not confirmed: nothing was changed', {exitCode: 2});
  for (const [i, st] of stages.entries()) {
    const res = await runStage(st, result.stages[i]!, r, deps, req);
    if (res) {
      result.outcome = 'stopped';
      result.exitCode = res.exitCode;
      result.stopped = res.reason;
      break;
    }
  }
  if (result.outcome !== 'stopped') {
    result.outcome = 'done';
    result.next = nextStep(req);
  }
  result.durationMs = deps.clock.now() - started;
  return result;
}

function nextStep(req: RotateRequest): string | undefined {
  if (req.mode !== 'ca') return undefined;
  return `both CAs are trusted now: give every application the new trust bundle and a client certificate from the new CA (kubectl zk certificate ${req.name} --user U), then run kubectl zk rotate-certs ${req.name} -n ${req.namespace} --finish`;
}

/** One stage: the Secrets, the kubelet's sync, the roll, the check. Returns why it stopped, if it did. */
async function runStage(st: RotateStage, out: StageResult, r: ReturnType<typeof refs>, deps: RotateDeps, req: RotateRequest): Promise<{exitCode: number; reason: string} | undefined> {
  const t0 = deps.clock.now();
  const before = await identityOf(deps.kube, r.client);
  await Promise.all(out.members.map(async (m) => (m.before = (await deps.check(m.pod, before)).fingerprint256)));
  deps.progress.info(`${st.name}: ${st.summary}`);
  for (const p of stagePatches(st, r)) await deps.kube.mergePatch(p.ref, p.patch);
  const identity = await identityOf(deps.kube, r.client);
  const probes = {accepts: st.accepts && probeIdentity(st.accepts, new Date(deps.clock.now())), refuses: st.refuses && probeIdentity(st.refuses, new Date(deps.clock.now()))};
  const ok = (beforeRestart: boolean) => () => allAsExpected(st, out, identity, probes, deps, beforeRestart);
  // before the restart only the TLS handshake shows the new files: a member's certificate, and a CA
  // dropped from the trust store; a CA added is trusted by the client-port authentication only after a restart
  if (observableBeforeRestart(st)) {
    if (await waitFor(ok(true), req.syncTimeoutMs, deps)) out.syncMs = deps.clock.now() - t0;
    else deps.progress.warn(`${st.name}: not every member served the new files within ${Math.round(req.syncTimeoutMs / 1000)} s (the kubelet's Secret sync); the restart brings them`);
  }
  const roll = await deps.roll(false);
  out.roll = {
    outcome: roll.outcome,
    exitCode: roll.exitCode,
    leaderBefore: roll.leaderBefore,
    leaderAfter: roll.leaderAfter,
    durationMs: roll.durationMs,
    members: roll.members.map((m) => ({pod: m.pod, durationMs: m.durationMs})),
  };
  if (roll.exitCode !== 0) return {exitCode: roll.exitCode, reason: `${st.name}: the restart stopped: ${roll.stopped?.reason ?? roll.outcome}`};
  const checked = await waitFor(ok(false), 60_000, deps);
  out.durationMs = deps.clock.now() - t0;
  if (!checked) {
    const bad = out.members.filter((m) => m.after !== m.expected || m.accepts === false || m.refuses === false).map((m) => m.pod);
    return {exitCode: ROTATE_EXIT.stopped, reason: `${st.name}: after the restart ${bad.join(', ')} did not serve or accept what was written`};
  }
  return undefined;
}

async function identityOf(kube: Kube, ref: ObjectRef): Promise<TlsIdentity> {
  const d = decode(await kube.get<SecretObject>(ref));
  return {ca: d[CA_KEY] ?? '', cert: d['tls.crt'] ?? '', key: d['tls.key'] ?? ''};
}

function observableBeforeRestart(st: RotateStage): boolean {
  return Object.keys(st.members).some((k) => k.endsWith('.pem')) || st.refuses !== undefined;
}

async function allAsExpected(
  st: RotateStage,
  out: StageResult,
  identity: TlsIdentity,
  probes: {accepts?: {certPem: string; keyPem: string}; refuses?: {certPem: string; keyPem: string}},
  deps: RotateDeps,
  beforeRestart: boolean,
): Promise<boolean> {
  const as = (p: {certPem: string; keyPem: string}): TlsIdentity => ({ca: identity.ca, cert: p.certPem, key: p.keyPem});
  const each = await Promise.all(
    out.members.map(async (m) => {
      const got = await deps.check(m.pod, identity);
      m.after = got.fingerprint256;
      if (probes.accepts && !beforeRestart) m.accepts = (await deps.check(m.pod, as(probes.accepts))).answered;
      if (probes.refuses) m.refuses = !(await deps.check(m.pod, as(probes.refuses))).answered;
      return got.answered && m.after === m.expected && m.accepts !== false && m.refuses !== false;
    }),
  );
  return each.every(Boolean);
}

async function waitFor(ok: () => Promise<boolean>, limitMs: number, deps: RotateDeps): Promise<boolean> {
  const end = deps.clock.now() + limitMs;
  for (;;) {
    if (deps.signal?.aborted) throw deps.signal.reason ?? new Error('aborted');
    if (await ok().catch(() => false)) return true;
    if (deps.clock.now() >= end) return false;
    await deps.sleep(deps.pollMs ?? 2000);
  }
}

export {fingerprint};
