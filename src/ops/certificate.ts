/**
 * `kubectl zk certificate NAME --user U`: a client certificate for an
 * application, signed by the CA of an ensemble made with create --tls; kept in
 * a Secret of type kubernetes.io/tls (tls.crt, tls.key, ca.crt) or printed as
 * PEM. The CA's key is read from NAME-tls-ca and never leaves the process.
 */
import {X509Certificate} from 'node:crypto';
import {CliError, UsageError} from '../errors.js';
import type {Kube, KubeObject, StatefulSetObject} from '../kube/types.js';
import {ensembleLabels, ownerAnnotations} from '../manifests/labels.js';
import {objectNames, PORTS} from '../manifests/names.js';
import {CA_KEY, clientCertificate, LEAF_DAYS} from '../tls/ensemble.js';
import {readCa} from './tls.js';

export interface CertificateRequest {
  namespace: string;
  name: string;
  user: string;
  days: number;
  /** the Secret to create; undefined: print PEM only */
  secretName?: string;
}

export interface CertificateResult {
  ensemble: string;
  namespace: string;
  /** the certificate's subject CN */
  user: string;
  /** the Secret made (kubernetes.io/tls: tls.crt, tls.key, ca.crt); absent with -o pem */
  secret?: string;
  serial: string;
  notAfter: string;
  /** where clients connect (the client Service, secure port) */
  connect: string;
  /** -o pem: key, certificate and the CA certificate, PEM; never in -o json */
  pem?: string;
}

const USER = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;

/** --user: a certificate subject CN kubectl-zk writes as is (letters, digits, . _ @ -; at most 64). */
export function validateUser(user: string): void {
  if (!USER.test(user)) throw new UsageError(`invalid --user "${user}"`, 'letters, digits, ".", "_", "@" and "-", at most 64 characters, starting with a letter or digit');
}

/** The Secret's default name: NAME-client-USER, lower-cased, other characters as "-". */
export function defaultSecretName(name: string, user: string): string {
  return `${name}-client-${user.toLowerCase().replace(/[^a-z0-9-]/g, '-')}`.slice(0, 253).replace(/-+$/, '');
}

async function ensembleCa(kube: Kube, namespace: string, name: string) {
  const caSecret = await kube.get({apiVersion: 'v1', kind: 'Secret', namespace, name: objectNames(name).tlsCaSecret});
  if (caSecret) return readCa(kube, namespace, name);
  const sts = await kube.get<StatefulSetObject>({apiVersion: 'apps/v1', kind: 'StatefulSet', namespace, name: objectNames(name).statefulSet});
  if (!sts) throw new CliError(`ensemble "${name}" not found in namespace "${namespace}"`, {hint: `list ensembles with: kubectl zk list -n ${namespace}`});
  throw new CliError(`ensemble "${name}" in namespace "${namespace}" has no TLS (no Secret ${objectNames(name).tlsCaSecret}): nothing to sign a certificate with`, {
    hint: 'client certificates are for ensembles made with kubectl zk create --tls',
  });
}

export async function issueUserCertificate(kube: Kube, req: CertificateRequest, now: Date): Promise<CertificateResult> {
  validateUser(req.user);
  const ca = await ensembleCa(kube, req.namespace, req.name);
  const pair = clientCertificate(req.user, ca, now, req.days);
  const cert = new X509Certificate(pair.certPem);
  const result: CertificateResult = {
    ensemble: req.name,
    namespace: req.namespace,
    user: req.user,
    serial: cert.serialNumber,
    notAfter: cert.validToDate.toISOString(),
    connect: `${objectNames(req.name).clientService}.${req.namespace}.svc:${PORTS.secureClient}`,
  };
  if (!req.secretName) return {...result, pem: pair.keyPem + pair.certPem + ca.certPem};
  const sts = await kube.get<StatefulSetObject>({apiVersion: 'apps/v1', kind: 'StatefulSet', namespace: req.namespace, name: objectNames(req.name).statefulSet});
  const image = sts?.spec?.template?.spec?.containers?.[0]?.image ?? '';
  const secret: KubeObject = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {name: req.secretName, namespace: req.namespace, labels: ensembleLabels(req.name, image), annotations: {...ownerAnnotations(req.name), 'kubectl-zk.io/tls-user': req.user}},
    type: 'kubernetes.io/tls',
    stringData: {'tls.crt': pair.certPem, 'tls.key': pair.keyPem, [CA_KEY]: ca.certPem},
  };
  try {
    await kube.create(secret);
  } catch (e) {
    if ((e as {status?: number}).status === 409) {
      throw new CliError(`secret "${req.secretName}" already exists in namespace "${req.namespace}"`, {hint: 'choose another with --secret-name, or delete it first'});
    }
    throw e;
  }
  return {...result, secret: req.secretName};
}

/** The default validity of a client certificate, in days. */
export const DEFAULT_CLIENT_DAYS = LEAF_DAYS;
