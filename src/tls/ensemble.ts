/**
 * What an ensemble's TLS is made of (create --tls): a CA of its own, one
 * certificate per member, and kubectl-zk's client certificate; the names each
 * member's certificate carries, and the name the plugin checks. Pure but for
 * the keys it makes (tls/x509.ts).
 */
import {objectNames, podName} from '../manifests/names.js';
import {issueCertificate, type KeyPair} from './x509.js';

const DAY_MS = 86_400_000;
/** The CA lives ten years; member and client certificates two (rotate-certs renews both: docs/tls.md). */
export const CA_DAYS = 3650;
export const LEAF_DAYS = 730;
/** Certificates start an hour back: a member whose clock runs behind still accepts them. */
const BACKDATE_MS = 3_600_000;

export interface EnsembleTls {
  ca: KeyPair;
  /** member ordinal → its key and certificate */
  members: KeyPair[];
  /** kubectl-zk's client certificate */
  plugin: KeyPair;
  /** --tls-from-secret: the Secret that holds the CA (the user's; NAME-tls-ca then holds no key) */
  caSecret?: string;
}

type Where = {name: string; namespace: string; clusterDomain: string};

/**
 * The DNS names a member's certificate carries: its name in the headless
 * Service at every length a client inside the cluster may use, and the client
 * Service's (members answer behind it). No IP addresses (pod IPs change) and
 * no localhost: kubectl-zk reaches a member through a port-forward but checks
 * the member's own name (memberServerName), not the address it dialled.
 */
export function memberAltNames(o: Where, ordinal: number): string[] {
  const names = objectNames(o.name);
  const member = `${podName(o.name, ordinal)}.${names.headlessService}`;
  const service = names.clientService;
  const lengths = (base: string) => [base, `${base}.${o.namespace}`, `${base}.${o.namespace}.svc`, `${base}.${o.namespace}.svc.${o.clusterDomain}`];
  return [...lengths(member), ...lengths(service)];
}

/** The name kubectl-zk checks a member's certificate against (one of memberAltNames; needs no cluster domain). */
export function memberServerName(ensemble: string, namespace: string, pod: string): string {
  return `${pod}.${objectNames(ensemble).headlessService}.${namespace}.svc`;
}

function validity(now: Date, days: number): {notBefore: Date; notAfter: Date} {
  return {notBefore: new Date(now.getTime() - BACKDATE_MS), notAfter: new Date(now.getTime() + days * DAY_MS)};
}

export function makeCa(o: Pick<Where, 'name' | 'namespace'>, now: Date): KeyPair {
  return issueCertificate({commonName: `${o.name}.${o.namespace} ZooKeeper CA`, usage: 'ca', ...validity(now, CA_DAYS)});
}

/** A member's certificate: server and client (members dial each other for the quorum). */
export function memberCertificate(o: Where, ordinal: number, ca: KeyPair, now: Date): KeyPair {
  return issueCertificate({commonName: podName(o.name, ordinal), altNames: memberAltNames(o, ordinal), usage: 'server-and-client', ...validity(now, LEAF_DAYS)}, ca);
}

/** A client certificate for a user (the subject's CN), signed by the ensemble's CA. */
export function clientCertificate(user: string, ca: KeyPair, now: Date, days = LEAF_DAYS): KeyPair {
  return issueCertificate({commonName: user, usage: 'client', ...validity(now, days)}, ca);
}

/** kubectl-zk's own client identity. */
export const PLUGIN_USER = 'kubectl-zk';

/** The ensemble's certificates, from a new CA of its own, or from the user's (--tls-from-secret). */
export function makeEnsembleTls(o: Where & {replicas: number}, now: Date, userCa?: {secret: string; ca: KeyPair}): EnsembleTls {
  const ca = userCa?.ca ?? makeCa(o, now);
  return {
    ca,
    members: Array.from({length: o.replicas}, (_, i) => memberCertificate(o, i, ca, now)),
    plugin: clientCertificate(PLUGIN_USER, ca, now),
    ...(userCa ? {caSecret: userCa.secret} : {}),
  };
}

/** The key of a member's PEM (key then certificate) in the Secret mounted at TLS_MOUNT. */
export function memberPemKey(pod: string): string {
  return `${pod}.pem`;
}

export const CA_KEY = 'ca.crt';
/** where the members mount NAME-tls */
export const TLS_MOUNT = '/tls';
