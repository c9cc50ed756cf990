/**
 * Every use of node-zookeeper-client's private internals, in one file. The
 * library (pinned exactly in package.json: 1.1.3) has no public read timeout
 * and no way to cut its socket, so kubectl-zk reaches into its
 * ConnectionManager here and nowhere else. test/unit/zk/nzc-internals.test.ts
 * fails when the installed library no longer has the shape used here.
 */

/** The parts of the library's ConnectionManager (lib/ConnectionManager.js) used here and in NzcClient.close(). */
export interface LibConnectionManager {
  socket?: {destroy(): void; readonly destroyed?: boolean};
  /** ConnectionManager STATES: 1 connecting, 2 connected, 3 connected read-only; others are not watched. */
  state: number;
  /** The negotiated session timeout once connected (the requested one before). */
  sessionTimeout: number;
  /** sessionTimeout / number of servers, as in ZooKeeper's Java client. */
  connectTimeout: number;
  onSocketData(buffer: Buffer): void;
  queue(request: {header?: {type: number} | null}, callback?: (error: unknown) => void): void;
}

/** ConnectionManager STATES (lib/ConnectionManager.js) that the read timeout watches. */
export const CM_STATES = {connecting: 1, connected: 2, connectedReadOnly: 3} as const;

/**
 * node-zookeeper-client pings an idle connection but never checks that anything comes back, so a
 * connection that goes silent without closing (a port-forward whose pod side is gone, a member
 * that stopped answering) holds the session until the server expires it. This gives the library
 * the read timeout of ZooKeeper's Java client (ClientCnxn): no byte for 2/3 of the negotiated
 * session timeout while connected, or for connectTimeout (sessionTimeout / servers) while the
 * session handshake is under way, and the socket is cut; the library then reconnects to the next
 * server within the same session. The library binds `onSocketData` per socket when it connects,
 * so wrapping it on the instance before the first connect sees every socket's data.
 * Returns the function that stops the watch.
 */
export function watchReads(cm: LibConnectionManager, opts: {now?: () => number; tickMs?: number; onCut?: (silentMs: number, limitMs: number) => void} = {}): () => void {
  const now = opts.now ?? (() => performance.now());
  let socket = cm.socket;
  let lastRecv = now();
  const onSocketData = cm.onSocketData;
  cm.onSocketData = function (this: LibConnectionManager, buffer: Buffer) {
    lastRecv = now();
    return onSocketData.call(this, buffer);
  };
  const timer = setInterval(() => {
    if (cm.socket !== socket) {
      // a new connection attempt: its silence counts from now
      socket = cm.socket;
      lastRecv = now();
      return;
    }
    const limit = cm.state === CM_STATES.connected || cm.state === CM_STATES.connectedReadOnly ? (cm.sessionTimeout * 2) / 3 : cm.state === CM_STATES.connecting ? cm.connectTimeout : undefined;
    if (limit === undefined || !socket || socket.destroyed) {
      lastRecv = now();
      return;
    }
    const silent = now() - lastRecv;
    if (silent > limit) {
      opts.onCut?.(silent, limit);
      lastRecv = now();
      socket.destroy();
    }
  }, opts.tickMs ?? 100);
  timer.unref();
  return () => {
    clearInterval(timer);
    cm.onSocketData = onSocketData;
  };
}

/** Cuts the library's current socket (it then reconnects, or, after close(), stays closed). */
export function cutSocket(cm: LibConnectionManager | undefined): void {
  cm?.socket?.destroy();
}

/** ZooKeeper's OpCode.closeSession */
const OP_CLOSE_SESSION = -11;

/** Calls `then` right after the server has answered this session's closeSession (the library's request queue, wrapped). */
export function onCloseSessionReply(cm: LibConnectionManager, then: () => void): void {
  const queue = cm.queue.bind(cm);
  cm.queue = (request, callback) =>
    queue(
      request,
      request.header?.type === OP_CLOSE_SESSION
        ? (error) => {
            callback?.(error);
            setImmediate(then);
          }
        : callback,
    );
}
