import assert from 'node:assert/strict';
import {existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {CliError, UsageError} from '../../src/errors.js';
import {loadAssets} from '../../src/manifests/assets.js';
import {ensembleLabels} from '../../src/manifests/labels.js';
import {validateEnsembleOptions} from '../../src/manifests/options.js';
import {renderEnsemble} from '../../src/manifests/render.js';
import {enforceSystemAcls} from '../../src/ops/acl.js';
import {backup, type BackupDeps} from '../../src/ops/backup.js';
import {checkBackupFile, restoreOnMember, verifyTree} from '../../src/ops/restore-core.js';
import {scaleEnsemble} from '../../src/ops/scale.js';
import type {ScaleDeps, ScaleMembers} from '../../src/ops/scale/types.js';
import {gatherStatus} from '../../src/ops/status.js';
import {silentProgress} from '../../src/util/progress.js';
import {realSleep, systemClock} from '../../src/util/time.js';
import {connectZk, type ZkClient} from '../../src/zk/client.js';
import {FakeKube, fakePod} from '../support/fake-kube.js';
import {startEnsemble, zkRuntime, type Ensemble} from './lib/ensemble.js';

/**
 * The restore path on real 3.9.5 servers: a backup of a three-member
 * ensemble restored on the one member of a NEW ensemble (its own super
 * password), made durable by a snapshot, checked against the backup's count
 * and checksum, still equal after a restart, then grown to three members
 * with the real scale op (reconfig; the new members sync from the leader),
 * each member checked on its own. Plus the refusals, before anything is
 * touched, and a second restore inside the rate-limit window.
 */
const NS = 'ns';
const clock = systemClock;

function backupDeps(ens: Ensemble): BackupDeps {
  const byPod = (pod: string) => ens.servers[Number(pod.split('-').at(-1))]!;
  return {
    clock,
    sleep: realSleep,
    members: async () => ens.servers.map((_s, i) => `src-${i}`),
    clientEndpoint: async (pod) => byPod(pod).endpoint,
    adminEndpoint: async (pod) => byPod(pod).adminEndpoint,
    superAuth: async () => ens.superAuth[0]!,
    stdout: process.stdout,
  };
}

/** The real scale op over the harness (as test/integration/scale.test.ts does), the API in memory. */
function scaleDeps(ens: Ensemble, name: string): ScaleDeps {
  const kube = new FakeKube(NS);
  const o = validateEnsembleOptions({name, namespace: NS, replicas: 1}).options;
  kube.seed(...renderEnsemble(o, {superPassword: ens.superPassword}, loadAssets()));
  const labels = ensembleLabels(name, o.image);
  kube.seed(fakePod(NS, `${name}-0`, labels, 'ready'));
  const stsRef = {apiVersion: 'apps/v1', kind: 'StatefulSet', namespace: NS, name};
  const members: ScaleMembers = {
    async replicas() {
      return (await kube.get<{apiVersion: string; kind: string; metadata: {name: string}; spec: {replicas: number}}>(stsRef))!.spec.replicas;
    },
    async endpoints(ordinals) {
      return ordinals.flatMap((i) => ens.servers.filter((s) => s.id === i + 1).map((s) => s.endpoint));
    },
    async launch(ordinal, role) {
      const s = await ens.addServer(ordinal + 1, {role, timeoutMs: 90_000});
      kube.seed(fakePod(NS, `${name}-${ordinal}`, labels, 'ready'));
      await kube.mergePatch(stsRef, {spec: {replicas: ordinal + 1}});
      return {serverLine: s.serverLine(role), volume: 'fresh'};
    },
    async publish() {},
    async retire() {
      throw new Error('not used');
    },
  };
  return {
    members,
    status: () => gatherStatus({name, namespace: NS}, {kube, clock, endpoint: async (_ns, pod) => ens.server(Number(pod.split('-').at(-1)) + 1).endpoint, timeoutMs: 2000}),
    auth: async () => ens.superAuth,
    clock,
    sleep: realSleep,
    progress: silentProgress,
    confirm: async () => true,
    pollMs: 100,
    zkTimeoutMs: 20_000,
  };
}

async function withSuper<T>(endpoints: Ensemble['endpoints'], ens: Ensemble, fn: (c: ZkClient) => Promise<T>): Promise<T> {
  const c = await connectZk({endpoints, auth: ens.superAuth});
  try {
    return await fn(c);
  } finally {
    await c.close();
  }
}

describe('restore against real ZooKeeper 3.9: into a new ensemble, durable, grown, verified', function () {
  this.timeout(300_000);
  let src: Ensemble;
  let dst: Ensemble;
  let dir: string;
  let file: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kzk-restore-'));
    src = await startEnsemble({size: 3, runtime: zkRuntime('3.9')});
    await withSuper(src.endpoints, src, async (c) => {
      await enforceSystemAcls(c);
      await c.create('/app', 'config');
      const w: Promise<unknown>[] = [];
      for (let i = 0; i < 500; i++) w.push(c.create(`/app/k${i}`, Buffer.from(`value-${i}`)));
      await Promise.all(w);
      await c.create('/private', 'secret', {acl: [{scheme: 'digest', id: 'app:aHR0cHM6Ly9leGFtcGxlLm9yZy8=', perms: 'cdrwa'}]});
    });
    // an ephemeral znode whose session is alive while the backup is taken: the snapshot holds it and its session
    const holder = await connectZk({endpoints: src.endpoints, sessionTimeoutMs: 6000});
    await holder.create('/held-ephemeral', 'session-bound', {ephemeral: true});
    file = join(dir, 'src.snap');
    await backup({ensemble: 'src', namespace: NS, file, force: false}, backupDeps(src));
    await holder.close();
    dst = await startEnsemble({size: 1, runtime: zkRuntime('3.9')});
    await withSuper(dst.endpoints, dst, async (c) => {
      await enforceSystemAcls(c);
      await c.create('/made-before-restore', 'gone after');
    });
    assert.notEqual(dst.superPassword, src.superPassword, 'the new ensemble has a password of its own');
  });

  after(async () => {
    await Promise.all([src?.stopAll(), dst?.stopAll()]);
    if (dir) rmSync(dir, {recursive: true, force: true});
  });

  it('refuses a missing file, a file that is not a snapshot, and a corrupted or truncated one, each with one clear error', async () => {
    await assert.rejects(checkBackupFile(join(dir, 'missing.snap')), (e: unknown) => e instanceof UsageError && /cannot read --from .*no such file/.test(e.message));
    const json = join(dir, 'tree.jsonl');
    writeFileSync(json, '{"format":"kubectl-zk/tree"}\n');
    await assert.rejects(checkBackupFile(json), (e: unknown) => e instanceof UsageError && /not a ZooKeeper snapshot/.test(e.message) && /kubectl zk import/.test(e.hint ?? ''));
    const bytes = readFileSync(file);
    const flipped = join(dir, 'flipped.snap');
    const copy = Buffer.from(bytes);
    copy[copy.length - 100]! ^= 0xff;
    writeFileSync(flipped, copy);
    writeFileSync(`${flipped}.json`, readFileSync(`${file}.json`));
    await assert.rejects(checkBackupFile(flipped), (e: unknown) => e instanceof CliError && /does not match its manifest|damaged/.test(e.message));
    const cut = join(dir, 'cut.snap');
    writeFileSync(cut, bytes.subarray(0, Math.floor(bytes.length / 2)));
    await assert.rejects(checkBackupFile(cut), (e: unknown) => e instanceof CliError && /damaged: .*truncated/.test(e.message));
  });

  it("restores on the new ensemble's member with ITS super password; the tree equals the backup (count, checksum); ACLs come along", async () => {
    const checked = await checkBackupFile(file);
    assert.equal(checked.znodes, checked.manifest!.znodes);
    const s = dst.servers[0]!;
    const r = await restoreOnMember(s.adminEndpoint, checked, dst.superAuth[0]!, {ensemble: 'dst', pod: 'dst-0', version: '3.9.5'}, {clock: systemClock, sleep: realSleep});
    assert.match(r.snapshotZxid ?? '', /^0x/);
    await withSuper(dst.endpoints, dst, async (c) => {
      const v = await verifyTree(c, checked, 'dst-0');
      assert.ok(v.ok, `restored ${v.znodes} znodes, checksum ${v.checksum}; backup ${checked.znodes}, ${checked.checksum}`);
      assert.equal(await c.exists('/made-before-restore'), null);
      assert.ok(checked.ephemeral >= 1, `the backup holds ${checked.ephemeral} ephemeral znodes`);
      console.log(`      [measure] the backup's ephemeral znode right after the live restore: ${(await c.exists('/held-ephemeral')) !== null ? 'present' : 'absent'}`);
      assert.equal((await c.get('/private')).data.toString(), 'secret', 'the new super password passes the restored ACLs');
      const config = (await c.get('/zookeeper/config')).data.toString();
      console.log(
        `      [measure] /zookeeper/config after restore: ${JSON.stringify(
          config
            .split('\n')
            .filter((l) => l.startsWith('server.'))
            .map((l) => l.replace(/=.*/, '')),
        )} (dst has ${dst.servers.length} server)`,
      );
    });
  });

  it('a second restore inside the rate-limit window is explained, not a raw 429; nothing changes', async () => {
    const checked = await checkBackupFile(file);
    await withSuper(dst.endpoints, dst, (c) => c.create('/after-restore', 'stays'));
    await assert.rejects(
      restoreOnMember(dst.servers[0]!.adminEndpoint, checked, dst.superAuth[0]!, {ensemble: 'dst', pod: 'dst-0', version: '3.9.5'}, {clock: systemClock, sleep: realSleep}),
      (e: unknown) => e instanceof CliError && /less than the rate-limit interval ago/.test(e.message) && /wait/.test(e.hint ?? ''),
    );
    await withSuper(dst.endpoints, dst, async (c) => {
      assert.equal((await c.get('/after-restore')).data.toString(), 'stays');
      await c.delete('/after-restore');
    });
  });

  it('durable: after a restart of the member the tree still equals the backup, and /zookeeper/config is the new ensemble’s again', async () => {
    const checked = await checkBackupFile(file);
    await dst.servers[0]!.stop();
    await dst.servers[0]!.start();
    await dst.waitForQuorum({timeoutMs: 90_000});
    await withSuper(dst.endpoints, dst, async (c) => {
      const v = await verifyTree(c, checked, 'dst-0 after restart');
      assert.ok(v.ok, `after restart: ${v.znodes} znodes (backup ${checked.znodes})`);
      // the backup's ephemeral znode: its session came back with the snapshot but has no client: it expires
      const deadline = Date.now() + 60_000;
      let polls = 0;
      while ((await c.exists('/held-ephemeral')) !== null) {
        assert.ok(Date.now() < deadline, 'the restored ephemeral znode outlived its session after the restart');
        polls++;
        await realSleep(500);
      }
      console.log(`      [measure] after the restart the backup's ephemeral znode was gone after ${polls} polls`);
      const config = (await c.get('/zookeeper/config')).data.toString();
      const servers = config
        .split('\n')
        .filter((l) => l.startsWith('server.'))
        .map((l) => l.replace(/=.*/, ''));
      // restore brings the backup's /zookeeper/config (the source's members); a restart rewrites it from the member's own config
      assert.deepEqual(servers, ['server.1'], "after the restart /zookeeper/config is the new ensemble's own");
    });
  });

  it("grown to three members with the scale op: every member, read on its own, holds the backup's tree", async () => {
    const checked = await checkBackupFile(file);
    const res = await scaleEnsemble({name: 'dst', namespace: NS, voters: 3, keepVolumes: true, force: false, dryRun: false, wait: true, timeoutMs: 120_000}, scaleDeps(dst, 'dst'));
    assert.equal(dst.servers.length, 3, `the scale op added two members (${JSON.stringify(res).slice(0, 200)})`);
    for (const s of dst.servers) {
      await withSuper([s.endpoint], dst, async (c) => {
        const v = await verifyTree(c, checked, `server ${s.id}`);
        assert.ok(v.ok, `server ${s.id}: ${v.znodes} znodes (backup ${checked.znodes})`);
      });
    }
    assert.ok(existsSync(file));
  });
});
