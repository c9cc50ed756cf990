/** The load generator: sequential writes at a fixed rate, each one's fate recorded. */
import {errorMessage} from '../../errors.js';
import type {Clock, Sleep} from '../../util/time.js';
import type {ZkClient} from '../../zk/client.js';
import {isZkError} from '../../zk/errors.js';

// ---------------------------------------------------------------- the writer (load generator)

export interface WriteRecord {
  seq: number;
  /** child name under the round's writes znode */
  name: string;
  startedAt: number;
  /** when the server acknowledged the create */
  ackedAt?: number;
  failedAt?: number;
  /** ZkError code or message */
  error?: string;
}

export interface WriterOptions {
  /** the znode whose children the writer creates */
  dir: string;
  ratePerSec: number;
  /** the session to write through (connected to all members) */
  client: ZkClient;
  /** a new session when the current one expired */
  reconnect(): Promise<ZkClient>;
  clock: Clock;
  sleep: Sleep;
  /** connection state changes, for the timeline */
  onEvent?(detail: string, at: number): void;
}

export interface Writer {
  /** the session currently used (it changes after an expiry) */
  client(): ZkClient;
  /** the log so far (live; do not modify) */
  records(): readonly WriteRecord[];
  /** Stops writing; waits up to graceMs for the write in flight. The log is frozen then. */
  stop(graceMs?: number): Promise<WriteRecord[]>;
}

export type StartWriter = (o: WriterOptions) => Writer;

export function writeName(seq: number): string {
  return `w-${String(seq).padStart(10, '0')}`;
}

const DEAD_SESSION = new Set(['expired', 'closed', 'authFailed']);

/**
 * One session, one write at a time, paced at ratePerSec (no bursts to catch
 * up): creates `<dir>/w-<seq>` and records when each was acknowledged or
 * failed. A write that failed is unavailability, never assumed lost or done.
 */
export const startWriter: StartWriter = (o) => {
  const records: WriteRecord[] = [];
  const stopper = new AbortController();
  let client = o.client;
  let stopped = false;
  const interval = 1000 / o.ratePerSec;
  const watch = (c: ZkClient) => c.onState((s) => o.onEvent?.(`writer session ${s}`, o.clock.now()));
  let unwatch = watch(client);
  const loop = (async () => {
    let next = o.clock.now();
    let seq = 0;
    while (!stopped) {
      const wait = next - o.clock.now();
      if (wait > 0) {
        try {
          await o.sleep(wait, stopper.signal);
        } catch {
          break;
        }
      }
      if (stopped) break;
      if (DEAD_SESSION.has(client.state)) {
        try {
          const fresh = await o.reconnect();
          unwatch();
          void client.close().catch(() => undefined);
          client = fresh;
          unwatch = watch(client);
          o.onEvent?.(`writer opened a new session ${client.sessionId ?? ''}`.trim(), o.clock.now());
        } catch {
          next = Math.max(next + interval, o.clock.now());
          continue;
        }
      }
      const rec: WriteRecord = {seq: ++seq, name: writeName(seq), startedAt: o.clock.now()};
      records.push(rec);
      try {
        await client.create(`${o.dir}/${rec.name}`, String(seq));
        rec.ackedAt = o.clock.now();
      } catch (e) {
        rec.failedAt = o.clock.now();
        rec.error = isZkError(e) ? e.code : errorMessage(e);
      }
      next = Math.max(next + interval, o.clock.now());
    }
  })();
  return {
    client: () => client,
    records: () => records,
    async stop(graceMs = 15_000) {
      stopped = true;
      stopper.abort(new Error('writer stopped'));
      const timer = new AbortController();
      await Promise.race([loop, o.sleep(graceMs, timer.signal).catch(() => undefined)]);
      timer.abort(new Error('done'));
      unwatch();
      const at = o.clock.now();
      // frozen: a write still in flight counts as failed (its answer never came in time)
      return records.map((r) => (r.ackedAt === undefined && r.failedAt === undefined ? {...r, failedAt: at, error: 'no answer before the writer stopped'} : {...r}));
    },
  };
};
