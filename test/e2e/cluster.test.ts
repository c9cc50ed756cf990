/**
 * Proves the test cluster (test/cluster/up.sh) is a usable Kubernetes:
 * a Ready node, cluster DNS for headless-service pod names, dynamic storage
 * through the default StorageClass (and real removal on PVC delete), and the
 * streaming paths kubectl exec, logs and port-forward. Also checks the
 * ZooKeeper image's interface (zkServer.sh, zkCli.sh, AdminServer).
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import {
  apply,
  clusterEnv,
  createNamespace,
  deleteNamespace,
  dumpDiagnostics,
  kubectl,
  kubectlJson,
  portForward,
  useCluster,
  waitFor,
  waitForPod,
} from './lib/cluster.js';

useCluster();

/** Reads everything a TCP server on 127.0.0.1:port sends until it closes. */
function readAll(port: number, send = '', timeoutMs = 10_000): Promise<string> {
  return new Promise((res, rej) => {
    const sock = connect({ host: '127.0.0.1', port });
    let data = '';
    const timer = setTimeout(() => {
      sock.destroy();
      rej(new Error(`no EOF from 127.0.0.1:${port} within ${timeoutMs} ms (got ${JSON.stringify(data)})`));
    }, timeoutMs);
    sock.setEncoding('utf8');
    sock.on('connect', () => sock.end(send));
    sock.on('data', (d: string) => (data += d));
    sock.on('error', (e) => {
      clearTimeout(timer);
      rej(e);
    });
    sock.on('close', () => {
      clearTimeout(timer);
      res(data);
    });
  });
}

describe('test cluster (test/cluster/up.sh)', function () {
  this.timeout(240_000);
  let ns = '';
  let image = '';

  before(async function () {
    image = clusterEnv().KZK_ZK_IMAGE;
    ns = await createNamespace('kzk-e2e-cluster');
  });

  afterEach(async function () {
    if (this.currentTest?.state === 'failed') await dumpDiagnostics(ns);
  });

  after(async function () {
    if (ns) await deleteNamespace(ns, true);
  });

  it('has one Ready node', async function () {
    const nodes = await kubectlJson<{ items: any[] }>(['get', 'nodes']);
    assert.equal(nodes.items.length, 1);
    const ready = nodes.items[0].status.conditions.find((c: any) => c.type === 'Ready');
    assert.equal(ready?.status, 'True', `node conditions: ${JSON.stringify(nodes.items[0].status.conditions)}`);
  });

  it('has the ZooKeeper image and a default StorageClass', async function () {
    const node = await kubectlJson<any>(['get', 'node', 'kzk-node']);
    const names: string[] = node.status.images.flatMap((i: any) => i.names ?? []);
    assert.ok(names.includes(image), `node images: ${names.join(', ')}`);
    const scs = await kubectlJson<{ items: any[] }>(['get', 'storageclass']);
    const dflt = scs.items.filter((s) => s.metadata.annotations?.['storageclass.kubernetes.io/is-default-class'] === 'true');
    assert.equal(dflt.length, 1);
  });

  it('resolves NAME-0.NAME-hs.NS.svc.cluster.local of a not-ready pod behind a headless service', async function () {
    await apply(
      `
apiVersion: v1
kind: Service
metadata: {name: dns-hs}
spec:
  clusterIP: None
  publishNotReadyAddresses: true
  selector: {app: dns}
  ports: [{name: client, port: 2181}]
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: dns}
spec:
  serviceName: dns-hs
  replicas: 1
  selector: {matchLabels: {app: dns}}
  template:
    metadata: {labels: {app: dns}}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: main
        image: ${image}
        imagePullPolicy: Never
        command: [bash, -c, 'sleep 3600']
        readinessProbe: {exec: {command: ['false']}, periodSeconds: 5}
`,
      ns,
    );
    const pod = await waitForPod(ns, 'dns-0');
    const podIP: string = pod.status.podIP;
    assert.ok(podIP, 'pod has an IP');
    const fqdn = `dns-0.dns-hs.${ns}.svc.cluster.local`;
    for (const name of [fqdn, 'dns-0.dns-hs']) {
      const out = await waitFor(
        `${name} to resolve`,
        async () => {
          const r = await kubectl(['exec', 'dns-0', '--', 'getent', 'hosts', name], { namespace: ns, allowFail: true });
          return r.code === 0 ? r.stdout : false;
        },
        { timeoutMs: 60_000, intervalMs: 1000 },
      );
      assert.match(out, new RegExp(`^${podIP.replace(/\./g, '\\.')}\\s+${fqdn.replace(/\./g, '\\.')}`), out);
    }
    // The API server's service name resolves too (ClusterIP from the service CIDR).
    const k = await kubectl(['exec', 'dns-0', '--', 'getent', 'hosts', 'kubernetes.default.svc.cluster.local'], { namespace: ns });
    assert.match(k.stdout, /^\d+\.\d+\.\d+\.\d+\s+kubernetes\.default\.svc\.cluster\.local/);
    await kubectl(['delete', 'statefulset', 'dns', '--wait=false'], { namespace: ns });
  });

  it('binds a PVC of the default StorageClass and removes the volume after the PVC is deleted', async function () {
    await apply(
      `
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data}
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 64Mi}}
---
apiVersion: v1
kind: Pod
metadata: {name: writer}
spec:
  terminationGracePeriodSeconds: 1
  restartPolicy: Never
  containers:
  - name: main
    image: ${image}
    imagePullPolicy: Never
    command: [bash, -c, 'echo kzk-volume-ok > /data/probe && sleep 3600']
    volumeMounts: [{name: data, mountPath: /data}]
  volumes: [{name: data, persistentVolumeClaim: {claimName: data}}]
`,
      ns,
    );
    await waitForPod(ns, 'writer');
    const pvc = await waitFor('PVC data Bound', async () => {
      const p = await kubectlJson<any>(['get', 'pvc', 'data'], { namespace: ns });
      return p.status?.phase === 'Bound' ? p : false;
    });
    const pvName: string = pvc.spec.volumeName;
    const pv = await kubectlJson<any>(['get', 'pv', pvName]);
    assert.equal(pv.spec.storageClassName, 'local-path');
    const hostDir: string = pv.spec.hostPath?.path ?? pv.spec.local?.path;
    assert.ok(hostDir, `PV ${pvName} has a host path: ${JSON.stringify(pv.spec)}`);
    await waitFor('the pod to write into the volume', async () => existsSync(join(hostDir, 'probe')));
    assert.equal(readFileSync(join(hostDir, 'probe'), 'utf8').trim(), 'kzk-volume-ok');

    await kubectl(['delete', 'pod', 'writer', '--wait=true'], { namespace: ns });
    await kubectl(['delete', 'pvc', 'data', '--wait=true'], { namespace: ns });
    await waitFor(`PV ${pvName} to be deleted`, async () => (await kubectl(['get', 'pv', pvName], { allowFail: true })).code !== 0, {
      timeoutMs: 120_000,
    });
    await waitFor(`${hostDir} to be removed`, async () => !existsSync(hostDir), { timeoutMs: 60_000 });
  });

  describe('streaming: exec, logs, port-forward', function () {
    before(async function () {
      await apply(
        `
apiVersion: v1
kind: Pod
metadata: {name: stream}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: ${image}
    imagePullPolicy: Never
    command: [bash, -c, 'echo kzk-log-marker-1; echo kzk-log-marker-2 >&2; while true; do echo kzk-pf-ok | nc -l -N 8080; done']
`,
        ns,
      );
      await waitForPod(ns, 'stream');
    });

    it('kubectl exec runs a command in the container', async function () {
      const r = await kubectl(['exec', 'stream', '--', 'bash', '-c', 'echo "exec $((6 * 7)) $(id -u)"'], { namespace: ns });
      assert.equal(r.stdout.trim(), 'exec 42 0');
      const stdin = await kubectl(['exec', '-i', 'stream', '--', 'tr', 'a-z', 'A-Z'], { namespace: ns, input: 'piped stdin\n' });
      assert.equal(stdin.stdout, 'PIPED STDIN\n');
      const fail = await kubectl(['exec', 'stream', '--', 'bash', '-c', 'exit 3'], { namespace: ns, allowFail: true });
      assert.notEqual(fail.code, 0);
    });

    it('kubectl logs shows stdout and stderr', async function () {
      const out = await waitFor('both markers in the log', async () => {
        const r = await kubectl(['logs', 'stream'], { namespace: ns });
        return r.stdout.includes('kzk-log-marker-1') && r.stdout.includes('kzk-log-marker-2') ? r.stdout : false;
      });
      assert.match(out, /kzk-log-marker-1/);
    });

    it('kubectl port-forward reaches a server in the pod from the host', async function () {
      const pf = await portForward(ns, 'pod/stream', 8080);
      try {
        const got = await waitFor('data through the forwarded port', async () => {
          const d = await readAll(pf.localPort).catch(() => '');
          return d.includes('kzk-pf-ok') ? d : false;
        });
        assert.equal(got.trim(), 'kzk-pf-ok');
      } finally {
        pf.close();
      }
    });
  });

  it('runs the ZooKeeper image like the official one (zkServer.sh, zkCli.sh, AdminServer)', async function () {
    await apply(
      `
apiVersion: v1
kind: Pod
metadata: {name: zk}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: zookeeper
    image: ${image}
    imagePullPolicy: Never
    env: [{name: JVMFLAGS, value: '-Xmx256m'}]
    readinessProbe: {tcpSocket: {port: 2181}, periodSeconds: 2}
`,
      ns,
    );
    await waitFor(
      'zk Ready',
      async () => {
        const p = await kubectlJson<any>(['get', 'pod', 'zk'], { namespace: ns });
        return p.status?.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True');
      },
      { timeoutMs: 120_000 },
    );
    const who = await kubectl(['exec', 'zk', '--', 'bash', '-c', 'id -un; ls -ld /data /datalog /logs /conf | awk "{print \\$3}"; command -v zkServer.sh zkCli.sh nc'], {
      namespace: ns,
    });
    assert.match(who.stdout, /^root\nzookeeper\nzookeeper\nzookeeper\nzookeeper\n/);
    assert.match(who.stdout, /zkServer\.sh\n.*zkCli\.sh\n.*nc\n?$/);
    await kubectl(['exec', 'zk', '--', 'zkCli.sh', '-server', '127.0.0.1:2181', 'create', '/e2e', 'kzk-znode'], { namespace: ns });
    const get = await kubectl(['exec', 'zk', '--', 'zkCli.sh', '-server', '127.0.0.1:2181', 'get', '/e2e'], { namespace: ns });
    assert.match(get.stdout, /^kzk-znode$/m);
    const pf = await portForward(ns, 'pod/zk', 8080);
    try {
      const http = await readAll(pf.localPort, 'GET /commands/ruok HTTP/1.0\r\nHost: localhost\r\n\r\n');
      assert.match(http, /^HTTP\/1\.[01] 200/);
      assert.match(http, /"command" : "ruok"/);
    } finally {
      pf.close();
    }
    const logs = await kubectl(['logs', 'zk'], { namespace: ns });
    assert.match(logs.stdout, /QuorumPeerMain|ZooKeeperServerMain|binding to port/);
  });
});
