/**
 * What ZooKeeper 3.9 does with new certificate files, on a real 3-server
 * ensemble whose files are laid out as the kubelet lays out a Secret volume
 * (each file a symlink through ..data; an update renames ..data to a new
 * directory): the certificate served on the secure client port (Netty) and on
 * the election port (the quorum's TLS), after (a) a Secret-volume update and
 * (b) a regular file renamed over the key store. With and without the reload
 * settings (sslQuorumReloadCertFiles=true, -Dzookeeper.client.certReload=true).
 * rotate-certs' design follows from it (docs/tls.md "Rotation").
 */
import {strict as assert} from 'node:assert';
import {X509Certificate} from 'node:crypto';
import {renameSync, writeFileSync} from 'node:fs';
import {connect as tlsConnect} from 'node:tls';
import {startEnsemble, type Ensemble} from './lib/ensemble.js';

/** The fingerprint of the certificate a TLS port presents (verified against the CA and the member's name). */
function served(ep: {host: string; port: number}, id: {ca: string; cert: string; key: string}, servername: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = tlsConnect({host: ep.host, port: ep.port, ca: id.ca, cert: id.cert, key: id.key, servername});
    s.once('secureConnect', () => {
      const fp = s.getPeerCertificate().fingerprint256;
      s.destroy();
      resolve(fp);
    });
    s.once('error', reject);
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** ms until `what` holds, or undefined after `ms`. */
async function until(what: () => Promise<boolean>, ms: number): Promise<number | undefined> {
  const t0 = performance.now();
  while (performance.now() - t0 < ms) {
    if (await what().catch(() => false)) return performance.now() - t0;
    await sleep(100);
  }
  return undefined;
}

const RELOAD = {cfg: ['sslQuorumReloadCertFiles=true'], jvm: ['-Dzookeeper.client.certReload=true']};

for (const reload of [true, false]) {
  describe(`integration: new certificate files in a Secret volume layout, ${reload ? 'with' : 'without'} the reload settings`, function () {
    this.timeout(180_000);
    let ens: Ensemble;
    let id: {ca: string; cert: string; key: string};
    before(async () => {
      ens = await startEnsemble({size: 3, tls: true, tlsSecretVolume: true, ...(reload ? {tlsExtra: RELOAD} : {})});
      id = {ca: ens.tls!.ca.certPem, cert: ens.tls!.client.certPem, key: ens.tls!.client.keyPem};
    });
    after(async () => ens?.stopAll());

    it(`Secret-volume update: the client port serves the new certificate, the election port keeps the old; a regular file renamed over the key store: the election port ${reload ? 'reloads' : 'still keeps the old'}`, async () => {
      const s = ens.server(1);
      const name = ens.tls!.serverName(1);
      const client = s.secureEndpoint!;
      const election = {host: '127.0.0.1', port: s.electionPort};
      const before = await served(election, id, name);
      const next = s.issueMemberCertificate(ens.tls!.ca);
      s.writeTls({memberPem: next.keyPem + next.certPem, caPem: ens.tls!.ca.certPem});
      const want = new X509Certificate(next.certPem).fingerprint256;
      const clientMs = await until(async () => (await served(client, id, name)) === want, 10_000);
      const electionMs = await until(async () => (await served(election, id, name)) !== before, 10_000);
      console.log(
        `      [measure] Secret-volume update: client port ${clientMs === undefined ? 'never' : `${clientMs.toFixed(0)} ms`}, election port ${electionMs === undefined ? 'not within 10 s' : `${electionMs.toFixed(0)} ms`}`,
      );
      assert.notEqual(clientMs, undefined, 'the client port serves the new file');
      assert.equal(electionMs, undefined, 'the quorum keeps the certificate it loaded');
      const third = s.issueMemberCertificate(ens.tls!.ca);
      writeFileSync(`${s.tlsFiles!.keyStore}.tmp`, third.keyPem + third.certPem);
      renameSync(`${s.tlsFiles!.keyStore}.tmp`, s.tlsFiles!.keyStore);
      const want3 = new X509Certificate(third.certPem).fingerprint256;
      const electionMs3 = await until(async () => (await served(election, id, name)) === want3, 10_000);
      console.log(`      [measure] regular file renamed over the key store: election port ${electionMs3 === undefined ? 'not within 10 s' : `${electionMs3.toFixed(0)} ms`}`);
      if (reload) assert.notEqual(electionMs3, undefined, 'sslQuorumReloadCertFiles reloads on an event naming the file');
      else assert.equal(electionMs3, undefined);
      assert.equal(await served(client, id, name), want3);
      await ens.waitForQuorum({timeoutMs: 30_000});
    });

    if (reload)
      it('a trust bundle of two CAs on the client port: a CA added is trusted only after a restart (the x509 authentication keeps its trust store); two CAs of one subject: only the last', async () => {
        const {nextCa} = await import('../../src/tls/rotate.js');
        const {clientCertificate, makeCa} = await import('../../src/tls/ensemble.js');
        const {servedCertificate} = await import('../../src/tls/served.js');
        const s = ens.server(3);
        const name = ens.tls!.serverName(3);
        const old = ens.tls!.ca;
        const member = s.issueMemberCertificate(old);
        const answers = async (ca: {certPem: string; keyPem: string}) => {
          const c = clientCertificate('app', ca, new Date());
          return (await servedCertificate(s.secureEndpoint!, {ca: old.certPem, cert: c.certPem, key: c.keyPem}, name)).answered;
        };
        const restart = async () => {
          await s.stop();
          await s.start();
          await ens.waitForQuorum({timeoutMs: 60_000});
        };
        const distinct = nextCa({name: 'zk', namespace: 'it'}, new Date());
        s.writeTls({memberPem: member.keyPem + member.certPem, caPem: old.certPem + distinct.certPem});
        await sleep(3000);
        const [newBefore, oldBefore] = [await answers(distinct), await answers(old)];
        await restart();
        const [newAfter, oldAfter] = [await answers(distinct), await answers(old)];
        console.log(
          `      [measure] bundle old + new CA (distinct subjects): new-CA client ${newBefore ? 'accepted' : 'refused'} before the restart, ${newAfter ? 'accepted' : 'refused'} after; old-CA client ${oldBefore && oldAfter ? 'accepted throughout' : 'refused'}`,
        );
        assert.deepEqual({newBefore, oldBefore, newAfter, oldAfter}, {newBefore: false, oldBefore: true, newAfter: true, oldAfter: true});
        const same = makeCa({name: 'zk', namespace: 'it'}, new Date()); // the same subject as the old CA
        s.writeTls({memberPem: member.keyPem + member.certPem, caPem: old.certPem + same.certPem});
        await s.stop();
        await s.start();
        const rejoined = await ens.waitForQuorum({timeoutMs: 20_000}).then(
          () => true,
          () => false,
        );
        const sameNew = await answers(same).catch(() => false);
        console.log(
          `      [measure] bundle old + new CA of one subject, after a restart: the member ${rejoined ? 'rejoined' : 'did not rejoin the quorum within 20 s'} (its peers' old-CA certificates are no longer trusted); new-CA client ${sameNew ? 'accepted' : 'refused'}`,
        );
        assert.equal(rejoined, false, 'only the last of two CAs of one subject is trusted: rotate-certs gives a new CA its own subject');
        s.writeTls({memberPem: member.keyPem + member.certPem, caPem: old.certPem});
        await restart();
      });

    it('a trust store without the CA, as a Secret-volume update: the client port refuses the dropped CA within seconds', async () => {
      const s = ens.server(2);
      const name = ens.tls!.serverName(2);
      const other = s.issueMemberCertificate(ens.tls!.ca); // the member keeps a valid certificate
      const {makeCa} = await import('../../src/tls/ensemble.js');
      const stranger = makeCa({name: 'zk', namespace: 'it'}, new Date());
      s.writeTls({memberPem: other.keyPem + other.certPem, caPem: stranger.certPem});
      const refusedMs = await until(async () => {
        const r = await new Promise<boolean>((resolve) => {
          const c = tlsConnect({host: '127.0.0.1', port: s.secureEndpoint!.port, ca: id.ca, cert: id.cert, key: id.key, servername: name});
          let got = '';
          c.once('secureConnect', () => c.write('srvr'));
          c.on('data', (d) => (got += d.toString()));
          c.on('error', () => resolve(true));
          c.on('close', () => resolve(!/Mode:/.test(got)));
        });
        return r;
      }, 10_000);
      console.log(`      [measure] trust store changed in a Secret-volume update: the client port refuses the dropped CA after ${refusedMs?.toFixed(0) ?? 'never'} ms`);
      assert.notEqual(refusedMs, undefined);
      s.writeTls({memberPem: other.keyPem + other.certPem, caPem: ens.tls!.ca.certPem});
    });
  });
}
