/**
 * The one probe builder: how every command asks the members about themselves.
 * Same four-letter-word gate (at most one mntr and one conf in flight per
 * member, see FourLetterGate) and the same per-request timeout everywhere, so
 * an ensemble that looks healthy to `status` looks healthy to restart,
 * upgrade, scale and failover-test too.
 */
import {errorMessage} from '../../errors.js';
import type {Kube} from '../../kube/types.js';
import type {Clock} from '../../util/time.js';
import type {Endpoint} from '../../zk/endpoint.js';
import {FourLetterGate, fourLetterWord} from '../../zk/fourletter.js';
import {parseMntr, parseSrvr, srvrComplete} from '../../zk/parse.js';
import {QUIET_MS, gatherStatus, type StatusDeps, type StatusReport} from '../status.js';
import type {MemberProbe, ProbeMembers} from '../wait.js';
import {MemberForwarders} from './forwarders.js';

/** Per-request limit of a member probe (srvr, mntr, conf) when --request-timeout is not given. */
export const PROBE_TIMEOUT_MS = 5000;

/** The probe timeout for a command: --request-timeout when given, else PROBE_TIMEOUT_MS. */
export function probeTimeout(requestTimeoutMs?: number): number {
  return requestTimeoutMs ?? PROBE_TIMEOUT_MS;
}

/** StatusDeps for `endpoint`, with a gate of its own and the command's timeout. */
export function statusDeps(o: {kube: Kube; clock: Clock; endpoint: StatusDeps['endpoint']; requestTimeoutMs?: number}): StatusDeps {
  return {kube: o.kube, clock: o.clock, endpoint: o.endpoint, timeoutMs: probeTimeout(o.requestTimeoutMs), fourLetter: new FourLetterGate()};
}

export interface EnsembleProbe {
  /** gatherStatus's collaborators: shared by every report of this command */
  deps: StatusDeps;
  forwarders: MemberForwarders;
  /** one report of ensemble `name` */
  status(name: string, namespace: string): Promise<StatusReport>;
  close(): Promise<void>;
}

/** Port-forwards to the members (one per pod, kept for the command) and the status probe over them. */
export function ensembleProbe(kube: Kube, o: {clock: Clock; requestTimeoutMs?: number}): EnsembleProbe {
  const forwarders = new MemberForwarders(kube);
  const deps = statusDeps({kube, clock: o.clock, endpoint: (ns, pod) => forwarders.endpoint(ns, pod), requestTimeoutMs: o.requestTimeoutMs});
  return {
    deps,
    forwarders,
    status: (name, namespace) => gatherStatus({name, namespace}, deps),
    close: () => forwarders.close(),
  };
}

/**
 * create's wait: srvr to each member (and mntr to the leader), in parallel, through
 * the same gate and timeout as the status probe; failures are data, not exceptions.
 */
export function memberProbe(forwarders: Pick<MemberForwarders, 'endpoint'>, timeoutMs = PROBE_TIMEOUT_MS): ProbeMembers {
  const gate = new FourLetterGate(); // the probe runs in a loop: one mntr in flight per member
  return (namespace, pods) =>
    Promise.all(
      pods.map(async (pod): Promise<MemberProbe> => {
        try {
          const ep = await forwarders.endpoint(namespace, pod);
          const srvr = parseSrvr(await gate.ask(ep, 'srvr', {timeoutMs, complete: srvrComplete}));
          if (srvr.status !== 'ok') return {pod, error: srvr.status === 'notServing' ? 'not serving' : `srvr is not whitelisted`};
          const probe: MemberProbe = {pod, mode: srvr.mode};
          if (srvr.mode === 'leader') {
            const mntr = parseMntr(await gate.ask(ep, 'mntr', {timeoutMs, quietMs: QUIET_MS}));
            if (mntr.status === 'ok') {
              probe.syncedFollowers = mntr.syncedFollowers;
              probe.pendingSyncs = mntr.pendingSyncs;
            }
          }
          return probe;
        } catch (err) {
          return {pod, error: errorMessage(err)};
        }
      }),
    );
}

/** Who a member says it is, fast: srvr ends at its last line (srvrComplete), not at the port-forward's late close. */
export async function srvrMode(ep: Endpoint, timeoutMs = 2000): Promise<{mode?: string; epoch?: number}> {
  try {
    const r = parseSrvr(await fourLetterWord(ep, 'srvr', {timeoutMs, complete: srvrComplete}));
    return r.status === 'ok' ? {mode: r.mode, epoch: r.zxid.epoch} : {};
  } catch {
    return {};
  }
}

/** Who leads among `pods`, asked of them directly (srvr only): the light probe that times an election. */
export function whoLeads(endpoint: StatusDeps['endpoint'], namespace: string, timeoutMs = 2000): (pods: string[]) => Promise<{leader?: string; epoch?: number}> {
  return async (pods) => {
    const answers = await Promise.all(
      pods.map(async (pod) => ({
        pod,
        ...(await endpoint(namespace, pod).then(
          (ep) => srvrMode(ep, timeoutMs),
          () => ({}) as {mode?: string; epoch?: number},
        )),
      })),
    );
    const leader = answers.find((a) => a.mode === 'leader');
    return {leader: leader?.pod, epoch: leader?.epoch};
  };
}
