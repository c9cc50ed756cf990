/**
 * SIGHUP and SIGTERM sent to this process while `kubectl zk scale` runs in it
 * (the command as shipped, through oclif: test/support/inprocess.ts) against
 * REAL ZooKeeper processes on loopback; the in-memory API stands in for the
 * StatefulSet and pods (no controller: a pod the scale-down retires stays
 * until the test deletes it). Each run is signalled at a point of the
 * scale-down 3 → 2:
 * - SIGHUP once server.3 is out of the committed config and the StatefulSet is
 *   patched, while the pod is awaited to go;
 * - SIGTERM as soon as the lock is taken (before the plan's first change).
 * It stops there: exit 129 / 143, one `error: …` line saying where and how to
 * resume, the lock released, every port-forward closed; the real ensemble
 * keeps its quorum, and running the same command again completes.
 */
import assert from 'node:assert/strict';
import {loadAssets} from '../../src/manifests/assets.js';
import {ensembleLabels} from '../../src/manifests/labels.js';
import {validateEnsembleOptions} from '../../src/manifests/options.js';
import {renderEnsemble} from '../../src/manifests/render.js';
import {readConfig} from '../../src/zk/reconfig.js';
import {FakeKube, fakePod} from '../support/fake-kube.js';
import {runInProcess, type InProcessRun} from '../support/inprocess.js';
import {firstOf} from '../support/time.js';
import {startEnsemble, type Ensemble} from './lib/ensemble.js';

const NS = 'ns';
const NAME = 'zk';

interface Bed {
  kube: FakeKube;
  opened: number;
  closed: number;
}

function bed(ens: Ensemble, size: number): Bed {
  const kube = new FakeKube(NS);
  const o = validateEnsembleOptions({name: NAME, namespace: NS, replicas: size}).options;
  kube.seed(...renderEnsemble(o, {superPassword: ens.superPassword}, loadAssets()));
  const labels = ensembleLabels(NAME, o.image);
  for (let i = 0; i < size; i++) kube.seed(fakePod(NS, `${NAME}-${i}`, labels, 'ready'));
  kube.forwardTo = (pod, port) => {
    const s = ens.servers.find((x) => x.id === Number(pod.split('-')[1]) + 1);
    return port === 2181 && s?.running ? s.endpoint : undefined;
  };
  const b: Bed = {kube, opened: 0, closed: 0};
  const forward = kube.portForward.bind(kube);
  kube.portForward = async (ns, pod, port) => {
    const f = await forward(ns, pod, port);
    b.opened++;
    return {...f, close: async () => void b.closed++};
  };
  return b;
}

async function signalled(b: Bed, argv: string[], at: () => boolean, sig: NodeJS.Signals): Promise<InProcessRun> {
  const keep = () => undefined;
  process.on(sig, keep); // a signal that arrives late must not end mocha
  try {
    let run: InProcessRun | undefined;
    const p = runInProcess('scale', argv, {kube: b.kube, lock: true}).then((r) => (run = r));
    const reached = (async () => {
      while (!at() && run === undefined) await new Promise((r) => setTimeout(r, 2));
    })();
    assert.equal(await firstOf(reached, 'never', 120_000), 'settled', 'the point to signal at was not reached');
    assert.equal(run, undefined, `scale ended before the point to signal at: ${run?.stderrAsCli}`);
    process.kill(process.pid, sig);
    assert.equal(await firstOf(p, 'hung', 120_000), 'settled', `scale did not stop after ${sig}`);
    return run!;
  } finally {
    process.removeListener(sig, keep);
  }
}

function releasedAndClosed(b: Bed): void {
  const lease = b.kube.all('Lease').find((l) => l.metadata.name === `${NAME}-kubectl-zk-lock`) as {spec?: {holderIdentity?: string | null}} | undefined;
  assert.ok(lease, 'took the lock');
  assert.equal(lease.spec?.holderIdentity, null, 'released the lock');
  assert.ok(b.opened > 0, 'opened port-forwards');
  assert.equal(b.closed, b.opened, 'closed every port-forward it opened');
}

const lastLine = (r: InProcessRun) => r.stderrAsCli.trimEnd().split('\n').at(-1)!;
const voters = async (ens: Ensemble) => (await readConfig(ens.servers.filter((s) => s.running).map((s) => s.endpoint))).config.servers.filter((s) => s.role === 'participant').map((s) => s.id);
const ARGV = ['zk', '--replicas', '2', '--yes', '--timeout', '1000h'];

describe('integration: SIGHUP and SIGTERM during scale (the command in process, real ZooKeeper)', function () {
  this.timeout(600_000);
  let ens: Ensemble | undefined;
  afterEach(async () => {
    await ens?.stopAll();
    ens = undefined;
  });

  it('SIGHUP after server.3 left the config, while its pod is awaited to go: exit 129, says where and how to resume; lock released, port-forwards closed; running again completes', async () => {
    ens = await startEnsemble({size: 3});
    const b = bed(ens, 3);
    const r = await signalled(b, ARGV, () => b.kube.calls.includes(`patch StatefulSet/${NAME}`), 'SIGHUP');
    assert.equal(r.exit, 129, r.stderrAsCli);
    assert.match(r.stderr, /SIGHUP received: stopping at the next safe point/);
    assert.match(lastLine(r), /^error: .*stopped at step 1 of 1 \(no step done\); its membership change is committed \(config [0-9a-fx]+: server\.3 is out\), it stopped at: .*zk-2/);
    assert.match(lastLine(r), /run (scale|the same command) again/);
    releasedAndClosed(b);
    assert.deepEqual(await voters(ens), [1, 2], 'the state left: server.3 is out of the committed config');
    // what the controller and the kubelet would have done meanwhile; then the same command again
    await ens.servers.find((s) => s.id === 3)!.stop();
    await b.kube.delete({apiVersion: 'v1', kind: 'Pod', namespace: NS, name: `${NAME}-2`});
    const again = await runInProcess('scale', ARGV, {kube: b.kube, lock: true});
    assert.equal(again.exit, 0, again.stderrAsCli);
    assert.deepEqual(await voters(ens), [1, 2]);
  });

  it('SIGTERM as soon as the lock is taken: exit 143 before any change; lock released, port-forwards closed; the membership untouched', async () => {
    ens = await startEnsemble({size: 3});
    const b = bed(ens, 3);
    const r = await signalled(b, ARGV, () => b.kube.calls.includes(`create Lease/${NAME}-kubectl-zk-lock`), 'SIGTERM');
    assert.equal(r.exit, 143, r.stderrAsCli);
    assert.match(lastLine(r), /^error: /);
    releasedAndClosed(b);
    assert.deepEqual(await voters(ens), [1, 2, 3], 'nothing changed');
    assert.ok(!b.kube.calls.includes(`patch StatefulSet/${NAME}`), 'the StatefulSet untouched');
  });
});
