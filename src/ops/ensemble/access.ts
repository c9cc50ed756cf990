/**
 * What a member accepts from clients, from its own `conf` (what it runs, not
 * what its pod or ConfigMap says it should): TLS when it has a secure client
 * port; plain when its plain client port listens on an address other pods
 * reach (its line in the membership it reports has no loopback client
 * address: create --tls and tls enable keep the plain port on the pod's
 * loopback for the probes only).
 */
import type {ConfResult} from '../../zk/parse.js';

export type ClientAccess = 'plain' | 'tls' | 'both' | 'none';

const LOOPBACK = /^(127\.|localhost$|::1$|\[::1\]$|0:0:0:0:0:0:0:1$)/;

export function clientAccess(conf: Pick<ConfResult, 'values' | 'serverId' | 'clientPort' | 'membership'>): ClientAccess | undefined {
  const secure = Number(conf.values['secureClientPort'] ?? 0) > 0;
  const mine = conf.membership?.servers.find((s) => s.id === conf.serverId);
  if (conf.serverId !== undefined && conf.membership && !mine) return undefined; // not in its own membership: unknown
  const address = mine?.clientAddress;
  const plain = (conf.clientPort ?? 0) > 0 && !(address !== undefined && LOOPBACK.test(address));
  return plain && secure ? 'both' : plain ? 'plain' : secure ? 'tls' : 'none';
}
