/**
 * create --tls's settings on a real 3-server ZooKeeper (the pinned 3.9 line):
 * the quorum forms over TLS, kubectl-zk's TLS endpoint (tls/endpoint.ts)
 * reaches the secure port and verifies it, and the refusals: a client
 * certificate from another CA, a wrong member name, a member whose
 * certificate is from another CA, plain TCP on the secure port.
 */
import {strict as assert} from 'node:assert';
import {readFileSync} from 'node:fs';
import {Socket} from 'node:net';
import {connect as tlsConnect} from 'node:tls';
import {clientCertificate, makeCa} from '../../src/tls/ensemble.js';
import {tlsClientEndpoint, type TlsEndpoint, type TlsIdentity} from '../../src/tls/endpoint.js';
import {connectZk} from '../../src/zk/client.js';
import {fourLetterWord} from '../support/zk.js';
import {startEnsemble, type Ensemble} from './lib/ensemble.js';

/** Plain bytes to an endpoint; what came back before the server closed (or 2 s passed). */
function rawExchange(ep: {host: string; port: number}, send: string): Promise<string> {
  return new Promise((resolve) => {
    const s = new Socket();
    let got = '';
    const done = () => {
      clearTimeout(t);
      s.destroy();
      resolve(got);
    };
    const t = setTimeout(done, 2000);
    s.on('data', (d) => (got += d.toString('latin1')));
    s.on('error', done);
    s.on('close', done);
    s.connect(ep.port, ep.host, () => s.write(send));
  });
}

describe('integration: TLS (create --tls settings) on a real ensemble', function () {
  this.timeout(120_000);
  let ens: Ensemble;
  const opened: TlsEndpoint[] = [];
  const endpoint = async (id: number, identity: TlsIdentity, servername?: string) => {
    const e = await tlsClientEndpoint(ens.server(id).secureEndpoint!, identity, servername ?? ens.tls!.serverName(id));
    opened.push(e);
    return e;
  };
  let good: TlsIdentity;

  before(async () => {
    ens = await startEnsemble({size: 3, tls: true});
    good = {ca: ens.tls!.ca.certPem, cert: ens.tls!.client.certPem, key: ens.tls!.client.keyPem};
    console.log(`      [measure] ZooKeeper ${ens.runtime.version} with TLS: 3 servers spawned → quorum in ${ens.timeToQuorumMs.toFixed(0)} ms`);
  });
  after(async () => {
    await Promise.all(opened.map((e) => e.close()));
    await ens?.stopAll();
  });

  it('the quorum runs over TLS and the secure port is Netty with TLS', () => {
    for (const s of ens.servers) {
      const log = readFileSync(s.logPath, 'utf8');
      assert.match(log, /Using TLS encrypted quorum communication/, `server ${s.id}`);
      assert.match(log, new RegExp(`binding to port .*:${s.secureEndpoint!.port}`), `server ${s.id}: the secure port is bound`);
    }
  });

  it("kubectl-zk's client verifies each member and gets a session: create, get, and srvr over TLS", async () => {
    const eps = await Promise.all(ens.servers.map((s) => endpoint(s.id, good)));
    const client = await connectZk({endpoints: eps.map((e) => ({host: e.host, port: e.port})), auth: ens.superAuth, connectTimeoutMs: 15_000});
    try {
      await client.create('/tls-proof', Buffer.from('over tls'));
      const got = await client.get('/tls-proof');
      assert.equal(got.data.toString(), 'over tls');
    } finally {
      await client.close();
    }
    for (const e of eps) {
      const out = await fourLetterWord(e, 'srvr', {timeoutMs: 5000});
      assert.match(out, /^Mode: (leader|follower)$/m, 'four-letter words answer over the secure port');
      assert.equal(e.lastError, undefined);
    }
  });

  it('a client certificate from another CA is refused by the members', async () => {
    const other = makeCa({name: 'zk', namespace: 'it'}, new Date());
    const stranger = clientCertificate('kubectl-zk', other, new Date());
    const e = await endpoint(1, {ca: good.ca, cert: stranger.certPem, key: stranger.keyPem});
    const out = await fourLetterWord(e, 'srvr', {timeoutMs: 3000}).catch((err: Error) => `error: ${err.message}`);
    assert.doesNotMatch(out, /Mode:/);
    await assert.rejects(connectZk({endpoints: [{host: e.host, port: e.port}], connectTimeoutMs: 3000}), /no ZooKeeper session within/);
  });

  it('without a client certificate: refused', async () => {
    const got = await new Promise<string>((resolve) => {
      const ep = ens.server(2).secureEndpoint!;
      const s = tlsConnect({host: ep.host, port: ep.port, ca: good.ca, servername: ens.tls!.serverName(2)});
      let data = '';
      s.on('secureConnect', () => s.write('srvr'));
      s.on('data', (d) => (data += d.toString()));
      s.on('error', (e) => resolve(`error: ${e.message}`));
      s.on('close', () => resolve(data));
    });
    assert.doesNotMatch(got, /Mode:/);
  });

  it("a wrong member name is refused by kubectl-zk's client (no byte reaches the server)", async () => {
    const e = await endpoint(1, good, ens.tls!.serverName(2)); // server 1 answers; its certificate names zk-0, not zk-1
    const out = await fourLetterWord(e, 'srvr', {timeoutMs: 3000}).catch((err: Error) => `error: ${err.message}`);
    assert.doesNotMatch(out, /Mode:/);
    assert.match(e.lastError?.message ?? '', /Hostname\/IP does not match certificate's altnames/);
    const other = await endpoint(1, good, 'zk-0.zk-hs.elsewhere.svc');
    await fourLetterWord(other, 'srvr', {timeoutMs: 3000}).catch(() => undefined);
    assert.match(other.lastError?.message ?? '', /does not match/);
  });

  it('a member whose certificate is not from the trusted CA is refused', async () => {
    const other = makeCa({name: 'zk', namespace: 'it'}, new Date());
    const e = await endpoint(3, {...good, ca: other.certPem});
    const out = await fourLetterWord(e, 'srvr', {timeoutMs: 3000}).catch((err: Error) => `error: ${err.message}`);
    assert.doesNotMatch(out, /Mode:/);
    assert.match(e.lastError?.message ?? '', /self[- ]signed|unable to verify|unable to get local issuer/i);
  });

  it('plain TCP on the secure port gets no ZooKeeper answer; the plain port listens on loopback only', async () => {
    const out = await rawExchange(ens.server(1).secureEndpoint!, 'srvr');
    assert.doesNotMatch(out, /Zookeeper version|Mode:/);
    assert.match(ens.server(1).serverLine(), /;127\.0\.0\.1:\d+$/);
  });
});
