/**
 * rotate-certs, the pure part: what each stage of a rotation writes into the
 * ensemble's three Secrets (NAME-tls mounted in the members, NAME-tls-ca the
 * CA key, NAME-tls-client the plugin's identity), given what they hold now.
 * A renewed certificate keeps the subject and the subject alternative names of
 * the one it replaces (read from it), with a new key and a new validity.
 * Pure but for the keys it makes (tls/x509.ts).
 */
import {randomBytes, X509Certificate} from 'node:crypto';
import {CA_DAYS, CA_KEY, clientCertificate, LEAF_DAYS, PLUGIN_USER} from './ensemble.js';
import {issueCertificate, type KeyPair} from './x509.js';

const DAY_MS = 86_400_000;
const BACKDATE_MS = 3_600_000;

/** rotate-certs' three runs: new member certificates; a new CA trusted beside the old one; the members on the new CA, then the old CA dropped. */
export type RotateMode = 'renew' | 'ca' | 'finish';

/** The annotation on NAME-tls-ca that marks the two-CA period (value: the old CA's SHA-256 fingerprint). */
export const CA_ROTATION = 'kubectl-zk/ca-rotation-from';
/** NAME-tls-ca's keys holding the old CA during the two-CA period. */
export const PREVIOUS_CA_KEY = 'previous-ca.crt';
export const PREVIOUS_CA_KEY_KEY = 'previous-ca.key';

/** The certificates in a PEM bundle, each as its own PEM text. */
export function splitPem(bundle: string): string[] {
  return bundle.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----\n?/g)?.map((c) => (c.endsWith('\n') ? c : `${c}\n`)) ?? [];
}

export function fingerprint(certPem: string): string {
  return new X509Certificate(certPem).fingerprint256;
}

/** A member's PEM in NAME-tls is its key then its certificate. */
export function certOfMemberPem(pem: string): string {
  const cert = splitPem(pem)[0];
  if (!cert) throw new Error('no certificate in the member PEM');
  return cert;
}

/** The DNS names of a certificate's subjectAltName. */
export function dnsNames(certPem: string): string[] {
  const san = new X509Certificate(certPem).subjectAltName ?? '';
  return san
    .split(', ')
    .filter((x) => x.startsWith('DNS:'))
    .map((x) => x.slice(4));
}

function commonName(certPem: string): string {
  const m = /^CN=(.*)$/m.exec(new X509Certificate(certPem).subject);
  if (!m?.[1]) throw new Error('certificate without a CN');
  return m[1];
}

/** A member certificate like `current` (same CN, same DNS names), a new key, signed by `ca`. */
export function renewMember(currentCertPem: string, ca: KeyPair, now: Date): KeyPair {
  return issueCertificate(
    {
      commonName: commonName(currentCertPem),
      altNames: dnsNames(currentCertPem),
      usage: 'server-and-client',
      notBefore: new Date(now.getTime() - BACKDATE_MS),
      notAfter: new Date(now.getTime() + LEAF_DAYS * DAY_MS),
    },
    ca,
  );
}

/**
 * The next CA. Its subject must differ from the old CA's: ZooKeeper's PEM
 * trust store loader files each certificate under its subject name, so of two
 * CAs with one subject in a bundle only the last is trusted (seen on 3.9.5:
 * every old-CA certificate refused). The CN carries the date and a random tag.
 */
export function nextCa(o: {name: string; namespace: string}, now: Date): KeyPair {
  const tag = `${now.toISOString().slice(0, 10)} ${randomBytes(3).toString('hex')}`;
  return issueCertificate({
    commonName: `${o.name}.${o.namespace} ZooKeeper CA ${tag}`,
    usage: 'ca',
    notBefore: new Date(now.getTime() - BACKDATE_MS),
    notAfter: new Date(now.getTime() + CA_DAYS * DAY_MS),
  });
}

/** What the ensemble's Secrets hold now (decoded). */
export interface TlsSecrets {
  /** NAME-tls: ca.crt (the trust bundle) and POD.pem per member */
  members: Record<string, string>;
  /** NAME-tls-ca: ca.crt, ca.key, and previous-ca.crt during the two-CA period */
  ca: Record<string, string>;
  /** whether NAME-tls-ca carries CA_ROTATION */
  rotating: boolean;
  /** NAME-tls-client: ca.crt, tls.crt, tls.key */
  client: Record<string, string>;
}

/** One stage: the Secrets' new data (only the keys that change), then a roll. */
export interface RotateStage {
  name: 'trust-new-ca' | 'new-member-certificates' | 'drop-old-ca';
  /** NAME-tls keys → new PEM */
  members: Record<string, string>;
  /** NAME-tls-ca keys → new text, null to remove */
  ca?: Record<string, string | null>;
  /** CA_ROTATION: set to this value, or removed (null) */
  annotation?: string | null;
  client?: Record<string, string>;
  /** per member pod: the fingerprint of the certificate it serves after this stage */
  expect: Record<string, string>;
  /** after this stage the members accept client certificates from this CA … */
  accepts?: KeyPair;
  /** … and refuse those from this one */
  refuses?: KeyPair;
  summary: string;
}

/** The pods whose key is in NAME-tls (POD.pem), ordered by ordinal. */
export function memberPods(members: Record<string, string>): string[] {
  const ord = (p: string) => Number(/-(\d+)$/.exec(p)?.[1] ?? 0);
  return Object.keys(members)
    .filter((k) => k.endsWith('.pem'))
    .map((k) => k.slice(0, -4))
    .sort((a, b) => ord(a) - ord(b));
}

function reissue(s: TlsSecrets, ca: KeyPair, now: Date): {members: Record<string, string>; expect: Record<string, string>} {
  const members: Record<string, string> = {};
  const expect: Record<string, string> = {};
  for (const pod of memberPods(s.members)) {
    const next = renewMember(certOfMemberPem(s.members[`${pod}.pem`]!), ca, now);
    members[`${pod}.pem`] = next.keyPem + next.certPem;
    expect[pod] = fingerprint(next.certPem);
  }
  return {members, expect};
}

function served(s: TlsSecrets): Record<string, string> {
  return Object.fromEntries(memberPods(s.members).map((pod) => [pod, fingerprint(certOfMemberPem(s.members[`${pod}.pem`]!))]));
}

function currentCa(s: TlsSecrets): KeyPair {
  const certPem = s.ca[CA_KEY];
  const keyPem = s.ca['ca.key'];
  if (!certPem || !keyPem) throw new Error('NAME-tls-ca has no ca.crt/ca.key');
  return {certPem, keyPem};
}

/** Every member and kubectl-zk get a new key and certificate from `ca` (renew, and --finish's first stage). */
function reissueStage(s: TlsSecrets, ca: KeyPair, now: Date, summary: string): RotateStage {
  const {members, expect} = reissue(s, ca, now);
  const plugin = clientCertificate(PLUGIN_USER, ca, now);
  return {name: 'new-member-certificates', members, client: {'tls.crt': plugin.certPem, 'tls.key': plugin.keyPem}, expect, summary};
}

/**
 * The stages of one run. renew: every member and the plugin get a new key and
 * certificate from the current CA (one roll). ca: a new CA, and every trust
 * store holds the old and the new one; the members keep their certificates
 * (one roll). finish: the members and the plugin get certificates from the
 * new CA (trust both; one roll), then the old CA is dropped (one roll).
 */
export function rotationStages(mode: RotateMode, s: TlsSecrets, o: {name: string; namespace: string; now: Date}): RotateStage[] {
  const ca = currentCa(s);
  if (mode === 'renew') return [reissueStage(s, ca, o.now, 'new keys and certificates for every member and kubectl-zk, from the current CA')];
  if (mode === 'ca') {
    const next = nextCa(o, o.now);
    const trust = ca.certPem + next.certPem;
    return [
      {
        name: 'trust-new-ca',
        members: {[CA_KEY]: trust},
        ca: {[CA_KEY]: next.certPem, 'ca.key': next.keyPem, [PREVIOUS_CA_KEY]: ca.certPem, [PREVIOUS_CA_KEY_KEY]: ca.keyPem},
        annotation: fingerprint(ca.certPem),
        client: {[CA_KEY]: trust},
        expect: served(s),
        accepts: next,
        summary: 'a new CA; every trust store holds the old and the new CA (the members keep their certificates)',
      },
    ];
  }
  const previous = {certPem: s.ca[PREVIOUS_CA_KEY] ?? '', keyPem: s.ca[PREVIOUS_CA_KEY_KEY] ?? ''};
  if (!previous.certPem || !previous.keyPem) throw new Error('no CA rotation under way');
  const reissued = {...reissueStage(s, ca, o.now, 'every member and kubectl-zk get a certificate from the new CA (both CAs still trusted)'), accepts: ca};
  return [
    reissued,
    {
      name: 'drop-old-ca',
      members: {[CA_KEY]: ca.certPem},
      ca: {[PREVIOUS_CA_KEY]: null, [PREVIOUS_CA_KEY_KEY]: null},
      annotation: null,
      client: {[CA_KEY]: ca.certPem},
      expect: reissued.expect,
      accepts: ca,
      refuses: previous,
      summary: 'the old CA leaves every trust store',
    },
  ];
}

/** A throwaway client certificate from `ca`, to test what a member accepts. */
export function probeIdentity(ca: KeyPair, now: Date): KeyPair {
  return clientCertificate('kubectl-zk-probe', ca, now, 1);
}
