import type {CertificateResult} from '../ops/certificate.js';

/** -o pem: the PEM itself; otherwise what was made and how to use it. */
export function renderCertificate(r: CertificateResult): string {
  if (r.pem) return r.pem;
  return [
    `✓ Secret ${r.secret} (kubernetes.io/tls: tls.crt, tls.key, ca.crt) in namespace "${r.namespace}": client certificate CN=${r.user}, signed by the CA of ensemble "${r.ensemble}", valid until ${r.notAfter}`,
    `connect: ${r.connect} in TLS, verifying the server against ca.crt (docs/tls.md has Java and Node examples)`,
    '',
  ].join('\n');
}
