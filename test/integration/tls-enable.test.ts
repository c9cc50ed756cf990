/**
 * `kubectl zk tls enable`'s order on a real 3-server ZooKeeper (the pinned
 * 3.9 line), servers restarted one at a time with the leader last as the roll
 * does, under a writer and a held session: plain → roll 1 (secure client port
 * next to the plain one, quorum unified, dialling plain) → roll 2 (dialling
 * TLS) → the plain client port moved off the address clients use by reconfig
 * (here from 127.0.0.1 to 127.0.0.2; in a pod to its loopback) → roll 3 (create
 * --tls's settings). The held session's connect string has every member's plain
 * port and its TLS endpoint: it reconnects over TLS when the plain port goes.
 */
import {strict as assert} from 'node:assert';
import {readFileSync} from 'node:fs';
import {Socket} from 'node:net';
import {join} from 'node:path';
import {tlsEnableZooCfg, type TlsRoll} from '../../src/manifests/tls-enable.js';
import {tlsClientEndpoint, type TlsEndpoint, type TlsIdentity} from '../../src/tls/endpoint.js';
import {connectZk, type ZkClient} from '../../src/zk/client.js';
import {formatServerLine} from '../../src/zk/parse.js';
import {readConfig, reconfigAndConfirm} from '../../src/zk/reconfig.js';
import {fourLetterWord} from '../support/zk.js';
import {startEnsemble, type Ensemble, type ZkServer} from './lib/ensemble.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function plainOpen(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = new Socket();
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
    s.connect(port, host);
  });
}

describe('integration: tls enable phases on a real ensemble (plaintext → TLS, no downtime)', function () {
  this.timeout(400_000);
  let ens: Ensemble;
  const eps = new Map<number, TlsEndpoint>();
  let identity: TlsIdentity;

  before(async () => {
    ens = await startEnsemble({size: 3, tls: true, tlsCfg: () => ''});
    identity = {ca: ens.tls!.ca.certPem, cert: ens.tls!.client.certPem, key: ens.tls!.client.keyPem};
    for (const s of ens.servers) eps.set(s.id, await tlsClientEndpoint(s.secureEndpoint!, identity, ens.tls!.serverName(s.id)));
  });
  after(async () => {
    await Promise.all([...eps.values()].map((e) => e.close()));
    await ens?.stopAll();
  });

  /** What a member accepts, asked of it: srvr over the plain port (127.0.0.1) and over TLS. */
  async function accepts(s: ZkServer): Promise<{plain: boolean; tls: boolean}> {
    const ask = (ep: {host: string; port: number}) =>
      fourLetterWord(ep, 'srvr', {timeoutMs: 3000})
        .then((o) => /Mode:/.test(o))
        .catch(() => false);
    return {plain: await ask({host: '127.0.0.1', port: s.clientPort}), tls: await ask(eps.get(s.id)!)};
  }

  /** Every server serves and one leads, asked over TLS when the plain port is gone. */
  async function quorumOver(secure: boolean): Promise<ZkServer> {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const modes = await Promise.all(
        ens.servers.map((s) =>
          fourLetterWord(secure ? eps.get(s.id)! : s.endpoint, 'srvr', {timeoutMs: 2000})
            .then((o) => /^Mode: (\w+)/m.exec(o)?.[1] ?? 'none')
            .catch(() => 'down'),
        ),
      );
      if (modes.filter((m) => m === 'leader').length === 1 && modes.every((m) => m === 'leader' || m === 'follower')) return ens.servers[modes.indexOf('leader')]!;
      if (Date.now() > deadline) throw new Error(`no quorum: ${modes.join(',')}`);
      await sleep(200);
    }
  }

  /** One roll: followers first, the leader last, each restarted with the roll's settings and back in the quorum before the next. */
  async function roll(to: TlsRoll, secure: boolean): Promise<void> {
    const leader = await quorumOver(secure);
    const order = [...ens.servers.filter((s) => s !== leader), leader];
    for (const s of order) {
      await s.stop();
      s.rewriteTls((trustStore, port) => tlsEnableZooCfg(to, trustStore, port));
      await s.start();
      await quorumOver(secure);
    }
  }

  it('moves to TLS in the documented order: no acknowledged write lost, the held session kept, plain refused at the end', async () => {
    const all = ens.servers.flatMap((s) => [s.endpoint, {host: eps.get(s.id)!.host, port: eps.get(s.id)!.port}]);
    const client: ZkClient = await connectZk({endpoints: all, sessionTimeoutMs: 30_000, connectTimeoutMs: 15_000});
    const session = client.sessionId;
    const states: string[] = [];
    client.onState((st) => states.push(st));
    await client.create('/w', Buffer.from(''));
    const acked: string[] = [];
    let failed = 0;
    let running = true;
    const writer = (async () => {
      for (let i = 0; running; i++) {
        try {
          await client.create(`/w/n${String(i).padStart(6, '0')}`, Buffer.from(String(i)));
          acked.push(`n${String(i).padStart(6, '0')}`);
        } catch {
          failed++;
        }
        await sleep(50);
      }
    })();
    try {
      for (const s of ens.servers) assert.deepEqual(await accepts(s), {plain: true, tls: false}, `server ${s.id} before`);
      await roll('quorum-unified', false);
      for (const s of ens.servers) {
        assert.deepEqual(await accepts(s), {plain: true, tls: true}, `server ${s.id} after roll 1`);
        assert.doesNotMatch(readFileSync(s.logPath, 'utf8'), /Using TLS encrypted quorum communication/);
      }
      await roll('quorum-tls', false);
      for (const s of ens.servers) assert.match(readFileSync(s.logPath, 'utf8'), /Using TLS encrypted quorum communication/, `server ${s.id} dials in TLS after roll 2`);
      // clients: the plain port leaves the address clients use (reconfig: each member rebinds it, no restart)
      const committed = await readConfig([eps.get(1)!], {connectTimeoutMs: 5000});
      const moved = committed.config.servers.map((x) => formatServerLine({...x, clientAddress: '127.0.0.2'}));
      await reconfigAndConfirm([eps.get(1)!, eps.get(2)!, eps.get(3)!], {add: moved, auth: ens.superAuth}, {connectTimeoutMs: 5000});
      for (const s of ens.servers) s.plainHost = '127.0.0.2';
      await sleep(1000);
      for (const s of ens.servers) {
        assert.equal(await plainOpen('127.0.0.1', s.clientPort), false, `server ${s.id}: the plain port is gone from 127.0.0.1`);
        assert.equal(await plainOpen('127.0.0.2', s.clientPort), true, `server ${s.id}: the plain port listens on the new address`);
      }
      await roll('tls', true);
      const after = await readConfig([eps.get(2)!], {connectTimeoutMs: 5000});
      assert.ok(
        after.config.servers.every((x) => x.clientAddress === '127.0.0.2'),
        after.raw,
      );
      for (const s of ens.servers) {
        assert.deepEqual(await accepts(s), {plain: false, tls: true}, `server ${s.id} at the end`);
        assert.doesNotMatch(readFileSync(join(s.dir, 'zoo.cfg'), 'utf8'), /portUnification/);
      }
      await sleep(2000);
    } finally {
      running = false;
      await writer;
    }
    const present = new Set(await client.ls('/w'));
    const lost = acked.filter((p) => !present.has(p));
    console.log(
      `      [measure] tls enable phases on ZooKeeper ${ens.runtime.version}: writer ${acked.length} acked, ${failed} failed, ${lost.length} lost; session kept ${client.sessionId === session && !states.includes('expired')} (states ${states.join(',')})`,
    );
    assert.deepEqual(lost, []);
    assert.equal(client.sessionId, session);
    assert.ok(!states.includes('expired'));
    await client.close();
  });
});
