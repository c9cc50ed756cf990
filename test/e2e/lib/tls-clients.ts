/**
 * TLS clients for the e2e tests: a certificate from a CA no ensemble trusts,
 * and the Java client (zkCli.sh in a pod of the ZooKeeper image) as
 * docs/tls.md shows it.
 */
import {apply, clusterEnv} from './cluster.js';
import {kubectl} from './zk.js';

/** A Secret with a client certificate from a CA the ensemble does not trust. */
export async function createStrangerSecret(ns: string): Promise<string> {
  const {clientCertificate, makeCa} = await import('../../../src/tls/ensemble.js');
  const other = makeCa({name: 'zk', namespace: ns}, new Date());
  const c = clientCertificate('billing', other, new Date());
  const b64 = (t: string) => Buffer.from(t).toString('base64');
  await apply(
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {name: 'stranger'},
      type: 'kubernetes.io/tls',
      data: {'tls.crt': b64(c.certPem), 'tls.key': b64(c.keyPem), 'ca.crt': b64(other.certPem)},
    }),
    ns,
  );
  return 'stranger';
}

/** A pod with the ZooKeeper image (its zkCli.sh is the Java client) and a certificate Secret at /cert. */
export function javaClient(name: string, secret: string): string {
  return `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
  labels: {app: java-client}
spec:
  terminationGracePeriodSeconds: 0
  containers:
    - name: c
      image: ${clusterEnv().KZK_ZK_IMAGE}
      imagePullPolicy: Never
      command: ["sleep", "3600"]
      volumeMounts: [{name: cert, mountPath: /cert, readOnly: true}]
  volumes: [{name: cert, secret: {secretName: ${secret}}}]
`;
}

/** docs/tls.md's Java example: zkCli.sh over TLS to the client Service with the mounted certificate. */
export async function zkCliTls(ns: string, pod: string, ...cmds: string[]): Promise<string> {
  const flags = [
    '-Dzookeeper.client.secure=true',
    '-Dzookeeper.clientCnxnSocket=org.apache.zookeeper.ClientCnxnSocketNetty',
    '-Dzookeeper.ssl.keyStore.location=/tmp/client.pem',
    '-Dzookeeper.ssl.keyStore.type=PEM',
    '-Dzookeeper.ssl.trustStore.location=/cert/ca.crt',
    '-Dzookeeper.ssl.trustStore.type=PEM',
  ].join(' ');
  const script = `cat /cert/tls.key /cert/tls.crt > /tmp/client.pem && printf '%s\\n' ${cmds.map((c) => `'${c}'`).join(' ')} quit | CLIENT_JVMFLAGS='${flags}' timeout 40 zkCli.sh -server zk:2281 2>&1`;
  const r = await kubectl(['exec', '-n', ns, pod, '--', 'bash', '-c', script], {allowFail: true, timeoutMs: 90_000});
  return r.stdout + r.stderr;
}
