/**
 * KubeClient's port-forward against a real HTTPS server on loopback that
 * speaks just enough of the API's WebSocket port-forward protocol
 * (v4.channel.k8s.io) to echo: which TLS connection each stream arrives on,
 * and that a connection opened ahead (connectAhead) carries the next stream.
 */
import assert from 'node:assert/strict';
import {createHash} from 'node:crypto';
import {once} from 'node:events';
import {mkdtempSync, readFileSync, writeFileSync} from 'node:fs';
import https from 'node:https';
import net, {type AddressInfo} from 'node:net';
import {tmpdir} from 'node:os';
import path from 'node:path';
import type {TLSSocket} from 'node:tls';
import {FlowControl, KubeClient} from '../../src/kube/client.js';
import {resolveKubeConfig} from '../../src/kube/config.js';

const FIXTURES = path.join(import.meta.dirname, '..', 'fixtures', 'tls');
const cert = readFileSync(path.join(FIXTURES, 'cert.pem'));
const key = readFileSync(path.join(FIXTURES, 'key.pem'));

/** Unmasks the client's WebSocket frames (all small, binary); calls back with each payload. */
function readFrames(onPayload: (p: Buffer) => void): (chunk: Buffer) => void {
  let buf = Buffer.alloc(0);
  return (chunk) => {
    buf = Buffer.concat([buf, chunk]);
    while (buf.length >= 6) {
      const len = buf[1]! & 0x7f;
      if (len >= 126) throw new Error('test server: frame too long');
      if (buf.length < 6 + len) return;
      const mask = buf.subarray(2, 6);
      const payload = Buffer.from(buf.subarray(6, 6 + len).map((b, i) => b ^ mask[i % 4]!));
      if ((buf[0]! & 0x0f) === 0x2) onPayload(payload);
      buf = buf.subarray(6 + len);
    }
  };
}
const frame = (payload: Buffer): Buffer => Buffer.concat([Buffer.from([0x82, payload.length]), payload]);

describe('KubeClient port-forward (real HTTPS + WebSocket server on loopback)', () => {
  let server: https.Server;
  let tlsConnections: TLSSocket[];
  let upgrades: {url: string; socket: TLSSocket}[];
  let kube: KubeClient;
  /** the kubeconfig for `server` */
  let kubeconfig: string;

  before(async () => {
    server = https.createServer({cert, key});
    server.on('secureConnection', (s: TLSSocket) => tlsConnections.push(s));
    server.on('upgrade', (req, socket: TLSSocket) => {
      upgrades.push({url: req.url!, socket});
      const accept = createHash('sha1').update(`${req.headers['sec-websocket-key']}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
      socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\nSec-WebSocket-Protocol: v4.channel.k8s.io\r\n\r\n`);
      // the port-forward protocol: each channel's first frame is the port (little-endian)
      socket.write(frame(Buffer.from([0, 0x85, 0x08])));
      socket.write(frame(Buffer.from([1, 0x85, 0x08])));
      // data on channel 0 comes back on channel 0, upper-cased
      socket.on(
        'data',
        readFrames((p) => p[0] === 0 && p.length > 1 && socket.write(frame(Buffer.concat([Buffer.from([0]), Buffer.from(p.subarray(1).toString().toUpperCase())])))),
      );
      socket.on('error', () => undefined);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    kubeconfig = path.join(mkdtempSync(path.join(tmpdir(), 'kzk-kube-')), 'config');
    writeFileSync(
      kubeconfig,
      `apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: https://127.0.0.1:${(server.address() as AddressInfo).port}\n    certificate-authority-data: ${cert.toString('base64')}\ncontexts:\n- name: dev\n  context:\n    cluster: c\n    user: u\ncurrent-context: dev\nusers:\n- name: u\n  user:\n    token: t\n`,
    );
    kube = new KubeClient(resolveKubeConfig({kubeconfig}, {}));
  });
  beforeEach(() => {
    tlsConnections = [];
    upgrades = [];
  });
  after(async () => {
    await kube.close();
    server.closeAllConnections();
    server.close();
  });

  /** One connection through the forwarder: writes `text`, resolves with what comes back. */
  async function through(port: number, text: string): Promise<string> {
    const s = net.connect(port, '127.0.0.1');
    s.write(text);
    return new Promise((resolve, reject) => {
      s.once('data', (d) => {
        resolve(d.toString());
        s.destroy();
      });
      s.once('error', reject);
    });
  }

  it('a connection opened ahead carries the next stream; the one after opens its own', async () => {
    const handshake = once(server, 'secureConnection');
    kube.connectAhead();
    await handshake; // the handshake completes before any stream is asked for
    assert.equal(tlsConnections.length, 1, 'connectAhead opened one TLS connection (verified against the kubeconfig CA)');
    const fwd = await kube.portForward('ns', 'zk-0', 2181);
    assert.equal(await through(fwd.port, 'ruok'), 'RUOK');
    assert.equal(upgrades.length, 1);
    assert.equal(upgrades[0]!.url, '/api/v1/namespaces/ns/pods/zk-0/portforward?ports=2181');
    assert.equal(tlsConnections.length, 1, 'the stream went over the connection opened ahead');
    assert.equal(upgrades[0]!.socket, tlsConnections[0]);
    assert.equal(await through(fwd.port, 'srvr'), 'SRVR');
    assert.equal(tlsConnections.length, 2, 'with none left ahead, a stream opens its own connection');
    await fwd.close();
  });

  it('close() drops a connection opened ahead that is still in its handshake (a server that never answers)', async () => {
    const held: net.Socket[] = [];
    const silent = net.createServer((sock) => held.push(sock.resume())); // reads (and drops) the ClientHello, never answers
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'kzk-kube-')), 'config');
    writeFileSync(file, readFileSync(kubeconfig, 'utf8').replace(/server: .*/, `server: https://127.0.0.1:${(silent.address() as AddressInfo).port}`));
    const stuck = new KubeClient(resolveKubeConfig({kubeconfig: file}, {}));
    const accepted = once(silent, 'connection');
    stuck.connectAhead();
    await accepted;
    const closed = new Promise<void>((r) => held[0]!.once('close', () => r()));
    await stuck.close();
    await closed;
    silent.close();
  });

  it('close() drops a connection opened ahead and never used', async () => {
    const spare = new KubeClient(resolveKubeConfig({kubeconfig}, {}));
    const handshake = once(server, 'secureConnection');
    spare.connectAhead();
    await handshake;
    assert.equal(tlsConnections.length, 1);
    const closed = new Promise<void>((r) => tlsConnections[0]!.once('close', () => r()));
    await spare.close();
    await closed;
  });
});

describe('port-forward flow control (FlowControl)', () => {
  /** a local socket whose buffer is full after `room` writes, and a WebSocket that counts pauses */
  function fakes(room: number) {
    const drains: (() => void)[] = [];
    let writes = 0;
    const socket = {
      destroyed: false,
      write: () => ++writes <= room,
      once: (_ev: string, f: () => void) => void drains.push(f),
    };
    const ws = {paused: 0, resumed: 0, pause: () => void ws.paused++, resume: () => void ws.resumed++};
    return {socket, ws, drain: () => drains.splice(0).forEach((f) => f())};
  }

  it('a local socket that stops taking bytes pauses the WebSocket until it drains (client-node ignores write()): memory stays bounded', () => {
    const {socket, ws, drain} = fakes(2);
    const flow = new FlowControl(socket as unknown as net.Socket);
    flow.attach(ws);
    flow.output.write(Buffer.from('a'));
    flow.output.write(Buffer.from('b'));
    assert.equal(ws.paused, 0);
    flow.output.write(Buffer.from('c')); // the socket's buffer is over its mark now
    flow.output.write(Buffer.from('d'));
    assert.equal(ws.paused, 1, 'paused once, however many writes follow');
    drain();
    assert.equal(ws.resumed, 1);
    flow.output.write(Buffer.from('e'));
    assert.equal(ws.paused, 2);
  });

  it('bytes before the WebSocket is handed over still pause it when it arrives', () => {
    const {socket, ws} = fakes(0);
    const flow = new FlowControl(socket as unknown as net.Socket);
    flow.output.write(Buffer.from('early'));
    flow.attach(ws);
    assert.equal(ws.paused, 1);
  });
});
