/**
 * `kubectl zk status` gathering against a REAL 3-server ZooKeeper ensemble on
 * loopback: the members' own answers (srvr, mntr, conf) are real; only the
 * Kubernetes side (StatefulSet, pods) is the in-memory API.
 */
import assert from 'node:assert/strict';
import {ensembleLabels} from '../../src/manifests/labels.js';
import {diffReports, exitCodeOf, gatherStatus, watchStatus, type Change, type StatusDeps} from '../../src/ops/status.js';
import {renderStatus} from '../../src/render/status.js';
import {noPaint} from '../../src/util/progress.js';
import {realSleep, systemClock} from '../../src/util/time.js';
import {FakeKube, fakePod, seedEnsemble} from '../support/fake-kube.js';
import {startEnsemble, type Ensemble} from './lib/ensemble.js';

describe('integration: status against a real ensemble', function () {
  this.timeout(180_000);
  let ens: Ensemble;
  let kube: FakeKube;
  let deps: StatusDeps;
  const req = {name: 'zk', namespace: 'ns'};

  before(async () => {
    ens = await startEnsemble({size: 3});
    kube = new FakeKube('ns');
    await seedEnsemble(kube, 'zk', 'ns', 3);
    // pod zk-<i> is server id i+1, as in the real layout
    deps = {kube, clock: systemClock, endpoint: async (_ns, pod) => ens.server(Number(pod.split('-')[1]) + 1).endpoint, timeoutMs: 2000};
  });
  after(async () => ens?.stopAll());

  async function restartStopped(): Promise<void> {
    for (const s of ens.servers) if (!s.running) await s.start();
    await ens.waitForQuorum({timeoutMs: 60_000});
  }

  it('a fresh ensemble: one leader, two followers, quorum that tolerates one failure, healthy (exit 0)', async () => {
    const r = await gatherStatus(req, deps);
    assert.deepEqual(r.members.map((m) => m.role).sort(), ['follower', 'follower', 'leader']);
    assert.equal(r.quorum.has, true);
    assert.equal(r.quorum.voters, 3);
    assert.equal(r.quorum.needed, 2);
    assert.equal(r.quorum.tolerates, 1);
    assert.equal(r.sync?.followers, 2);
    assert.deepEqual(
      r.config?.members.map((m) => m.id),
      [1, 2, 3],
    );
    assert.match(r.config!.version!, /^[0-9a-f]+$/);
    for (const m of r.members) {
      assert.match(m.zxid!, /^0x[0-9a-f]+$/);
      assert.equal(m.version, ens.runtime.version.match(/^\d+\.\d+\.\d+/)?.[0]);
      assert.equal(m.configRole, 'participant');
    }
    assert.equal(r.health, 'healthy', JSON.stringify(r.warnings));
    assert.equal(exitCodeOf(r.health), 0);
    assert.deepEqual(r.errors, []);
    const text = renderStatus(r, noPaint);
    assert.match(text, /Quorum:\s+yes, 3\/3 voters serving, needs 2, tolerates 1 more failure$/m);
    assert.match(text, /^zk-\d\s+\d\s+leader\s/m);
  });

  it('the watch loop sees a killed leader replaced, with a timestamped "leader A → B" change', async () => {
    const abort = new AbortController();
    const changes: Change[] = [];
    let killedAt = 0;
    let first: string | undefined;
    const loop = watchStatus({...req, intervalMs: 100}, {...deps, sleep: realSleep, signal: abort.signal}, ({report, changes: c}) => {
      changes.push(...c);
      if (report && !first && report.quorum.leader) {
        first = report.quorum.leader;
        killedAt = Date.now();
        ens.server(Number(first.split('-')[1]) + 1).kill('SIGKILL');
      }
      if (c.some((x) => x.kind === 'leader' && !x.text.endsWith('→ none'))) abort.abort();
    });
    const timer = setTimeout(() => abort.abort(), 60_000);
    const result = await loop;
    clearTimeout(timer);
    const leaderChanges = changes.filter((c) => c.kind === 'leader');
    const last = leaderChanges.at(-1)!;
    assert.ok(last, `no leader change seen: ${JSON.stringify(changes)}`);
    assert.match(last.text, /→ zk-\d$/);
    assert.notEqual(last.text.split('→ ')[1], first);
    assert.ok(
      changes.some((c) => c.kind === 'unreachable' && c.text.startsWith(first!)),
      'the old leader went unreachable',
    );
    assert.ok(!Number.isNaN(Date.parse(last.time)));
    console.log(`      [measure] new leader seen by the watch loop ${Date.parse(last.time) - killedAt} ms after kill -9 (${result.refreshes} refreshes at 100 ms)`);
    await restartStopped();
  });

  it('a dead follower: degraded (exit 3), the member unreachable, the error listed, tolerates 0', async () => {
    const before = await gatherStatus(req, deps);
    const follower = before.members.find((m) => m.role === 'follower')!;
    ens.server(follower.serverId).kill('SIGKILL');
    await ens.server(follower.serverId).exited();
    const r = await gatherStatus(req, deps);
    const row = r.members.find((m) => m.pod === follower.pod)!;
    assert.equal(row.role, 'unreachable');
    assert.equal(r.quorum.has, true);
    assert.equal(r.quorum.tolerates, 0);
    assert.equal(r.health, 'degraded');
    assert.equal(exitCodeOf(r.health), 3);
    assert.ok(
      r.errors.some((e) => e.startsWith(follower.pod)),
      JSON.stringify(r.errors),
    );
    const changes = diffReports(before, r);
    assert.ok(changes.some((c) => c.kind === 'unreachable' && c.text.startsWith(`${follower.pod} went unreachable`)));
    await restartStopped();
    const back = await gatherStatus(req, deps);
    assert.ok(diffReports(r, back).some((c) => c.kind === 'back' && c.text.startsWith(`${follower.pod} came back as`)));
  });

  it('two dead members: no quorum (exit 4)', async () => {
    ens.server(1).kill('SIGKILL');
    ens.server(2).kill('SIGKILL');
    try {
      await Promise.all([ens.server(1).exited(), ens.server(2).exited()]);
      let r = await gatherStatus(req, deps);
      assert.equal(r.quorum.has, false);
      assert.equal(r.quorum.leader, undefined);
      assert.equal(r.health, 'no-quorum');
      assert.equal(exitCodeOf(r.health), 4);
      // the survivor notices within a few ticks that it has lost its leader (or, when it led, its
      // followers: it says 'leader' until syncLimit ticks pass without their acks); while it shuts down
      // it closes client connections, so one poll may see it 'unreachable' in between
      const settling = (role: string) => role === 'follower' || role === 'leader' || role === 'unreachable';
      for (let i = 0; i < 50 && settling(r.members.find((m) => m.serverId === 3)!.role); i++) {
        await realSleep(200);
        r = await gatherStatus(req, deps);
      }
      assert.equal(r.members.find((m) => m.serverId === 3)!.role, 'not serving');
    } finally {
      await restartStopped(); // the next tests need the whole ensemble, even after a failure here
    }
  });

  it('a member that is not in the committed config is flagged (someone scaled the StatefulSet by hand)', async () => {
    kube.seed(fakePod('ns', 'zk-3', ensembleLabels('zk', 'zookeeper:3.9.4'), 'running'));
    const r = await gatherStatus(req, {...deps, endpoint: async (ns, pod) => (pod === 'zk-3' ? {host: '127.0.0.1', port: 1} : deps.endpoint(ns, pod))});
    assert.ok(
      r.warnings.some((w) => /pod\(s\) not in the committed config: zk-3/.test(w)),
      JSON.stringify({w: r.warnings, e: r.errors, c: r.config, m: r.members.map((m) => [m.pod, m.role])}),
    );
    assert.equal(r.health, 'degraded');
    await kube.delete({apiVersion: 'v1', kind: 'Pod', namespace: 'ns', name: 'zk-3'});
  });
});
