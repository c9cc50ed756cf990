/**
 * X.509 certificates for an ensemble's TLS, built in process: ECDSA P-256 keys
 * from node:crypto, the certificate's DER written here (a few ASN.1 types
 * only) and signed with node:crypto. No dependency: a certificate is a
 * handful of nested SEQUENCEs, and what is written is checked by Node's own
 * X509Certificate parser (unit tests) and by ZooKeeper's PEM reader and
 * Java's TLS (integration and e2e tests). Pure but for the keys and serial
 * numbers it makes.
 */
import {createHash, createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, sign, X509Certificate, type KeyObject} from 'node:crypto';
import {isIP} from 'node:net';

// ---------------------------------------------------------------- DER

function length(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

function tlv(tag: number, value: Buffer): Buffer {
  return Buffer.concat([Buffer.from([tag]), length(value.length), value]);
}

const seq = (...items: Buffer[]): Buffer => tlv(0x30, Buffer.concat(items));
const set = (...items: Buffer[]): Buffer => tlv(0x31, Buffer.concat(items));
const explicit = (n: number, inner: Buffer): Buffer => tlv(0xa0 + n, inner);
const octets = (b: Buffer): Buffer => tlv(0x04, b);
const bits = (b: Buffer, unused = 0): Buffer => tlv(0x03, Buffer.concat([Buffer.from([unused]), b]));
const utf8 = (s: string): Buffer => tlv(0x0c, Buffer.from(s, 'utf8'));
const bool = (v: boolean): Buffer => tlv(0x01, Buffer.from([v ? 0xff : 0]));

/** An unsigned big-endian integer (a leading 0x00 when the top bit is set). */
function integer(b: Buffer): Buffer {
  let i = 0;
  while (i < b.length - 1 && b[i] === 0 && (b[i + 1]! & 0x80) === 0) i++;
  const v = b.subarray(i);
  return tlv(0x02, (v[0]! & 0x80) !== 0 ? Buffer.concat([Buffer.from([0]), v]) : v);
}

function oid(dotted: string): Buffer {
  const [a, b, ...rest] = dotted.split('.').map(Number);
  const out: number[] = [a! * 40 + b!];
  for (const n of rest) {
    const chunk: number[] = [n & 0x7f];
    for (let v = Math.floor(n / 128); v > 0; v = Math.floor(v / 128)) chunk.unshift(0x80 | (v & 0x7f));
    out.push(...chunk);
  }
  return tlv(0x06, Buffer.from(out));
}

/** UTCTime before 2050, GeneralizedTime from then on (RFC 5280 4.1.2.5). */
function time(d: Date): Buffer {
  const iso = d.toISOString().replace(/[-:T]/g, '').slice(0, 14); // YYYYMMDDHHMMSS
  return d.getUTCFullYear() < 2050 ? tlv(0x17, Buffer.from(`${iso.slice(2)}Z`)) : tlv(0x18, Buffer.from(`${iso}Z`));
}

const OID = {
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  sha256WithRsa: '1.2.840.113549.1.1.11',
  commonName: '2.5.4.3',
  organization: '2.5.4.10',
  subjectKeyId: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  authorityKeyId: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
} as const;

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return seq(oid(id), ...(critical ? [bool(true)] : []), octets(value));
}

function name(cn: string, organization?: string): Buffer {
  const rdn = (type: string, v: string) => set(seq(oid(type), utf8(v)));
  return seq(...(organization ? [rdn(OID.organization, organization)] : []), rdn(OID.commonName, cn));
}

function altNames(names: readonly string[]): Buffer {
  return seq(
    ...names.map((n) => {
      if (isIP(n) === 4) return tlv(0x87, Buffer.from(n.split('.').map(Number)));
      if (isIP(n) === 6) throw new TypeError(`IPv6 subject alternative names are not supported: ${n}`);
      return tlv(0x82, Buffer.from(n, 'ascii'));
    }),
  );
}

/** The key identifier of RFC 5280 4.2.1.2 (1): SHA-1 of the subjectPublicKey bits (any key type: an issuer's may be RSA). */
function keyId(spkiDer: Buffer): Buffer {
  // SPKI = SEQ { AlgorithmIdentifier, BIT STRING }: skip the algorithm, take the BIT STRING's
  // contents after its unused-bits byte
  const algorithm = elementSpan(spkiDer, headerLength(spkiDer, 0));
  const key = elementSpan(spkiDer, algorithm[1]);
  return createHash('sha1')
    .update(spkiDer.subarray(key[0] + headerLength(spkiDer, key[0]) + 1, key[1]))
    .digest();
}

// ---------------------------------------------------------------- certificates

export interface KeyPair {
  /** PKCS#8 PEM ("BEGIN PRIVATE KEY"): what ZooKeeper's PEM reader and Node's tls take */
  keyPem: string;
  certPem: string;
}

export interface CertSpec {
  commonName: string;
  /** DNS names and IPv4 addresses */
  altNames?: readonly string[];
  /** a CA (keyCertSign), or what a leaf may do */
  usage: 'ca' | 'server-and-client' | 'client';
  notBefore: Date;
  notAfter: Date;
}

export const ORGANIZATION = 'kubectl-zk';

function pemOf(label: string, der: Buffer): string {
  const b64 = der.toString('base64').replace(/(.{64})/g, '$1\n');
  return `-----BEGIN ${label}-----\n${b64.replace(/\n$/, '')}\n-----END ${label}-----\n`;
}

function extensionsFor(spec: CertSpec, spki: Buffer, issuerSpki: Buffer): Buffer[] {
  const exts: Buffer[] = [];
  if (spec.usage === 'ca') {
    exts.push(extension(OID.basicConstraints, true, seq(bool(true), integer(Buffer.from([0])))));
    // keyCertSign (bit 5), cRLSign (bit 6), digitalSignature (bit 0): 1000 0110, one unused bit
    exts.push(extension(OID.keyUsage, true, bits(Buffer.from([0x86]), 1)));
  } else {
    exts.push(extension(OID.basicConstraints, true, seq()));
    // digitalSignature (bit 0): what an ECDSA key does in TLS 1.2 ECDHE and TLS 1.3
    exts.push(extension(OID.keyUsage, true, bits(Buffer.from([0x80]), 7)));
    const purposes = spec.usage === 'client' ? [OID.clientAuth] : [OID.serverAuth, OID.clientAuth];
    exts.push(extension(OID.extKeyUsage, false, seq(...purposes.map(oid))));
  }
  if (spec.altNames && spec.altNames.length > 0) exts.push(extension(OID.subjectAltName, false, altNames(spec.altNames)));
  exts.push(extension(OID.subjectKeyId, false, octets(keyId(spki))));
  exts.push(extension(OID.authorityKeyId, false, seq(tlv(0x80, keyId(issuerSpki)))));
  return exts;
}

/** A serial number: 16 random bytes, positive, no leading zero byte (RFC 5280: at most 20 octets). */
function serial(): Buffer {
  const b = randomBytes(16);
  b[0] = (b[0]! & 0x7f) | 0x40;
  return b;
}

/** The issuers a certificate can be signed with: ECDSA (the plugin's own CA) and RSA (a CA of the user's, e.g. cert-manager's default). */
export const SIGNING_KEY_TYPES = ['ec', 'rsa'] as const;

function signatureAlgorithm(signer: KeyObject): Buffer {
  if (signer.asymmetricKeyType === 'ec') return seq(oid(OID.ecdsaWithSha256));
  if (signer.asymmetricKeyType === 'rsa') return seq(oid(OID.sha256WithRsa), tlv(0x05, Buffer.alloc(0)));
  throw new TypeError(`cannot sign with a ${signer.asymmetricKeyType} key (ECDSA or RSA only)`);
}

/**
 * A new key and a certificate for it, signed by `issuer` (self-signed without
 * one: a CA). Returns PEM; the certificate parses with Node's X509Certificate.
 */
export function issueCertificate(spec: CertSpec, issuer?: {keyPem: string; certPem: string}): KeyPair {
  const {privateKey, publicKey} = generateKeyPairSync('ec', {namedCurve: 'P-256'});
  const spki = publicKey.export({type: 'spki', format: 'der'});
  const issuerCert = issuer ? new X509Certificate(issuer.certPem) : undefined;
  const issuerSpki = issuerCert ? issuerCert.publicKey.export({type: 'spki', format: 'der'}) : spki;
  const issuerName = issuerCert ? issuerCert.raw.subarray(...subjectSpan(issuerCert.raw)) : name(spec.commonName, ORGANIZATION);
  const signer: KeyObject = issuer ? createPrivateKey(issuer.keyPem) : privateKey;
  const algorithm = signatureAlgorithm(signer);
  // a certificate outlives no issuer: one that did would stop verifying when its CA expires
  const notAfter = issuerCert && issuerCert.validToDate < spec.notAfter ? issuerCert.validToDate : spec.notAfter;
  const tbs = seq(
    explicit(0, integer(Buffer.from([2]))), // v3
    integer(serial()),
    algorithm,
    issuerName,
    seq(time(spec.notBefore), time(notAfter)),
    name(spec.commonName, ORGANIZATION),
    spki,
    tlv(0xa3, seq(...extensionsFor(spec, spki, issuerSpki))),
  );
  const signature = sign('sha256', tbs, signer); // DER ECDSA-Sig-Value, or PKCS#1 v1.5 for RSA
  const der = seq(tbs, algorithm, bits(signature));
  return {keyPem: privateKey.export({type: 'pkcs8', format: 'pem'}) as string, certPem: pemOf('CERTIFICATE', der)};
}

/** The length of the tag and length octets of the DER element at `at`. */
function headerLength(der: Buffer, at: number): number {
  const first = der[at + 1]!;
  return first < 0x80 ? 2 : 2 + (first & 0x7f);
}

/** [start, end) of a DER element's encoding that begins at `at`. */
function elementSpan(der: Buffer, at: number): [number, number] {
  const first = der[at + 1]!;
  if (first < 0x80) return [at, at + 2 + first];
  const n = first & 0x7f;
  let len = 0;
  for (let i = 0; i < n; i++) len = len * 256 + der[at + 2 + i]!;
  return [at, at + 2 + n + len];
}

/** Where the subject Name sits in a certificate's DER (the issuer of the certificates it signs, byte for byte). */
function subjectSpan(der: Buffer): [number, number] {
  const [, certEnd] = elementSpan(der, 0);
  if (certEnd !== der.length) throw new TypeError('not a DER certificate');
  const tbsStart = der[1]! < 0x80 ? 2 : 2 + (der[1]! & 0x7f);
  let at = tbsStart + (der[tbsStart + 1]! < 0x80 ? 2 : 2 + (der[tbsStart + 1]! & 0x7f)); // first element inside the TBS
  if (der[at] === 0xa0) at = elementSpan(der, at)[1]; // version
  for (let i = 0; i < 4; i++) at = elementSpan(der, at)[1]; // serial, signature, issuer, validity
  return elementSpan(der, at);
}

/** The public key of a private key PEM, to check that a key and a certificate belong together. */
export function publicKeyOf(keyPem: string): string {
  return createPublicKey(keyPem).export({type: 'spki', format: 'pem'}) as string;
}

/** The contents of the element at `at`, and where the next one begins. */
function contents(der: Buffer, at: number): {value: Buffer; next: number} {
  const [, end] = elementSpan(der, at);
  return {value: der.subarray(at + headerLength(der, at), end), next: end};
}

/** The extnValue (inside the OCTET STRING) of a certificate's extension, undefined when it has none. */
function extensionValue(der: Buffer, id: string): Buffer | undefined {
  const tbs = contents(der, headerLength(der, 0)).value;
  let at = subjectSpan(der)[1] - (headerLength(der, 0) + headerLength(der, headerLength(der, 0))); // subject's end, inside the TBS
  at = elementSpan(tbs, at)[1]; // subjectPublicKeyInfo
  while (at < tbs.length && tbs[at] !== 0xa3) at = elementSpan(tbs, at)[1]; // issuer/subject unique ids
  if (at >= tbs.length) return undefined;
  const list = contents(contents(tbs, at).value, 0).value; // [3] { SEQUENCE OF Extension }
  const want = oid(id);
  for (let i = 0; i < list.length;) {
    const ext = contents(list, i);
    i = ext.next;
    if (!ext.value.subarray(0, want.length).equals(want)) continue;
    let j = want.length;
    if (ext.value[j] === 0x01) j = elementSpan(ext.value, j)[1]; // critical
    return contents(ext.value, j).value;
  }
  return undefined;
}

/**
 * Whether a certificate's keyUsage allows signing certificates (keyCertSign,
 * bit 5); 'absent' when it has no keyUsage (RFC 5280 path validation then
 * puts no limit on the key: OpenSSL's `req -x509` writes none by default).
 */
export function keyCertSign(certPem: string): boolean | 'absent' {
  const value = extensionValue(new X509Certificate(certPem).raw, OID.keyUsage);
  if (!value) return 'absent';
  const bitString = contents(value, 0).value; // unused-bits byte, then the bits
  return bitString.length > 1 && (bitString[1]! & 0x04) !== 0;
}

/** Whether a certificate's basicConstraints says CA:TRUE (read from the DER: Node's `ca` also requires keyCertSign). */
export function basicConstraintsCa(certPem: string): boolean {
  const value = extensionValue(new X509Certificate(certPem).raw, OID.basicConstraints);
  if (!value) return false;
  const inner = contents(value, 0).value; // SEQUENCE { cA BOOLEAN DEFAULT FALSE, pathLen INTEGER OPTIONAL }
  return inner[0] === 0x01 && inner[2] !== 0x00;
}
