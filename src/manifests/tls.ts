/**
 * create --tls, rendered: the Secrets (tls/ensemble.ts makes what is in
 * them), the ZooKeeper settings, and what changes in the pod, the Services
 * and the NetworkPolicy. Pure.
 */
import type {KubeObject} from '../kube/types.js';
import {USER_CA_ANNOTATION} from '../tls/user-ca.js';
import {CA_KEY, memberPemKey, TLS_MOUNT, type EnsembleTls} from '../tls/ensemble.js';
import {objectNames, podName, PORTS} from './names.js';

/**
 * The zoo.cfg settings of an ensemble with TLS. Clients: the secure port only
 * (Netty), a client certificate signed by the ensemble's CA required. Quorum
 * and election: TLS (sslQuorum), each side presenting its member certificate;
 * a member checks the name of the member it dials (hostname verification) but
 * not the name of a peer that dials it (pod IPs are in no certificate; the
 * peer's certificate must still chain to the ensemble's CA), and never looks
 * a name up by reverse DNS (CVE-2026-24281; the switch is new in 3.9.5/3.8.6,
 * older servers ignore it).
 * The key store is each member's own file, set per pod (tlsJvmFlags).
 */
export function tlsZooCfg(o: {trustStore: string; secureClientPort: number}): string {
  return [
    '# TLS (create --tls): clients on the secure port only, with a certificate from this',
    "# ensemble's CA; quorum and election traffic in TLS. The plain client port listens on",
    "# the pod's loopback only, for the probes (see the membership lines).",
    'serverCnxnFactory=org.apache.zookeeper.server.NettyServerCnxnFactory',
    `secureClientPort=${o.secureClientPort}`,
    'ssl.keyStore.type=PEM',
    `ssl.trustStore.location=${o.trustStore}`,
    'ssl.trustStore.type=PEM',
    'ssl.clientAuth=need',
    'ssl.clientHostnameVerification=false',
    'ssl.allowReverseDnsLookup=false',
    'sslQuorum=true',
    'ssl.quorum.keyStore.type=PEM',
    `ssl.quorum.trustStore.location=${o.trustStore}`,
    'ssl.quorum.trustStore.type=PEM',
    'ssl.quorum.hostnameVerification=true',
    'ssl.quorum.clientHostnameVerification=false',
    'ssl.quorum.allowReverseDnsLookup=false',
    '',
  ].join('\n');
}

/** The JVM flags that point a member at its own key and certificate (one PEM file). */
export function tlsJvmFlags(keyStore: string): string {
  return `-Dzookeeper.ssl.keyStore.location=${keyStore} -Dzookeeper.ssl.quorum.keyStore.location=${keyStore}`;
}

/** The client address of a member's membership line: all addresses, or the pod's loopback with TLS. */
export function clientAddress(tls: boolean | undefined): string {
  return tls ? `127.0.0.1:${PORTS.client}` : String(PORTS.client);
}

type Meta = {namespace: string; labels: Record<string, string>; annotations: Record<string, string>};

/**
 * NAME-tls (mounted in the members), NAME-tls-ca (the CA key: kubectl-zk only),
 * NAME-tls-client (kubectl-zk's client certificate). With the user's CA
 * (--tls-from-secret) NAME-tls-ca holds the CA certificate only and names the
 * user's Secret (USER_CA_ANNOTATION): the key stays there, copied nowhere.
 */
export function renderTlsSecrets(name: string, tls: EnsembleTls, meta: Meta): KubeObject[] {
  const names = objectNames(name);
  const secret = (n: string, stringData: Record<string, string>, type = 'Opaque', annotations: Record<string, string> = {}): KubeObject => ({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {name: n, namespace: meta.namespace, labels: {...meta.labels}, annotations: {...meta.annotations, ...annotations}},
    type,
    stringData,
  });
  const members = Object.fromEntries(tls.members.map((m, i) => [memberPemKey(podName(name, i)), m.keyPem + m.certPem]));
  return [
    secret(names.tlsSecret, {[CA_KEY]: tls.ca.certPem, ...members}),
    tls.caSecret
      ? secret(names.tlsCaSecret, {[CA_KEY]: tls.ca.certPem}, 'Opaque', {[USER_CA_ANNOTATION]: tls.caSecret})
      : secret(names.tlsCaSecret, {[CA_KEY]: tls.ca.certPem, 'ca.key': tls.ca.keyPem}),
    secret(names.tlsClientSecret, {[CA_KEY]: tls.ca.certPem, 'tls.crt': tls.plugin.certPem, 'tls.key': tls.plugin.keyPem}, 'kubernetes.io/tls'),
  ];
}

type Obj = KubeObject & Record<string, any>;

/**
 * The StatefulSet's pod with TLS: NAME-tls mounted read-only at /tls, the key
 * store chosen by pod name ($(POD_NAME) is expanded by the kubelet), the
 * secure client port; the plain one is no container port (it listens on loopback).
 */
export function withTlsPod(sts: Obj, name: string): void {
  const pod = sts.spec.template.spec;
  const container = pod.containers[0];
  container.env.push({name: 'SERVER_JVMFLAGS', value: tlsJvmFlags(`${TLS_MOUNT}/$(POD_NAME).pem`)});
  container.ports = container.ports.filter((p: {name: string}) => p.name !== 'client');
  container.ports.unshift({name: 'secure-client', containerPort: PORTS.secureClient});
  container.volumeMounts.push({name: 'tls', mountPath: TLS_MOUNT, readOnly: true});
  pod.volumes.push({name: 'tls', secret: {secretName: objectNames(name).tlsSecret, defaultMode: 0o440}});
}

/** A Service's client port becomes the secure one. */
export function withTlsService(svc: Obj): void {
  svc.spec.ports = svc.spec.ports.map((p: {name: string}) => (p.name === 'client' ? {name: 'secure-client', port: PORTS.secureClient, targetPort: 'secure-client'} : p));
}

/** The NetworkPolicy's client rule admits the secure client port instead of the plain one. */
export function withTlsPolicy(policy: Obj): void {
  for (const rule of policy.spec.ingress as {ports?: {port: number}[]}[]) {
    for (const p of rule.ports ?? []) if (p.port === PORTS.client) p.port = PORTS.secureClient;
  }
}
