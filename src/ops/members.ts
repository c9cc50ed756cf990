import {errorMessage} from '../errors.js';
import type {Forwarder, Kube} from '../kube/types.js';
import {PORTS} from '../manifests/names.js';
import {FourLetterGate, fourLetterWord} from '../zk/fourletter.js';
import {parseMntr, parseSrvr} from '../zk/parse.js';
import type {MemberProbe, ProbeMembers} from './wait.js';

/**
 * One port-forward per member pod, opened on first use and kept for the life of
 * the command (KubeClient.close() closes them). Every connection to a forwarder
 * is its own tunnel to the pod, so a dead pod fails only its own requests.
 */
export class MemberForwarders {
  private readonly open = new Map<string, Promise<Forwarder>>();

  constructor(
    private readonly kube: Kube,
    private readonly port: number = PORTS.client,
  ) {}

  endpoint(namespace: string, pod: string): Promise<Forwarder> {
    const key = `${namespace}/${pod}`;
    let f = this.open.get(key);
    if (!f) {
      f = this.kube.portForward(namespace, pod, this.port);
      f.catch(() => this.open.delete(key));
      this.open.set(key, f);
    }
    return f;
  }

  async close(): Promise<void> {
    const all = [...this.open.values()];
    this.open.clear();
    await Promise.all(all.map((f) => f.then((x) => x.close(), () => undefined)));
  }
}

/** Asks each member with srvr (and the leader with mntr), in parallel; failures are data, not exceptions. */
export function memberProbe(forwarders: MemberForwarders, timeoutMs = 5000): ProbeMembers {
  const gate = new FourLetterGate(); // the probe runs in a loop: one mntr in flight per member
  return (namespace, pods) =>
    Promise.all(
      pods.map(async (pod): Promise<MemberProbe> => {
        try {
          const ep = await forwarders.endpoint(namespace, pod);
          const srvr = parseSrvr(await fourLetterWord(ep, 'srvr', {timeoutMs}));
          if (srvr.status !== 'ok') return {pod, error: srvr.status === 'notServing' ? 'not serving' : `srvr is not whitelisted`};
          const probe: MemberProbe = {pod, mode: srvr.mode};
          if (srvr.mode === 'leader') {
            const mntr = parseMntr(await gate.ask(ep, 'mntr', {timeoutMs}));
            if (mntr.status === 'ok') probe.syncedFollowers = mntr.syncedFollowers;
          }
          return probe;
        } catch (err) {
          return {pod, error: errorMessage(err)};
        }
      }),
    );
}
