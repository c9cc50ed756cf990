/**
 * The Kubernetes side of an ensemble's certificates after create --tls: a
 * member that did not exist at create (scale) gets its certificate, signed by
 * the ensemble's CA, before its pod starts.
 */
import {X509Certificate} from 'node:crypto';
import {CliError} from '../errors.js';
import {readUserCa, USER_CA_ANNOTATION, USER_CA_REFUSED} from '../tls/user-ca.js';
import type {Kube, SecretObject} from '../kube/types.js';
import {objectNames, podName} from '../manifests/names.js';
import {CA_KEY, memberCertificate, memberPemKey} from '../tls/ensemble.js';

/** A Secret's value (the API returns .data base64). */
export function secretText(secret: SecretObject, key: string): string | undefined {
  const v = secret.data?.[key];
  return v ? Buffer.from(v, 'base64').toString('utf8') : undefined;
}

/** The ensemble's CA, key and certificate, from NAME-tls-ca, or from the user's Secret it names (--tls-from-secret: readUserCa). */
export async function readCa(kube: Kube, namespace: string, name: string, now: Date = new Date()): Promise<{keyPem: string; certPem: string}> {
  const secret = await kube.get<SecretObject>({apiVersion: 'v1', kind: 'Secret', namespace, name: objectNames(name).tlsCaSecret});
  return caOf(kube, secret, namespace, name, now);
}

/** readCa with NAME-tls-ca already read (the user's Secret it names is read here). */
export async function caOf(kube: Kube, secret: SecretObject | null, namespace: string, name: string, now: Date = new Date()): Promise<{keyPem: string; certPem: string}> {
  const ref = {namespace, name: objectNames(name).tlsCaSecret};
  const certPem = secret && secretText(secret, CA_KEY);
  const userSecret = secret?.metadata.annotations?.[USER_CA_ANNOTATION];
  if (certPem && userSecret) return readUserCaOf(kube, {namespace, name: userSecret, ensemble: name}, certPem, now);
  const keyPem = secret && secretText(secret, 'ca.key');
  if (!certPem || !keyPem) throw new CliError(`secret "${ref.name}" in namespace "${namespace}" is missing or has no ca.crt/ca.key`, {hint: 'it is made by kubectl zk create --tls'});
  return {certPem, keyPem};
}

/**
 * The user's CA of an ensemble made with --tls-from-secret, checked again (it
 * may have changed since), and still the CA the members trust: certificates
 * from a CA the members do not trust would not connect.
 */
async function readUserCaOf(kube: Kube, ref: {namespace: string; name: string; ensemble: string}, trusted: string, now: Date): Promise<{keyPem: string; certPem: string}> {
  const user = readUserCa(await kube.get<SecretObject>({apiVersion: 'v1', kind: 'Secret', namespace: ref.namespace, name: ref.name}), ref, now);
  if (new X509Certificate(user.ca.certPem).fingerprint256 !== new X509Certificate(trusted).fingerprint256) {
    throw new CliError(`the CA in Secret "${ref.name}" (--tls-from-secret) is not the CA the members of "${ref.ensemble}" trust: it changed since the ensemble was made`, {
      hint: 'kubectl-zk does not move an ensemble to a new CA of yours; put the CA back in that Secret (docs/tls.md, "Your own CA")',
      exitCode: USER_CA_REFUSED,
    });
  }
  return user.ca;
}

/**
 * Makes sure the members' Secret NAME-tls holds member `ordinal`'s key and
 * certificate: nothing to do for an ensemble without TLS or a member that has
 * one; otherwise one is issued by the ensemble's CA and added. Returns whether
 * it added one.
 */
export async function ensureMemberCertificate(kube: Kube, o: {namespace: string; name: string; clusterDomain: string; ordinal: number; now: Date}): Promise<boolean> {
  const ref = {apiVersion: 'v1', kind: 'Secret', namespace: o.namespace, name: objectNames(o.name).tlsSecret};
  const secret = await kube.get<SecretObject>(ref);
  if (!secret) return false;
  const key = memberPemKey(podName(o.name, o.ordinal));
  if (secret.data?.[key]) return false;
  const ca = await readCa(kube, o.namespace, o.name);
  const pair = memberCertificate({name: o.name, namespace: o.namespace, clusterDomain: o.clusterDomain}, o.ordinal, ca, o.now);
  await kube.mergePatch(ref, {data: {[key]: Buffer.from(pair.keyPem + pair.certPem).toString('base64')}});
  return true;
}
