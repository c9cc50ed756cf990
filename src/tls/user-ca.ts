/**
 * A CA of the user's (create --tls-from-secret): the Secret it is read from,
 * checked before anything is made. The plugin signs member and client
 * certificates with it as with its own CA, but never writes the Secret: the
 * CA is the user's (and cert-manager's, when a CA Issuer is behind it). Pure.
 */
import {createPrivateKey, X509Certificate, type KeyObject} from 'node:crypto';
import {CliError} from '../errors.js';
import type {SecretObject} from '../kube/types.js';
import {basicConstraintsCa, keyCertSign, SIGNING_KEY_TYPES, type KeyPair} from './x509.js';

/** On NAME-tls-ca: the Secret (same namespace) that holds the user's CA; NAME-tls-ca then holds ca.crt only. */
export const USER_CA_ANNOTATION = 'kubectl-zk/tls-ca-secret';

/** Exit code of a refused Secret (the state of the cluster, not the command line). */
export const USER_CA_REFUSED = 3;

/** A CA that expires sooner than this is accepted with a warning. */
export const EXPIRY_WARNING_DAYS = 30;

const DAY_MS = 86_400_000;
const ACCEPTED_TYPES = ['kubernetes.io/tls', 'Opaque'];

export interface UserCa {
  /** the Secret's name */
  secret: string;
  ca: KeyPair;
  warnings: string[];
}

const text = (s: SecretObject, key: string): string | undefined => {
  const v = s.data?.[key];
  return v === undefined ? undefined : Buffer.from(v, 'base64').toString('utf8');
};

/** The first certificate of a PEM text, or a refusal naming the key. */
function certificateOf(pem: string, what: string, refuse: (why: string) => never): X509Certificate {
  const block = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(pem)?.[0];
  if (!block) return refuse(`${what} is not a PEM certificate`);
  try {
    return new X509Certificate(block);
  } catch {
    return refuse(`${what} is not a PEM certificate (it does not parse)`);
  }
}

function privateKeyOf(pem: string, refuse: (why: string) => never): KeyObject {
  if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(pem)) return refuse('tls.key is not a PEM private key');
  try {
    return createPrivateKey(pem);
  } catch {
    return refuse('tls.key is not a PEM private key (it does not parse; an encrypted key is not accepted)');
  }
}

/** Not yet valid or expired: refused; expiring within EXPIRY_WARNING_DAYS: a warning. */
function checkDates(cert: X509Certificate, now: Date, refuse: (why: string) => never, warnings: string[], secret: string): void {
  if (cert.validFromDate > now) refuse(`the CA certificate is not valid yet (from ${cert.validFromDate.toISOString()})`);
  if (cert.validToDate <= now) refuse(`the CA certificate expired at ${cert.validToDate.toISOString()}`);
  const days = (cert.validToDate.getTime() - now.getTime()) / DAY_MS;
  if (days < EXPIRY_WARNING_DAYS) {
    warnings.push(
      `the CA in Secret ${secret} expires in ${Math.floor(days)} day(s) (${cert.validToDate.toISOString()}): every certificate kubectl-zk issues from it ends then too; renew the CA and recreate the ensemble's certificates before that`,
    );
  }
}

/** A CA: basicConstraints CA:TRUE, keyCertSign when a keyUsage is given, self-signed (a root), an ECDSA or RSA key. */
function checkCa(cert: X509Certificate, refuse: (why: string) => never): void {
  if (!basicConstraintsCa(cert.toString()))
    refuse(
      `tls.crt is not a CA certificate (no basicConstraints CA:TRUE; subject ${cert.subject.replace(/\n/g, ', ')}): pass the Secret of the CA (a cert-manager CA Issuer's secretName), not a certificate it issued`,
    );
  if (keyCertSign(cert.toString()) === false) refuse('tls.crt is a CA whose keyUsage lacks keyCertSign: it may not sign certificates');
  if (!cert.checkIssued(cert) || !cert.verify(cert.publicKey)) refuse('tls.crt is not a self-signed (root) CA: an intermediate CA is not supported');
  const type = cert.publicKey.asymmetricKeyType ?? 'unknown';
  if (!(SIGNING_KEY_TYPES as readonly string[]).includes(type)) refuse(`the CA's key is ${type}: ECDSA or RSA only`);
}

/** ca.crt, when the Secret has one (cert-manager writes it), must hold the CA of tls.crt. */
function checkCaBundle(cert: X509Certificate, bundle: string | undefined, refuse: (why: string) => never): void {
  if (bundle === undefined) return;
  const blocks = bundle.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) refuse('ca.crt is not a PEM certificate');
  const issuers = blocks.map((b) => certificateOf(b, 'ca.crt', refuse));
  if (!issuers.some((i) => cert.checkIssued(i) && cert.verify(i.publicKey))) refuse("tls.crt does not verify against the Secret's ca.crt");
}

/**
 * The user's CA from its Secret, or a refusal (exit 3) saying what is wrong:
 * missing, a type or keys it does not have, not PEM, a key that is not the
 * certificate's, dates, not a CA, a ca.crt it does not chain to.
 */
export function readUserCa(secret: SecretObject | null, ref: {namespace: string; name: string}, now: Date): UserCa {
  const where = `Secret "${ref.name}" in namespace "${ref.namespace}"`;
  const hint = 'a CA Secret: tls.crt (a root CA certificate) and tls.key (its private key), as a cert-manager CA Issuer uses (docs/tls.md)';
  const refuse = (why: string): never => {
    throw new CliError(`--tls-from-secret: ${where}: ${why}`, {hint, exitCode: USER_CA_REFUSED});
  };
  if (!secret) return refuse('not found (it must be in the namespace of the ensemble)');
  if (!ACCEPTED_TYPES.includes(secret.type ?? 'Opaque')) refuse(`type ${secret.type} (kubernetes.io/tls or Opaque)`);
  const [crt, key] = [text(secret, 'tls.crt'), text(secret, 'tls.key')];
  const missing = [crt === undefined ? 'tls.crt' : '', key === undefined ? 'tls.key' : ''].filter(Boolean);
  if (missing.length > 0) refuse(`has no ${missing.join(' and ')}`);
  const cert = certificateOf(crt!, 'tls.crt', refuse);
  const privateKey = privateKeyOf(key!, refuse);
  if (!cert.checkPrivateKey(privateKey)) refuse('tls.key is not the private key of the certificate in tls.crt');
  const warnings: string[] = [];
  checkDates(cert, now, refuse, warnings, ref.name);
  checkCa(cert, refuse);
  checkCaBundle(cert, text(secret, 'ca.crt'), refuse);
  return {secret: ref.name, ca: {certPem: cert.toString(), keyPem: privateKey.export({type: 'pkcs8', format: 'pem'}) as string}, warnings};
}
