/**
 * The plugin's side of an ensemble's TLS: a loopback listener whose every
 * connection becomes a TLS client connection over a new connection to an
 * inner endpoint (in production a member's port-forward). Everything that
 * speaks ZooKeeper (node-zookeeper-client, the jute session, four-letter
 * words) connects to the listener in plain TCP, unchanged; the bytes leave
 * this process only inside TLS, verified against the ensemble's CA and the
 * member's DNS name, with the plugin's client certificate. The one place that
 * makes a TLS connection to a member.
 */
import {createServer, connect as netConnect, type AddressInfo, type Socket} from 'node:net';
import {connect as tlsConnect} from 'node:tls';

/** What the plugin presents and trusts: PEM text. */
export interface TlsIdentity {
  /** the ensemble's CA certificate(s): the only roots a member's certificate may chain to */
  ca: string;
  /** the plugin's client certificate and key (ssl.clientAuth=need on the members) */
  cert: string;
  key: string;
}

export interface TlsEndpoint {
  readonly host: string;
  readonly port: number;
  /** the last handshake failure (a wrong CA, a wrong name), for error messages */
  readonly lastError: Error | undefined;
  close(): Promise<void>;
}

/**
 * Listens on 127.0.0.1 (a free port); each accepted connection opens one to
 * `inner` and runs a TLS client over it that verifies the server's
 * certificate chain against `identity.ca` and its name against `servername`
 * (Node's checkServerIdentity: the subject alternative names). A failed
 * verification closes the accepted connection without a byte through it.
 */
export async function tlsClientEndpoint(inner: {host: string; port: number}, identity: TlsIdentity, servername: string, log?: (line: string) => void): Promise<TlsEndpoint> {
  const sockets = new Set<Socket>();
  let lastError: Error | undefined;
  const server = createServer({allowHalfOpen: true}, (local) => {
    sockets.add(local);
    const raw = netConnect(inner.port, inner.host);
    const secure = tlsConnect({socket: raw, servername, ca: identity.ca, cert: identity.cert, key: identity.key, minVersion: 'TLSv1.2'});
    sockets.add(raw);
    const fail = (e: Error) => {
      lastError = e;
      log?.(`tls ${servername}: ${e.message}`);
      local.destroy();
      secure.destroy();
    };
    secure.on('error', fail);
    raw.on('error', (e) => fail(e));
    local.on('error', () => secure.destroy());
    local.pipe(secure, {end: false}); // a client's half-close must not end TLS before the server's answer (4lw)
    secure.pipe(local);
    local.on('close', () => {
      sockets.delete(local);
      sockets.delete(raw);
      secure.destroy();
    });
    secure.on('close', () => {
      if (!local.writableEnded) local.end(); // what was piped is flushed first
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  server.unref();
  const address = server.address() as AddressInfo;
  return {
    host: '127.0.0.1',
    port: address.port,
    get lastError() {
      return lastError;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
