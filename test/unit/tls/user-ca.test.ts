/**
 * create --tls-from-secret: the user's CA Secret checked before anything is
 * made (each bad shape with a certificate of its own), the ensemble's
 * certificates issued from it (ECDSA, and RSA as cert-manager makes by
 * default: openssl verifies the chain here), and the Secret never written.
 */
import assert from 'node:assert/strict';
import {execFileSync} from 'node:child_process';
import {mkdtempSync, readFileSync, writeFileSync} from 'node:fs';
import {X509Certificate} from 'node:crypto';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {CliError} from '../../../src/errors.js';
import type {SecretObject} from '../../../src/kube/types.js';
import {makeCa, makeEnsembleTls, memberCertificate} from '../../../src/tls/ensemble.js';
import {readUserCa} from '../../../src/tls/user-ca.js';
import {issueCertificate, keyCertSign, type KeyPair} from '../../../src/tls/x509.js';
import {caSecret} from '../../support/secrets.js';

const now = new Date('2026-12-06T00:00:00Z');
const DAY = 86_400_000;
const ref = {namespace: 'prod', name: 'my-ca'};
const where = {name: 'zk', namespace: 'prod', clusterDomain: 'cluster.local'};

const ecCa = makeCa({name: 'mine', namespace: 'prod'}, now);

function ca(o: {from: Date; to: Date; usage?: 'ca' | 'client'}, issuer?: KeyPair): KeyPair {
  return issueCertificate({commonName: 'test CA', usage: o.usage ?? 'ca', notBefore: o.from, notAfter: o.to}, issuer);
}

/** openssl in the test only: an RSA root CA as cert-manager's default (RSA 2048, keyUsage with keyCertSign), valid from the real now. */
function opensslCa(extra: string[] = ['-addext', 'keyUsage=critical,digitalSignature,keyCertSign,cRLSign']): KeyPair {
  const dir = mkdtempSync(path.join(tmpdir(), 'kzk-user-ca-'));
  const [key, crt] = [path.join(dir, 'ca.key'), path.join(dir, 'ca.crt')];
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', crt, '-subj', '/CN=rsa test CA', '-days', '400', ...extra], {stdio: 'pipe'});
  return {keyPem: readFileSync(key, 'utf8'), certPem: readFileSync(crt, 'utf8')};
}

function refused(secret: SecretObject | null, pattern: RegExp, at = now): void {
  assert.throws(
    () => readUserCa(secret, ref, at),
    (e: unknown) => e instanceof CliError && e.exitCode === 3 && pattern.test(e.message) && /^--tls-from-secret: Secret "my-ca" in namespace "prod": /.test(e.message),
  );
}

describe('--tls-from-secret: the CA Secret is checked', () => {
  it('an ECDSA CA of the user (kubernetes.io/tls or Opaque, with or without ca.crt): accepted, no warning', () => {
    for (const s of [caSecret({'tls.crt': ecCa.certPem, 'tls.key': ecCa.keyPem}), caSecret({'tls.crt': ecCa.certPem, 'tls.key': ecCa.keyPem, 'ca.crt': ecCa.certPem}, 'Opaque')]) {
      const u = readUserCa(s, ref, now);
      assert.equal(u.secret, 'my-ca');
      assert.equal(new X509Certificate(u.ca.certPem).fingerprint256, new X509Certificate(ecCa.certPem).fingerprint256);
      assert.deepEqual(u.warnings, []);
    }
  });

  it('missing, another type, keys missing: refused (exit 3), each with its reason', () => {
    refused(null, /not found \(it must be in the namespace of the ensemble\)/);
    refused(caSecret({'tls.crt': ecCa.certPem, 'tls.key': ecCa.keyPem}, 'kubernetes.io/dockerconfigjson'), /type kubernetes.io\/dockerconfigjson/);
    refused(caSecret({'tls.crt': ecCa.certPem}), /has no tls\.key$/);
    refused(caSecret({'ca.crt': ecCa.certPem}), /has no tls\.crt and tls\.key$/);
  });

  it('not PEM: the certificate, the key', () => {
    refused(caSecret({'tls.crt': 'hello', 'tls.key': ecCa.keyPem}), /tls\.crt is not a PEM certificate$/);
    refused(caSecret({'tls.crt': '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n', 'tls.key': ecCa.keyPem}), /tls\.crt is not a PEM certificate \(it does not parse\)/);
    refused(caSecret({'tls.crt': ecCa.certPem, 'tls.key': 'not a key'}), /tls\.key is not a PEM private key$/);
  });

  it("a key that is not the certificate's (another CA's key; an RSA key for an ECDSA certificate)", () => {
    const other = makeCa({name: 'other', namespace: 'prod'}, now);
    refused(caSecret({'tls.crt': ecCa.certPem, 'tls.key': other.keyPem}), /tls\.key is not the private key of the certificate in tls\.crt/);
    refused(caSecret({'tls.crt': ecCa.certPem, 'tls.key': opensslCa().keyPem}), /tls\.key is not the private key/);
  });

  it('expired, not valid yet: refused; expiring within 30 days: accepted with a warning', () => {
    const expired = ca({from: new Date(now.getTime() - 400 * DAY), to: new Date(now.getTime() - DAY)});
    refused(caSecret({'tls.crt': expired.certPem, 'tls.key': expired.keyPem}), /the CA certificate expired at 2026-12-05T00:00:00/);
    const later = ca({from: new Date(now.getTime() + DAY), to: new Date(now.getTime() + 400 * DAY)});
    refused(caSecret({'tls.crt': later.certPem, 'tls.key': later.keyPem}), /the CA certificate is not valid yet \(from 2026-12-07/);
    const soon = ca({from: new Date(now.getTime() - DAY), to: new Date(now.getTime() + 10 * DAY)});
    const u = readUserCa(caSecret({'tls.crt': soon.certPem, 'tls.key': soon.keyPem}), ref, now);
    assert.equal(u.warnings.length, 1);
    assert.match(u.warnings[0]!, /^the CA in Secret my-ca expires in 10 day\(s\)/);
  });

  it('not a CA: a leaf (e.g. a certificate a cert-manager Issuer made), a CA without keyCertSign, an intermediate', () => {
    const leaf = memberCertificate(where, 0, ecCa, now);
    refused(
      caSecret({'tls.crt': leaf.certPem, 'tls.key': leaf.keyPem, 'ca.crt': ecCa.certPem}),
      /tls\.crt is not a CA certificate \(no basicConstraints CA:TRUE; subject [^)]*CN=zk-0\): pass the Secret of the CA/,
    );
    const noSign = opensslCa(['-addext', 'keyUsage=critical,digitalSignature']);
    assert.equal(keyCertSign(noSign.certPem), false);
    refused(caSecret({'tls.crt': noSign.certPem, 'tls.key': noSign.keyPem}), /keyUsage lacks keyCertSign/, new Date());
    const intermediate = ca({from: now, to: new Date(now.getTime() + 400 * DAY)}, ecCa);
    refused(caSecret({'tls.crt': intermediate.certPem, 'tls.key': intermediate.keyPem, 'ca.crt': ecCa.certPem}), /not a self-signed \(root\) CA: an intermediate CA is not supported/);
  });

  it('a ca.crt that tls.crt does not verify against; a ca.crt that is not PEM', () => {
    const other = makeCa({name: 'other', namespace: 'prod'}, now);
    refused(caSecret({'tls.crt': ecCa.certPem, 'tls.key': ecCa.keyPem, 'ca.crt': other.certPem}), /tls\.crt does not verify against the Secret's ca\.crt/);
    refused(caSecret({'tls.crt': ecCa.certPem, 'tls.key': ecCa.keyPem, 'ca.crt': 'junk'}), /ca\.crt is not a PEM certificate/);
  });

  it('keyUsage: read from the certificate (keyCertSign set in the plugin CA, absent from a plain openssl CA)', () => {
    assert.equal(keyCertSign(ecCa.certPem), true);
    assert.equal(keyCertSign(memberCertificate(where, 0, ecCa, now).certPem), false);
    assert.equal(keyCertSign(opensslCa([]).certPem), 'absent');
  });
});

describe('--tls-from-secret: certificates issued from the user CA', () => {
  it('an RSA CA (openssl): members and the plugin get certificates that openssl verifies against it (signature, key identifiers, purposes)', () => {
    const rsa = opensslCa();
    const user = readUserCa(caSecret({'tls.crt': rsa.certPem, 'tls.key': rsa.keyPem, 'ca.crt': rsa.certPem}), ref, new Date());
    const tls = makeEnsembleTls({...where, replicas: 3}, new Date(), user);
    assert.equal(tls.caSecret, 'my-ca');
    const dir = mkdtempSync(path.join(tmpdir(), 'kzk-user-ca-'));
    writeFileSync(path.join(dir, 'ca.crt'), rsa.certPem);
    for (const [i, pair, purpose] of [...tls.members.map((m, i) => [i, m, 'sslserver'] as const), [9, tls.plugin, 'sslclient'] as const]) {
      const file = path.join(dir, `${i}.crt`);
      writeFileSync(file, pair.certPem);
      const out = execFileSync('openssl', ['verify', '-x509_strict', '-purpose', purpose, '-CAfile', path.join(dir, 'ca.crt'), file], {encoding: 'utf8'});
      assert.match(out, /: OK/);
    }
    const member = new X509Certificate(tls.members[1]!.certPem);
    assert.match(member.subjectAltName ?? '', /DNS:zk-1\.zk-hs\.prod\.svc\.cluster\.local/);
  });

  it('a certificate never outlives its issuer: a CA ending in 100 days gives certificates ending then', () => {
    const shortCa = ca({from: new Date(now.getTime() - DAY), to: new Date(now.getTime() + 100 * DAY)});
    const member = new X509Certificate(memberCertificate(where, 0, shortCa, now).certPem);
    assert.equal(member.validToDate.getTime(), new X509Certificate(shortCa.certPem).validToDate.getTime());
  });
});
