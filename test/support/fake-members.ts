/**
 * ZooKeeper members that answer only the four-letter words the probes ask
 * (srvr, mntr, conf), one loopback server per member pod, as a ZooKeeper 3.9
 * ensemble NAME-0… would: the leader counts every other voter in sync. Plugged
 * into FakeKube's port-forwards, they make the in-memory ensemble healthy for
 * `status`, the plans of restart/upgrade/scale and failover-test's checks.
 * No znode API: anything else gets no answer.
 */
import net from 'node:net';
import type {FakeKube} from './fake-kube.js';

export type FakeRole = 'leader' | 'follower' | 'observer';

export interface FakeMembers {
  /** pod → its loopback port */
  readonly ports: Map<string, number>;
  close(): Promise<void>;
}

const VERSION = '3.9.5-1234abcd, built on 2026-01-01 00:00 UTC';

function srvr(role: FakeRole): string {
  const lines = [`Zookeeper version: ${VERSION}`, 'Latency min/avg/max: 0/0.0/0', 'Received: 1', 'Sent: 1', 'Connections: 1', 'Outstanding: 0', 'Zxid: 0x100000005', `Mode: ${role}`, 'Node count: 5'];
  if (role === 'leader') lines.push('Proposal sizes last/min/max: -1/-1/-1');
  return `${lines.join('\n')}\n`;
}

function mntr(role: FakeRole, roles: readonly FakeRole[]): string {
  const voters = roles.filter((r) => r !== 'observer').length;
  const observers = roles.filter((r) => r === 'observer').length;
  const kv: [string, string | number][] = [
    ['version', VERSION],
    ['server_state', role],
    ['outstanding_requests', 0],
    ['znode_count', 5],
    ['watch_count', 0],
    ['packets_received', 1],
    ['packets_sent', 1],
  ];
  if (role === 'leader') kv.push(['synced_followers', voters - 1], ['synced_observers', observers], ['pending_syncs', 0], ['learners', roles.length - 1]);
  return kv.map(([k, v]) => `zk_${k}\t${v}\n`).join('');
}

function conf(name: string, namespace: string, index: number, roles: readonly FakeRole[]): string {
  const servers = roles.map((r, i) => `server.${i + 1}=${name}-${i}.${name}-hs.${namespace}.svc.cluster.local:2888:3888:${r === 'observer' ? 'observer' : 'participant'};0.0.0.0:2181`);
  return ['clientPort=2181', `serverId=${index + 1}`, 'membership: ', ...servers, 'version=100000000'].join('\n');
}

/** Starts one member per role (NAME-0 has roles[0], …) and points `kube`'s port-forwards to their client port at them. */
export async function fakeMembers(kube: FakeKube, name: string, namespace: string, roles: readonly FakeRole[]): Promise<FakeMembers> {
  const servers: net.Server[] = [];
  const ports = new Map<string, number>();
  for (const [i, role] of roles.entries()) {
    const answers: Record<string, string> = {srvr: srvr(role), mntr: mntr(role, roles), conf: conf(name, namespace, i, roles)};
    const server = net.createServer((socket) => {
      socket.once('data', (b) => {
        const answer = answers[b.toString('latin1', 0, 4)];
        if (answer === undefined) socket.destroy();
        else socket.end(answer);
      });
      socket.on('error', () => undefined);
    });
    server.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    servers.push(server);
    ports.set(`${name}-${i}`, (server.address() as net.AddressInfo).port);
  }
  kube.forwardTo = (pod, port) => (port === 2181 && ports.has(pod) ? {host: '127.0.0.1', port: ports.get(pod)!} : undefined);
  return {
    ports,
    close: () => Promise.all(servers.map((s) => new Promise((r) => s.close(r)))).then(() => undefined),
  };
}
