/**
 * While a tls enable is part-way (a phase recorded on NAME-config, not done),
 * scale, member replace, restart and upgrade refuse (exit 3) before anything
 * changes, naming `kubectl zk tls enable NAME` to resume; secure's refusal is
 * the same check (src/ops/tls/enable-template.ts refuseDuringTlsEnable).
 */
import assert from 'node:assert/strict';
import {CliError} from '../../../src/errors.js';
import type {KubeObject} from '../../../src/kube/types.js';
import {TLS_ENABLE_ANNOTATION} from '../../../src/manifests/labels.js';
import {refuseDuringTlsEnable} from '../../../src/ops/tls/enable-template.js';
import {oneErrorLine} from '../../support/cli.js';
import {FakeKube, seedEnsemble} from '../../support/fake-kube.js';
import {runInProcess} from '../../support/inprocess.js';

const MUTATING = /^(apply|create|update|patch|delete|evict|exec) /;

async function partWay(phase: string): Promise<FakeKube> {
  const kube = new FakeKube('team-a');
  await seedEnsemble(kube, 'zk', 'team-a', 3);
  const cm = kube.all('ConfigMap').find((c) => c.metadata.name === 'zk-config')!;
  kube.seed({...cm, metadata: {...cm.metadata, annotations: {...cm.metadata.annotations, [TLS_ENABLE_ANNOTATION]: phase}}});
  kube.calls.length = 0;
  return kube;
}

describe('a tls enable part-way: scale, member replace, restart, upgrade refuse', () => {
  for (const [id, argv, what] of [
    ['scale', ['zk', '--replicas', '5', '--yes'], 'scale'],
    ['member:replace', ['zk', '1', '--yes'], 'member replace'],
    ['restart', ['zk', '--yes'], 'restart'],
    ['upgrade', ['zk', '--image', 'zookeeper:3.9.5', '--yes'], 'upgrade'],
    ['restart', ['zk', '--dry-run'], 'restart --dry-run'],
  ] as const) {
    it(`${what}: exit 3, one error line naming kubectl zk tls enable zk, nothing changed`, async () => {
      const kube = await partWay('quorum-unified');
      const r = await runInProcess(id as never, [...argv], {kube, lock: true});
      assert.equal(r.exit, 3, r.stderrAsCli);
      const line = oneErrorLine({stdout: r.stdout, stderr: r.stderrAsCli}, what);
      assert.match(line, /^error: a tls enable of "zk" is part-way \(its last phase done: quorum-unified\); .* \(finish it first: kubectl zk tls enable zk -n team-a\)$/);
      assert.deepEqual(
        kube.calls.filter((c) => MUTATING.test(c) && !c.includes(' Lease/')),
        [],
      );
    });
  }

  it('the check itself: no phase or done passes; every other phase refuses', () => {
    const cm = (phase?: string): KubeObject => ({apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: 'zk-config', annotations: phase ? {[TLS_ENABLE_ANNOTATION]: phase} : {}}});
    const o = {name: 'zk', namespace: 'a', why: 'x'};
    refuseDuringTlsEnable(cm(), o);
    refuseDuringTlsEnable(cm('done'), o);
    refuseDuringTlsEnable(null, o);
    for (const p of ['certificates', 'quorum-unified', 'quorum-tls', 'clients-tls'])
      assert.throws(
        () => refuseDuringTlsEnable(cm(p), o),
        (e: unknown) => e instanceof CliError && e.exitCode === 3,
      );
  });
});
