/**
 * The Kubernetes side of an ensemble's certificates after create --tls: a
 * member that did not exist at create (scale) gets its certificate, signed by
 * the ensemble's CA, before its pod starts.
 */
import {CliError} from '../errors.js';
import type {Kube, SecretObject} from '../kube/types.js';
import {objectNames, podName} from '../manifests/names.js';
import {CA_KEY, memberCertificate, memberPemKey} from '../tls/ensemble.js';

/** A Secret's value (the API returns .data base64). */
export function secretText(secret: SecretObject, key: string): string | undefined {
  const v = secret.data?.[key];
  return v ? Buffer.from(v, 'base64').toString('utf8') : undefined;
}

/** The ensemble's CA, key and certificate, from NAME-tls-ca. */
export async function readCa(kube: Kube, namespace: string, name: string): Promise<{keyPem: string; certPem: string}> {
  const ref = {apiVersion: 'v1', kind: 'Secret', namespace, name: objectNames(name).tlsCaSecret};
  const secret = await kube.get<SecretObject>(ref);
  const certPem = secret && secretText(secret, CA_KEY);
  const keyPem = secret && secretText(secret, 'ca.key');
  if (!certPem || !keyPem) throw new CliError(`secret "${ref.name}" in namespace "${namespace}" is missing or has no ca.crt/ca.key`, {hint: 'it is made by kubectl zk create --tls'});
  return {certPem, keyPem};
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
