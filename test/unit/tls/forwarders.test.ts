/**
 * MemberForwarders, the one place commands reach a member's client port: for a
 * pod with a secure client port it forwards 2281 and wraps each connection in
 * TLS verified against the ensemble's CA and the member's name (a Node TLS
 * server stands in for the member); for a plain pod it forwards 2181 and reads
 * no Secret.
 */
import assert from 'node:assert/strict';
import {createServer, type Server} from 'node:tls';
import type {AddressInfo} from 'node:net';
import {MemberForwarders} from '../../../src/ops/ensemble/forwarders.js';
import {makeEnsembleTls} from '../../../src/tls/ensemble.js';
import {fourLetterWord} from '../../../src/zk/fourletter.js';
import {FakeKube} from '../../support/fake-kube.js';

const tls = makeEnsembleTls({name: 'zk', namespace: 'team-a', clusterDomain: 'cluster.local', replicas: 2}, new Date());
const b64 = (t: string) => Buffer.from(t).toString('base64');

/** A member's TLS client port: requires a client certificate from the CA; answers srvr. */
async function member(ordinal: number): Promise<Server> {
  const m = tls.members[ordinal]!;
  const server = createServer({key: m.keyPem, cert: m.certPem, ca: tls.ca.certPem, requestCert: true, rejectUnauthorized: true}, (s) => {
    s.once('data', () => s.end(`Zookeeper version: 3.9.5\nMode: follower\nclient: ${s.getPeerCertificate().subject?.CN}\n`));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return server;
}

async function kubeWith(tlsPods: boolean): Promise<FakeKube> {
  const kube = new FakeKube('team-a');
  for (const i of [0, 1]) {
    const ports = tlsPods ? [{name: 'secure-client', containerPort: 2281}] : [{name: 'client', containerPort: 2181}];
    await kube.apply({apiVersion: 'v1', kind: 'Pod', metadata: {name: `zk-${i}`, namespace: 'team-a'}, spec: {containers: [{name: 'zookeeper', ports}]}});
  }
  await kube.apply({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {name: 'zk-tls-client', namespace: 'team-a'},
    data: {'ca.crt': b64(tls.ca.certPem), 'tls.crt': b64(tls.plugin.certPem), 'tls.key': b64(tls.plugin.keyPem)},
  });
  kube.calls.length = 0;
  return kube;
}

describe('MemberForwarders: TLS to members in one place', () => {
  const servers: Server[] = [];
  after(() => servers.forEach((s) => s.close()));

  it("a pod with a secure client port: 2281, verified, with kubectl-zk's client certificate; the Secret read once", async () => {
    const kube = await kubeWith(true);
    const m0 = await member(0);
    const m1 = await member(1);
    servers.push(m0, m1);
    kube.forwardTo = (pod, port) => (port === 2281 ? {host: '127.0.0.1', port: ((pod === 'zk-0' ? m0 : m1).address() as AddressInfo).port} : undefined);
    const f = new MemberForwarders(kube);
    const [e0, e1] = await Promise.all([f.endpoint('team-a', 'zk-0'), f.endpoint('team-a', 'zk-1')]);
    assert.equal(e0.targetPort, 2281);
    assert.match(await fourLetterWord(e0, 'srvr'), /^Mode: follower\nclient: kubectl-zk$/m);
    assert.match(await fourLetterWord(e1, 'srvr'), /^Mode: follower$/m);
    assert.equal(kube.calls.filter((c) => c.startsWith('get Secret/')).length, 1, kube.calls.join(', '));
    assert.equal(f.tlsError(), undefined);
    await f.close();
  });

  it("a member answering with another member's certificate is refused: no answer, the reason kept", async () => {
    const kube = await kubeWith(true);
    const m1 = await member(1);
    servers.push(m1);
    kube.forwardTo = (_pod, port) => (port === 2281 ? {host: '127.0.0.1', port: (m1.address() as AddressInfo).port} : undefined);
    const f = new MemberForwarders(kube);
    const e0 = await f.endpoint('team-a', 'zk-0'); // zk-1's server behind zk-0's name
    const out = await fourLetterWord(e0, 'srvr', {timeoutMs: 2000}).catch((e: Error) => `error: ${e.message}`);
    assert.doesNotMatch(out, /Mode:/);
    assert.match(f.tlsError()?.message ?? '', /Hostname\/IP does not match certificate's altnames: Host: zk-0\.zk-hs\.team-a\.svc/);
    await f.close();
  });

  it('a plain pod: 2181 and no Secret read; learn() from listed pods skips the pod read too', async () => {
    const kube = await kubeWith(false);
    const f = new MemberForwarders(kube);
    assert.equal((await f.endpoint('team-a', 'zk-0')).targetPort, 2181);
    assert.deepEqual(
      kube.calls.filter((c) => c.startsWith('get ')),
      ['get Pod/zk-0'],
    );
    const g = new MemberForwarders(kube);
    kube.calls.length = 0;
    g.learn('team-a', await kube.list('v1', 'Pod', {namespace: 'team-a'}));
    kube.calls.length = 0;
    assert.equal((await g.endpoint('team-a', 'zk-1')).targetPort, 2181);
    assert.deepEqual(
      kube.calls.filter((c) => c.startsWith('get ')),
      [],
    );
  });

  it('an ensemble half-way through tls enable: plain to the member without a secure port, TLS to the one with it', async () => {
    const kube = await kubeWith(false);
    await kube.apply({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {name: 'zk-1', namespace: 'team-a'},
      spec: {
        containers: [
          {
            name: 'zookeeper',
            ports: [
              {name: 'client', containerPort: 2181},
              {name: 'secure-client', containerPort: 2281},
            ],
          },
        ],
      },
    });
    const m1 = await member(1);
    servers.push(m1);
    kube.forwardTo = (pod, port) => (port === 2281 && pod === 'zk-1' ? {host: '127.0.0.1', port: (m1.address() as AddressInfo).port} : undefined);
    const f = new MemberForwarders(kube);
    const [e0, e1] = await Promise.all([f.endpoint('team-a', 'zk-0'), f.endpoint('team-a', 'zk-1')]);
    assert.equal(e0.targetPort, 2181);
    assert.equal(e1.targetPort, 2281);
    assert.match(await fourLetterWord(e1, 'srvr'), /^Mode: follower$/m);
    await f.close();
  });
});
