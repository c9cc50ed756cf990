/**
 * Metrics on the enforcing test bed: every member serves Prometheus metrics
 * on port 7000 (3.9.5 and 3.8.7 images), to the pods the NetworkPolicy
 * admits as clients and to nobody else; `status` shows the mntr figures;
 * `create --monitor` makes a PodMonitor only where its CRD is served (the
 * test registers a minimal one and removes it afterwards).
 */
import assert from 'node:assert/strict';
import {apply, clusterEnv, createNamespace, deleteNamespace, dumpDiagnostics, useCluster, waitForPod, bystanderPod} from './lib/cluster.js';
import {createEnsemble, kubectl, kubectlJson, kzk, statusJson, waitFor} from './lib/zk.js';

useCluster();

const CRD = 'podmonitors.monitoring.coreos.com';

const podMonitorCrd = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: ${CRD}
spec:
  group: monitoring.coreos.com
  scope: Namespaced
  names: {plural: podmonitors, singular: podmonitor, kind: PodMonitor, listKind: PodMonitorList}
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          x-kubernetes-preserve-unknown-fields: true
`;

/** GET /metrics from inside a pod (bash /dev/tcp): the body, or "rc=N" when the connect failed or timed out (124). */
async function scrape(ns: string, pod: string, host: string): Promise<string> {
  const script = `timeout 6 bash -c 'exec 3<>/dev/tcp/${host}/7000 || exit 7; printf "GET /metrics HTTP/1.0\\r\\n\\r\\n" >&3; cat <&3' 2>/dev/null; echo rc=$?`;
  const r = await kubectl(['exec', '-n', ns, pod, '--', 'bash', '-c', script], {allowFail: true, timeoutMs: 30_000});
  return r.stdout;
}

async function podIp(ns: string, pod: string): Promise<string> {
  return (await kubectlJson<{status: {podIP: string}}>(['get', 'pod', pod, '-n', ns])).status.podIP;
}

describe('e2e: metrics (port 7000 to admitted clients only; status figures; --monitor)', function () {
  this.timeout(1_500_000);
  let ns: string;
  let other: string;
  let createdWithoutCrd: {stderr: string; code: number};

  before(async () => {
    ns = await createNamespace('kzk-e2e-met');
    other = await createNamespace('kzk-e2e-metout');
    await kubectl(['delete', 'crd', CRD, '--ignore-not-found', '--wait=true'], {timeoutMs: 60_000});
    await Promise.all([apply(bystanderPod('inside'), ns), apply(bystanderPod('outside'), other)]);
    createdWithoutCrd = await createEnsemble(ns, 'zk', 3, ['--monitor']);
    await Promise.all([waitForPod(ns, 'inside'), waitForPod(other, 'outside')]);
  });
  afterEach(async function () {
    if (this.currentTest?.state === 'failed') await dumpDiagnostics(ns);
  });
  after(async () => {
    await kubectl(['delete', 'crd', CRD, '--ignore-not-found', '--wait=false'], {allowFail: true, timeoutMs: 60_000});
    await deleteNamespace(ns);
    await deleteNamespace(other);
  });

  it('--monitor without the PodMonitor CRD: a warning, the ensemble made all the same', async () => {
    assert.equal(createdWithoutCrd.code, 0);
    assert.match(createdWithoutCrd.stderr, /--monitor: the API server does not serve PodMonitor/);
    const sts = await kubectlJson<any>(['get', 'statefulset', 'zk', '-n', ns]);
    assert.ok(sts.spec.template.spec.containers[0].ports.some((p: any) => p.name === 'metrics' && p.containerPort === 7000));
  });

  it("a pod of the same namespace scrapes every member's /metrics (zookeeper figures such as znode_count)", async () => {
    for (let i = 0; i < 3; i++) {
      const ip = await podIp(ns, `zk-${i}`);
      const body = await waitFor(
        `metrics of zk-${i}`,
        async () => {
          const b = await scrape(ns, 'inside', ip);
          return /^znode_count(\{[^}]*\})? \d/m.test(b) ? b : false;
        },
        {timeoutMs: 60_000},
      );
      assert.match(body, /^HTTP\/1\.\d 200/m);
      assert.match(body, /^# TYPE znode_count gauge$/m);
      assert.match(body, /^watch_count(\{[^}]*\})? \d/m);
      assert.match(body, /^outstanding_requests(\{[^}]*\})? \d/m);
    }
  });

  it('a pod in another namespace is refused the metrics port (the NetworkPolicy, enforced by kube-router)', async () => {
    for (let i = 0; i < 3; i++) {
      const ip = await podIp(ns, `zk-${i}`);
      const out = await scrape(other, 'outside', ip);
      assert.doesNotMatch(out, /znode_count/, `outside → zk-${i}:7000`);
      assert.match(out, /rc=(7|124)/, `the connect fails: ${out}`);
    }
  });

  it('status shows outstanding requests, average latency, znodes and watches per member (text and -o json)', async () => {
    const r = await statusJson(ns, 'zk');
    assert.equal(r.members.length, 3);
    for (const m of r.members) {
      assert.ok(Number.isInteger(m.outstanding), `${m.pod} outstanding ${m.outstanding}`);
      assert.equal(typeof m.latencyAvg, 'number', m.pod);
      assert.ok(m.znodeCount >= 4, `${m.pod} znodeCount ${m.znodeCount}`);
      assert.ok(Number.isInteger(m.watchCount), `${m.pod} watchCount ${m.watchCount}`);
    }
    const text = (await kzk(['status', 'zk', '-n', ns])).stdout;
    const lines = text.split('\n');
    const header = lines.find((l) => l.startsWith('POD'))!;
    assert.match(header, /OUTST\s+LAT AVG\/MAX\s+ZNODES\s+WATCHES/);
    for (const m of r.members) {
      const row = lines.find((l) => l.startsWith(`${m.pod} `))!;
      assert.equal(row.slice(header.indexOf('ZNODES')).split(/\s+/)[0], String(m.znodeCount), row);
    }
  });

  it('--monitor with the CRD registered: a PodMonitor owned by the StatefulSet; the 3.8.7 image serves metrics too; gone with teardown', async () => {
    await apply(podMonitorCrd);
    await kubectl(['wait', '--for=condition=Established', `crd/${CRD}`, '--timeout=60s'], {timeoutMs: 90_000});
    const r = await createEnsemble(ns, 'old', 1, ['--monitor', '--image', clusterEnv().KZK_ZK_IMAGE_38!]);
    assert.doesNotMatch(r.stderr, /--monitor:/);
    const pm = await kubectlJson<any>(['get', 'podmonitor', 'old', '-n', ns]);
    assert.deepEqual(pm.spec.podMetricsEndpoints, [{port: 'metrics', path: '/metrics'}]);
    assert.deepEqual(pm.spec.selector.matchLabels, {'app.kubernetes.io/name': 'zookeeper', 'app.kubernetes.io/instance': 'old'});
    const sts = await kubectlJson<any>(['get', 'statefulset', 'old', '-n', ns]);
    assert.deepEqual(
      pm.metadata.ownerReferences.map((o: any) => o.uid),
      [sts.metadata.uid],
    );
    const body = await waitFor(
      'metrics of old-0 (3.8.7)',
      async () => {
        const b = await scrape(ns, 'inside', await podIp(ns, 'old-0'));
        return /^znode_count(\{[^}]*\})? \d/m.test(b) ? b : false;
      },
      {timeoutMs: 60_000},
    );
    assert.match(body, /^HTTP\/1\.\d 200/m);
    const t = await kzk(['teardown', 'old', '-n', ns, '--yes', '--delete-data']);
    assert.equal(t.code, 0, t.stderr);
    await waitFor(
      'the PodMonitor collected with its StatefulSet',
      async () => {
        const g = await kubectl(['get', 'podmonitor', 'old', '-n', ns, '--ignore-not-found', '-o', 'name'], {allowFail: true});
        return g.code === 0 && g.stdout.trim() === '';
      },
      {timeoutMs: 60_000},
    );
  });
});
