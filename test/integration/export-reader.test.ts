import assert from 'node:assert/strict';
import {PassThrough} from 'node:stream';
import {performance} from 'node:perf_hooks';
import {exportTree, type TransferDeps} from '../../src/ops/transfer.js';
import {connectZk, type ZkClient} from '../../src/zk/client.js';
import {isZkError} from '../../src/zk/errors.js';
import {openTreeReader, type TreeReader} from '../../src/zk/reader.js';
import {startEnsemble, zkRuntime, type Ensemble} from './lib/ensemble.js';
import {CliError} from '../../src/errors.js';
import {inFlight} from '../support/in-flight.js';

/**
 * export over the project's own wire client (zk/reader.ts) against export over
 * node-zookeeper-client, on real 3.8 and 3.9 servers: the same lines (order
 * aside, the header's time aside), the same trailer; ephemeral znodes flagged
 * and out of the checksum as before; requests pipelined within the window; a
 * refused read and a cut connection fail the export.
 */
const clock = {now: () => Date.now()};

async function exportLines(deps: Omit<TransferDeps, 'clock'>, root: string, window?: number) {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  const t0 = performance.now();
  const r = await exportTree({ensemble: 'zk', namespace: 'test', root, window}, out, {clock, ...deps});
  const ms = performance.now() - t0;
  out.end();
  const lines = Buffer.concat(chunks).toString('utf8').trim().split('\n');
  const header = JSON.parse(lines[0]!) as Record<string, unknown>;
  delete header.time;
  return {r, ms, header, records: lines.slice(1, -1).sort(), trailer: lines.at(-1)!};
}

/** Counts a reader's requests in flight. */
function counting(r: TreeReader): {reader: TreeReader; max: () => number} {
  const {wrap, max} = inFlight();
  const reader: TreeReader = {
    get sessionId() {
      return r.sessionId;
    },
    batched: r.batched,
    get: wrap(r.get.bind(r)),
    getAcl: wrap(r.getAcl.bind(r)),
    ls: wrap(r.ls.bind(r)),
    close: () => r.close(),
  };
  return {reader, max};
}

for (const line of ['3.8', '3.9']) {
  describe(`export over the native reader vs node-zookeeper-client (${line})`, function () {
    this.timeout(240_000);
    let ens: Ensemble;
    let c: ZkClient;
    let holder: ZkClient;
    const N = 3000;

    before(async () => {
      ens = await startEnsemble({size: 1, runtime: zkRuntime(line)});
      c = await connectZk({endpoints: ens.endpoints, auth: ens.superAuth});
      holder = await connectZk({endpoints: ens.endpoints});
      await c.create('/app', 'root');
      const w: Promise<unknown>[] = [];
      for (let i = 0; i < 40; i++) w.push(c.create(`/app/d${i}`, Buffer.from([i, 0, 255])));
      await Promise.all(w);
      w.length = 0;
      for (let i = 0; i < N; i++) w.push(c.create(`/app/d${i % 40}/n${i}`, Buffer.alloc(i % 1500, i % 251)));
      await Promise.all(w);
      await c.create('/app/private', 'secret', {acl: [{scheme: 'digest', id: 'app:aHR0cHM6Ly9leGFtcGxlLm9yZy8=', perms: 'cdrwa'}]});
      await c.create('/app/ro', 'read only', {acl: [{scheme: 'world', id: 'anyone', perms: 'r'}]});
      await c.create('/app/empty');
      await c.create('/app/utf8-\u00e9\u6f22', '\u00e9');
      await holder.create('/app/lock', 'held', {ephemeral: true});
      await holder.create('/app/d1/seq-', 'e', {ephemeral: true, sequential: true});
    });

    after(async () => {
      await Promise.all([c, holder].map((x) => x?.close()));
      await ens?.stopAll();
    });

    const native =
      (auth = true) =>
      () =>
        openTreeReader({endpoints: ens.endpoints, auth: auth ? ens.superAuth : []});

    it('writes the same lines and the same end line as the node-zookeeper-client path, with many requests in flight', async () => {
      const old = await exportLines({connect: () => connectZk({endpoints: ens.endpoints, auth: ens.superAuth})}, '/');
      let counted: ReturnType<typeof counting> | undefined;
      const cur = await exportLines(
        {
          connect: () => Promise.reject(new Error('the reader is used, not connect')),
          reader: async () => (counted = counting(await native()())).reader,
        },
        '/',
      );
      assert.deepEqual(cur.header, old.header);
      assert.equal(cur.records.length, N + 48, '/, /app, 40 dirs, N leaves, 4 more, 2 ephemeral');
      assert.deepEqual(cur.records, old.records);
      assert.equal(cur.trailer, old.trailer);
      assert.equal(cur.r.ephemeral, 2);
      assert.equal(cur.r.checksum, old.r.checksum);
      assert.ok(counted!.max() > 100, `at most ${counted!.max()} requests in flight: the reader does not pipeline`);
      const lock = cur.records.map((l) => JSON.parse(l)).find((x) => x.path === '/app/lock');
      assert.equal(lock.kind, 'ephemeral');
      assert.match(lock.stat.ephemeralOwner, /^0x[0-9a-f]+$/);
      console.log(`      ${N + 48} znodes: native ${cur.ms.toFixed(0)} ms, node-zookeeper-client ${old.ms.toFixed(0)} ms (${(old.ms / cur.ms).toFixed(1)}x)`);
    });

    it('keeps to the window', async () => {
      let counted: ReturnType<typeof counting> | undefined;
      const r = await exportLines({connect: () => Promise.reject(new Error('unused')), reader: async () => (counted = counting(await native()())).reader}, '/app', 8);
      assert.equal(r.r.znodes, N + 47);
      assert.ok(counted!.max() <= 2 * 8 + 1, `window 8 but ${counted!.max()} in flight`);
    });

    it('a znode the ACL closes fails the export without the super user (NoAuth, with the hint)', async () => {
      await assert.rejects(
        exportLines({connect: () => Promise.reject(new Error('unused')), reader: native(false)}, '/app'),
        (e: unknown) => e instanceof CliError && isZkError(e.cause, 'NoAuth') && /--as-super/.test(e.hint ?? ''),
      );
    });

    it('a missing root is NoNode; a cut connection fails the export with ConnectionLoss', async () => {
      await assert.rejects(exportLines({connect: () => Promise.reject(new Error('unused')), reader: native()}, '/nothing'), (e: unknown) => isZkError(e, 'NoNode'));
      let reader: TreeReader | undefined;
      const cut = exportLines(
        {
          connect: () => Promise.reject(new Error('unused')),
          reader: async () => (reader = await native()()),
          onProgress: (n) => {
            if (n === 1000) (reader as unknown as {s: {socket: {destroy(): void}}[]}).s[0]!.socket.destroy();
          },
        },
        '/app',
      );
      await assert.rejects(cut, (e: unknown) => isZkError(e, 'ConnectionLoss'));
    });
  });
}
