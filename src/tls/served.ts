/**
 * What a member's secure client port does with one TLS client connection:
 * the certificate it serves (verified against `identity.ca` and the member's
 * name) and whether it answers a four-letter word to this client certificate
 * (a member that does not trust the client's CA ends the connection: with
 * TLS 1.3 the refusal comes after the client's handshake is done, so the
 * answer is what tells). rotate-certs checks its stages with it.
 */
import {X509Certificate} from 'node:crypto';
import {connect as netConnect} from 'node:net';
import {connect as tlsConnect} from 'node:tls';
import type {TlsIdentity} from './endpoint.js';

export interface Served {
  /** SHA-256 fingerprint of the served certificate (absent when the handshake failed) */
  fingerprint256?: string;
  serialNumber?: string;
  /** the member answered srvr */
  answered: boolean;
  error?: string;
}

export function servedCertificate(inner: {host: string; port: number}, identity: TlsIdentity, servername: string, timeoutMs = 5000): Promise<Served> {
  return new Promise((resolve) => {
    const raw = netConnect(inner.port, inner.host);
    const s = tlsConnect({socket: raw, servername, ca: identity.ca, cert: identity.cert, key: identity.key, minVersion: 'TLSv1.2'});
    const got: Served = {answered: false};
    let data = '';
    const done = (error?: string) => {
      clearTimeout(timer);
      if (error && !got.error && !got.answered) got.error = error;
      s.destroy();
      raw.destroy();
      resolve(got);
    };
    const timer = setTimeout(() => done('no answer in time'), timeoutMs);
    s.once('secureConnect', () => {
      const peer = s.getPeerX509Certificate() as X509Certificate | undefined;
      if (peer) {
        got.fingerprint256 = peer.fingerprint256;
        got.serialNumber = peer.serialNumber;
      }
      s.write('srvr');
    });
    s.on('data', (d: Buffer) => {
      data += d.toString('latin1');
      if (/Mode: /.test(data) || /not currently serving/.test(data)) got.answered = true;
    });
    s.on('error', (e: Error) => done(e.message));
    raw.on('error', (e: Error) => done(e.message));
    s.on('close', () => done(got.answered ? undefined : 'closed without an answer'));
  });
}
