/**
 * A TCP proxy in front of one ZooKeeper client port that forwards
 * everything, except that it cuts the connection (both sides) right after
 * forwarding a request with a chosen opcode — the server gets and executes
 * the request, the client never sees the reply. Simulates a port-forward or
 * network drop at the worst moment.
 */
import {createServer, Socket, type Server} from 'node:net';
import {FrameDecoder, JuteReader, OpCode, type Endpoint} from '../../support/zk.js';

export interface LossyProxy {
  endpoint: Endpoint;
  /** How many connections were cut. */
  readonly cuts: number;
  close(): Promise<void>;
}

export async function lossyProxy(target: Endpoint, cutAfterOpcode: number = OpCode.reconfig): Promise<LossyProxy> {
  const sockets = new Set<Socket>();
  let cuts = 0;
  const server: Server = createServer((client) => {
    const upstream = new Socket();
    sockets.add(client);
    sockets.add(upstream);
    const dec = new FrameDecoder();
    let first = true;
    let dropReplies = false;
    const cut = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.on('data', (chunk: Buffer) => {
      upstream.write(chunk);
      for (const f of dec.push(chunk)) {
        if (first) {
          first = false; // ConnectRequest
          continue;
        }
        const r = new JuteReader(f);
        r.int();
        if (r.int() === cutAfterOpcode) {
          cuts++;
          // the request reaches the server; its reply never reaches the client
          dropReplies = true;
          setTimeout(cut, 50);
        }
      }
    });
    upstream.on('data', (b: Buffer) => {
      if (!dropReplies) client.write(b);
    });
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.on('error', () => undefined);
    upstream.on('error', () => undefined);
    upstream.connect(target.port, target.host);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as {port: number}).port;
  return {
    endpoint: {host: '127.0.0.1', port},
    get cuts() {
      return cuts;
    },
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}
