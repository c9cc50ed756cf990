import assert from 'node:assert/strict';
import {X509Certificate, createPrivateKey} from 'node:crypto';
import {checkServerIdentity} from 'node:tls';
import {clientCertificate, makeEnsembleTls, memberAltNames, memberServerName} from '../../../src/tls/ensemble.js';
import {issueCertificate, publicKeyOf} from '../../../src/tls/x509.js';

const now = new Date('2026-12-06T00:00:00Z');
const where = {name: 'zk', namespace: 'prod', clusterDomain: 'cluster.local', replicas: 3};

describe('tls/x509: certificates built in process', () => {
  const tls = makeEnsembleTls(where, now);
  const ca = new X509Certificate(tls.ca.certPem);

  it('the CA is self-signed, a CA, and its key is the one returned', () => {
    assert.equal(ca.ca, true);
    assert.ok(ca.verify(ca.publicKey));
    assert.ok(ca.checkIssued(ca));
    assert.equal(publicKeyOf(tls.ca.keyPem), ca.publicKey.export({type: 'spki', format: 'pem'}));
    assert.match(ca.subject, /CN=zk\.prod ZooKeeper CA/);
    assert.equal(ca.validFromDate.toISOString(), '2026-12-05T23:00:00.000Z');
    assert.equal(ca.validToDate.getUTCFullYear(), 2036);
  });

  it('every member certificate is signed by the CA, is not a CA, and carries its names', () => {
    assert.equal(tls.members.length, 3);
    tls.members.forEach((m, i) => {
      const cert = new X509Certificate(m.certPem);
      assert.equal(cert.ca, false);
      assert.ok(cert.checkIssued(ca), 'issuer name equals the CA subject');
      assert.ok(cert.verify(ca.publicKey), 'signature verifies with the CA key');
      assert.ok(!cert.verify(new X509Certificate(tls.plugin.certPem).publicKey));
      assert.equal(publicKeyOf(m.keyPem), cert.publicKey.export({type: 'spki', format: 'pem'}));
      assert.equal(createPrivateKey(m.keyPem).asymmetricKeyType, 'ec');
      for (const n of memberAltNames(where, i)) assert.equal(cert.checkHost(n), n, n);
      assert.equal(cert.checkHost(`zk-${i}.zk-hs.prod.svc.cluster.local`), `zk-${i}.zk-hs.prod.svc.cluster.local`);
      assert.equal(cert.checkHost('zk.prod.svc'), 'zk.prod.svc');
      assert.equal(cert.checkHost(`zk-${(i + 1) % 3}.zk-hs.prod.svc`), undefined, "another member's name");
      assert.equal(cert.checkHost('localhost'), undefined);
      assert.equal(cert.checkIP('127.0.0.1'), undefined);
      assert.equal(checkServerIdentity(memberServerName('zk', 'prod', `zk-${i}`), {subjectaltname: cert.subjectAltName, subject: {}} as never), undefined);
      assert.ok(cert.keyUsage?.includes('1.3.6.1.5.5.7.3.1') && cert.keyUsage.includes('1.3.6.1.5.5.7.3.2'), 'serverAuth and clientAuth');
    });
  });

  it('a client certificate is for clientAuth only, signed by the CA, with the user as CN', () => {
    const c = new X509Certificate(clientCertificate('billing', tls.ca, now, 30).certPem);
    assert.ok(c.checkIssued(ca) && c.verify(ca.publicKey));
    assert.match(c.subject, /CN=billing/);
    assert.deepEqual(c.keyUsage, ['1.3.6.1.5.5.7.3.2']);
    assert.equal(c.validToDate.toISOString(), '2027-01-05T00:00:00.000Z');
  });

  it('dates from 2050 on are GeneralizedTime; IP SANs are addresses; serials differ', () => {
    const far = issueCertificate({commonName: 'x', usage: 'server-and-client', altNames: ['10.1.2.3', 'a.b'], notBefore: now, notAfter: new Date('2061-03-04T05:06:07Z')}); // self-signed: an issued one ends with its CA
    const c = new X509Certificate(far.certPem);
    assert.equal(c.validToDate.toISOString(), '2061-03-04T05:06:07.000Z');
    assert.equal(c.checkIP('10.1.2.3'), '10.1.2.3');
    assert.equal(c.subjectAltName, 'IP Address:10.1.2.3, DNS:a.b');
    assert.notEqual(c.serialNumber, new X509Certificate(tls.members[0]!.certPem).serialNumber);
    assert.throws(() => issueCertificate({commonName: 'x', usage: 'client', altNames: ['::1'], notBefore: now, notAfter: now}), /IPv6/);
  });
});
