/**
 * Proves the test cluster (test/cluster/up.sh) is a usable Kubernetes:
 * KZK_NODES (default 3) Ready nodes in distinct zones, cluster DNS for
 * headless-service pod names, dynamic storage through the default
 * StorageClass on every node (and real removal on PVC delete), the streaming
 * paths kubectl exec, logs and port-forward on every node, pod-to-pod and
 * pod-to-Service traffic across nodes, and an enforcing NetworkPolicy agent
 * (kube-router). Also checks the ZooKeeper image's interface (zkServer.sh,
 * zkCli.sh, AdminServer).
 */
import assert from 'node:assert/strict';
import {existsSync, readFileSync} from 'node:fs';
import {connect} from 'node:net';
import {join} from 'node:path';
import {apply, clusterEnv, createNamespace, deleteNamespace, dumpDiagnostics, kubectl, kubectlJson, nodeNames, portForward, useCluster, waitFor, waitForPod} from './lib/cluster.js';

useCluster();

/** Reads everything a TCP server on 127.0.0.1:port sends until it closes. */
function readAll(port: number, send = '', timeoutMs = 10_000): Promise<string> {
  return new Promise((res, rej) => {
    const sock = connect({host: '127.0.0.1', port});
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

  it('has KZK_NODES Ready nodes, each in its own topology.kubernetes.io/zone', async function () {
    const want = nodeNames();
    const nodes = await kubectlJson<{items: any[]}>(['get', 'nodes']);
    assert.deepEqual(nodes.items.map((n) => n.metadata.name).sort(), [...want].sort());
    for (const n of nodes.items) {
      const ready = n.status.conditions.find((c: any) => c.type === 'Ready');
      assert.equal(ready?.status, 'True', `${n.metadata.name} conditions: ${JSON.stringify(n.status.conditions)}`);
    }
    const zones = nodes.items.map((n) => n.metadata.labels?.['topology.kubernetes.io/zone']);
    assert.ok(
      zones.every((z) => typeof z === 'string' && z.length > 0),
      `zones: ${zones.join(', ')}`,
    );
    assert.equal(new Set(zones).size, want.length, `distinct zones: ${zones.join(', ')}`);
  });

  it('has the ZooKeeper and busybox images on every node and a default StorageClass', async function () {
    for (const n of nodeNames()) {
      const node = await kubectlJson<any>(['get', 'node', n]);
      const names: string[] = node.status.images.flatMap((i: any) => i.names ?? []);
      assert.ok(names.includes(image), `${n} images: ${names.join(', ')}`);
      assert.ok(names.includes(clusterEnv()['KZK_BUSYBOX_IMAGE'] ?? ''), `${n} images: ${names.join(', ')}`);
    }
    const scs = await kubectlJson<{items: any[]}>(['get', 'storageclass']);
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
          const r = await kubectl(['exec', 'dns-0', '--', 'getent', 'hosts', name], {namespace: ns, allowFail: true});
          return r.code === 0 ? r.stdout : false;
        },
        {timeoutMs: 60_000, intervalMs: 1000},
      );
      assert.match(out, new RegExp(`^${podIP.replace(/\./g, '\\.')}\\s+${fqdn.replace(/\./g, '\\.')}`), out);
    }
    // The API server's service name resolves too (ClusterIP from the service CIDR).
    const k = await kubectl(['exec', 'dns-0', '--', 'getent', 'hosts', 'kubernetes.default.svc.cluster.local'], {namespace: ns});
    assert.match(k.stdout, /^\d+\.\d+\.\d+\.\d+\s+kubernetes\.default\.svc\.cluster\.local/);
    await kubectl(['delete', 'statefulset', 'dns', '--wait=false'], {namespace: ns});
  });

  it('binds a PVC of the default StorageClass on every node and removes the volume after the PVC is deleted', async function () {
    await Promise.all(
      nodeNames().map(async (node, i) => {
        await apply(
          `
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data-${i}}
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 64Mi}}
---
apiVersion: v1
kind: Pod
metadata: {name: writer-${i}}
spec:
  terminationGracePeriodSeconds: 1
  restartPolicy: Never
  nodeSelector: {kubernetes.io/hostname: ${node}}
  containers:
  - name: main
    image: ${image}
    imagePullPolicy: Never
    command: [bash, -c, 'echo kzk-volume-ok-${node} > /data/probe && sleep 3600']
    volumeMounts: [{name: data, mountPath: /data}]
  volumes: [{name: data, persistentVolumeClaim: {claimName: data-${i}}}]
`,
          ns,
        );
        const pod = await waitForPod(ns, `writer-${i}`);
        assert.equal(pod.spec.nodeName, node);
        const pvc = await waitFor(`PVC data-${i} Bound`, async () => {
          const p = await kubectlJson<any>(['get', 'pvc', `data-${i}`], {namespace: ns});
          return p.status?.phase === 'Bound' ? p : false;
        });
        const pvName: string = pvc.spec.volumeName;
        const pv = await kubectlJson<any>(['get', 'pv', pvName]);
        assert.equal(pv.spec.storageClassName, 'local-path');
        const pinned = pv.spec.nodeAffinity?.required?.nodeSelectorTerms?.[0]?.matchExpressions?.[0]?.values;
        assert.deepEqual(pinned, [node], `PV ${pvName} pinned to ${node}: ${JSON.stringify(pv.spec.nodeAffinity)}`);
        const hostDir: string = pv.spec.hostPath?.path ?? pv.spec.local?.path;
        assert.ok(hostDir, `PV ${pvName} has a host path: ${JSON.stringify(pv.spec)}`);
        await waitFor('the pod to write into the volume', async () => existsSync(join(hostDir, 'probe')));
        assert.equal(readFileSync(join(hostDir, 'probe'), 'utf8').trim(), `kzk-volume-ok-${node}`);

        await kubectl(['delete', 'pod', `writer-${i}`, '--wait=true'], {namespace: ns});
        await kubectl(['delete', 'pvc', `data-${i}`, '--wait=true'], {namespace: ns});
        await waitFor(`PV ${pvName} to be deleted`, async () => (await kubectl(['get', 'pv', pvName], {allowFail: true})).code !== 0, {
          timeoutMs: 120_000,
        });
        await waitFor(`${hostDir} to be removed`, async () => !existsSync(hostDir), {timeoutMs: 60_000});
      }),
    );
  });

  describe('streaming on every node: exec, logs, port-forward', function () {
    before(async function () {
      await apply(
        nodeNames()
          .map(
            (node, i) => `
apiVersion: v1
kind: Pod
metadata: {name: stream-${i}}
spec:
  terminationGracePeriodSeconds: 1
  nodeSelector: {kubernetes.io/hostname: ${node}}
  containers:
  - name: main
    image: ${image}
    imagePullPolicy: Never
    command: [bash, -c, 'echo kzk-log-marker-1; echo kzk-log-marker-2 >&2; while true; do echo kzk-pf-ok-${node} | nc -l -N 8080; done']
`,
          )
          .join('---\n'),
        ns,
      );
      for (let i = 0; i < nodeNames().length; i++) await waitForPod(ns, `stream-${i}`);
    });

    it('kubectl exec runs a command in the container', async function () {
      for (let i = 0; i < nodeNames().length; i++) {
        const pod = `stream-${i}`;
        const r = await kubectl(['exec', pod, '--', 'bash', '-c', 'echo "exec $((6 * 7)) $(id -u)"'], {namespace: ns});
        assert.equal(r.stdout.trim(), 'exec 42 0');
        const stdin = await kubectl(['exec', '-i', pod, '--', 'tr', 'a-z', 'A-Z'], {namespace: ns, input: 'piped stdin\n'});
        assert.equal(stdin.stdout, 'PIPED STDIN\n');
        const fail = await kubectl(['exec', pod, '--', 'bash', '-c', 'exit 3'], {namespace: ns, allowFail: true});
        assert.notEqual(fail.code, 0);
      }
    });

    it('kubectl logs shows stdout and stderr', async function () {
      for (let i = 0; i < nodeNames().length; i++) {
        const out = await waitFor(`both markers in the log of stream-${i}`, async () => {
          const r = await kubectl(['logs', `stream-${i}`], {namespace: ns});
          return r.stdout.includes('kzk-log-marker-1') && r.stdout.includes('kzk-log-marker-2') ? r.stdout : false;
        });
        assert.match(out, /kzk-log-marker-1/);
      }
    });

    it('kubectl port-forward reaches a server in the pod from the host', async function () {
      for (const [i, node] of nodeNames().entries()) {
        const pf = await portForward(ns, `pod/stream-${i}`, 8080);
        try {
          const got = await waitFor(`data through the forwarded port (${node})`, async () => {
            const d = await readAll(pf.localPort).catch(() => '');
            return d.includes('kzk-pf-ok') ? d : false;
          });
          assert.equal(got.trim(), `kzk-pf-ok-${node}`);
        } finally {
          pf.close();
        }
      }
    });
  });

  describe('across nodes: pod-to-pod, pod-to-Service, NetworkPolicy enforced', function () {
    let webIP = '';
    let svcIP = '';
    const busybox = () => clusterEnv()['KZK_BUSYBOX_IMAGE'] ?? '';
    /** GET url from the client pod (busybox wget, at most 4 s); the body or null. */
    const fetchFromClient = async (url: string): Promise<string | null> => {
      const r = await kubectl(['exec', 'client', '--', 'timeout', '4', 'wget', '-q', '-O', '-', url], {namespace: ns, allowFail: true, timeoutMs: 30_000});
      return r.code === 0 ? r.stdout.trim() : null;
    };

    before(async function () {
      const nodes = nodeNames();
      const serverNode = nodes[0]!;
      const clientNode = nodes[nodes.length - 1]!;
      await apply(
        `
apiVersion: v1
kind: Pod
metadata: {name: web, labels: {app: kzk-web}}
spec:
  terminationGracePeriodSeconds: 1
  nodeSelector: {kubernetes.io/hostname: ${serverNode}}
  containers:
  - name: main
    image: ${busybox()}
    imagePullPolicy: Never
    command: [/bin/sh, -c, 'mkdir -p /tmp/www && echo kzk-web-ok > /tmp/www/index.html && exec httpd -f -p 8080 -h /tmp/www']
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: kzk-web}
  ports: [{port: 80, targetPort: 8080}]
---
apiVersion: v1
kind: Pod
metadata: {name: client, labels: {app: kzk-client}}
spec:
  terminationGracePeriodSeconds: 1
  nodeSelector: {kubernetes.io/hostname: ${clientNode}}
  containers:
  - name: main
    image: ${busybox()}
    imagePullPolicy: Never
    command: [/bin/sh, -c, 'exec sleep 3600']
`,
        ns,
      );
      const web = await waitForPod(ns, 'web');
      const client = await waitForPod(ns, 'client');
      if (nodes.length >= 2) assert.notEqual(web.spec.nodeName, client.spec.nodeName, 'server and client on different nodes');
      webIP = web.status.podIP;
      svcIP = (await kubectlJson<any>(['get', 'service', 'web'], {namespace: ns})).spec.clusterIP;
    });

    it('a pod reaches a pod on another node', async function () {
      const body = await waitFor('web from client (pod IP)', () => fetchFromClient(`http://${webIP}:8080/`), {timeoutMs: 30_000});
      assert.equal(body, 'kzk-web-ok');
    });

    it('a pod reaches a Service (ClusterIP and DNS name) whose endpoint is on another node', async function () {
      const byIP = await waitFor('web from client (ClusterIP)', () => fetchFromClient(`http://${svcIP}/`), {timeoutMs: 30_000});
      assert.equal(byIP, 'kzk-web-ok');
      const byName = await waitFor('web from client (DNS)', () => fetchFromClient(`http://web.${ns}.svc.cluster.local/`), {timeoutMs: 30_000});
      assert.equal(byName, 'kzk-web-ok');
    });

    it('a deny-all ingress NetworkPolicy blocks the connection; removing it restores it', async function () {
      assert.equal(await fetchFromClient(`http://${webIP}:8080/`), 'kzk-web-ok', 'reachable before the policy');
      const t0 = Date.now();
      await apply(
        `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny-web-ingress}
spec:
  podSelector: {matchLabels: {app: kzk-web}}
  policyTypes: [Ingress]
`,
        ns,
      );
      await waitFor('the policy to block pod-to-pod', async () => (await fetchFromClient(`http://${webIP}:8080/`)) === null, {
        timeoutMs: 60_000,
        intervalMs: 500,
      });
      console.log(`      [measure] deny-all ingress enforced ${Date.now() - t0} ms after apply`);
      // blocked, and stays blocked: by pod IP and through the Service
      assert.equal(await fetchFromClient(`http://${webIP}:8080/`), null, 'pod IP still blocked');
      assert.equal(await fetchFromClient(`http://${svcIP}/`), null, 'Service still blocked');
      const t1 = Date.now();
      await kubectl(['delete', 'networkpolicy', 'deny-web-ingress'], {namespace: ns});
      const body = await waitFor('the connection to work again', () => fetchFromClient(`http://${webIP}:8080/`), {timeoutMs: 60_000, intervalMs: 500});
      console.log(`      [measure] connection restored ${Date.now() - t1} ms after the policy was deleted`);
      assert.equal(body, 'kzk-web-ok');
      assert.equal(await fetchFromClient(`http://${svcIP}/`), 'kzk-web-ok');
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
        const p = await kubectlJson<any>(['get', 'pod', 'zk'], {namespace: ns});
        return p.status?.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True');
      },
      {timeoutMs: 120_000},
    );
    const who = await kubectl(['exec', 'zk', '--', 'bash', '-c', 'id -un; ls -ld /data /datalog /logs /conf | awk "{print \\$3}"; command -v zkServer.sh zkCli.sh nc'], {
      namespace: ns,
    });
    assert.match(who.stdout, /^root\nzookeeper\nzookeeper\nzookeeper\nzookeeper\n/);
    assert.match(who.stdout, /zkServer\.sh\n.*zkCli\.sh\n.*nc\n?$/);
    await kubectl(['exec', 'zk', '--', 'zkCli.sh', '-server', '127.0.0.1:2181', 'create', '/e2e', 'kzk-znode'], {namespace: ns});
    const get = await kubectl(['exec', 'zk', '--', 'zkCli.sh', '-server', '127.0.0.1:2181', 'get', '/e2e'], {namespace: ns});
    assert.match(get.stdout, /^kzk-znode$/m);
    const pf = await portForward(ns, 'pod/zk', 8080);
    try {
      // The readiness probe checks 2181 only; the AdminServer (Jetty) may open
      // 8080 a little later: until then the forwarded connection just closes.
      const http = await waitFor(
        'the AdminServer through the forwarded port',
        async () => {
          const d = await readAll(pf.localPort, 'GET /commands/ruok HTTP/1.0\r\nHost: localhost\r\n\r\n').catch(() => '');
          return d.length > 0 ? d : false;
        },
        {timeoutMs: 30_000, intervalMs: 500},
      );
      assert.match(http, /^HTTP\/1\.[01] 200/);
      assert.match(http, /"command" : "ruok"/);
    } finally {
      pf.close();
    }
    const logs = await kubectl(['logs', 'zk'], {namespace: ns});
    assert.match(logs.stdout, /QuorumPeerMain|ZooKeeperServerMain|binding to port/);
  });
});
