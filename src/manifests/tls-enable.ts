/**
 * `kubectl zk tls enable`: what a plaintext ensemble's members run in each
 * phase of the move to TLS (pure). The order is ZooKeeper's own for the
 * quorum (admin guide, "Upgrading existing non-TLS cluster with no
 * downtime"): roll 1 adds the key and trust stores with sslQuorum=false and
 * portUnification=true, roll 2 turns sslQuorum on (portUnification still
 * on), roll 3 turns portUnification off. Clients get the secure port next to
 * the plain one in roll 1 (Netty, secureClientPort); the plain port leaves the
 * pod's network (its membership client address becomes the pod's loopback,
 * by reconfig) before roll 3. After roll 3 the members run exactly create
 * --tls's settings (tlsZooCfg).
 */
import {PORTS} from './names.js';
import {tlsZooCfg} from './tls.js';

/** The phases, in order; each is recorded once it is reached (`done`: the ensemble is as create --tls makes it). */
export const TLS_ENABLE_PHASES = ['certificates', 'quorum-unified', 'quorum-tls', 'clients-tls', 'done'] as const;
export type TlsEnablePhase = (typeof TLS_ENABLE_PHASES)[number];

/** The rolls' settings: 1 and 2 are phases of their own; roll 3 ends in create --tls's settings. */
export type TlsRoll = 'quorum-unified' | 'quorum-tls' | 'tls';

/** The ConfigMap key the members of roll 1 and 2 read their static settings from (ZK_STATIC_TEMPLATE points at it). */
export function tlsEnableConfigKey(roll: 'quorum-unified' | 'quorum-tls'): string {
  return `zoo.cfg.tls-${roll}`;
}

/**
 * The zoo.cfg TLS section of a roll. Roll 1 and 2 are create --tls's settings
 * with the quorum port unified (a member accepts plain and TLS quorum
 * connections: the members not rolled yet still dial in plain) and, in roll
 * 1, dialling in plain (sslQuorum=false). Roll 3 is create --tls's text.
 */
export function tlsEnableZooCfg(roll: TlsRoll, trustStore: string, secureClientPort: number = PORTS.secureClient): string {
  const full = tlsZooCfg({trustStore, secureClientPort});
  if (roll === 'tls') return full;
  const lines = full.split('\n').filter((l) => !l.startsWith('#'));
  const quorum = lines.indexOf('sslQuorum=true');
  if (quorum < 0) throw new Error('tlsEnableZooCfg: tlsZooCfg has no sslQuorum=true line');
  lines[quorum] = roll === 'quorum-unified' ? 'sslQuorum=false' : 'sslQuorum=true';
  lines.splice(quorum + 1, 0, 'portUnification=true');
  const why =
    roll === 'quorum-unified'
      ? '# kubectl zk tls enable, roll 1 of 3: the secure client port next to the plain one; the quorum port takes TLS and plain, members dial in plain'
      : '# kubectl zk tls enable, roll 2 of 3: members dial in TLS; the quorum port still takes plain (members not rolled yet)';
  return [why, ...lines].join('\n');
}

/** The static settings of a roll: the ensemble's own (its ConfigMap zoo.cfg before TLS) plus the roll's TLS section. */
export function tlsEnableStatic(plainZooCfg: string, roll: TlsRoll, trustStore: string): string {
  return plainZooCfg.replace(/\n*$/, '\n') + tlsEnableZooCfg(roll, trustStore);
}
