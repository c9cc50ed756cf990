/**
 * `kubectl zk logs NAME`: every member's ZooKeeper log, merged by the
 * kubelet's timestamps, each line tagged with its member and that member's
 * current role. With follow, each member is followed across container
 * restarts and pod replacements: when its stream ends the member's pod is
 * read again and the newest container is followed from the last line seen
 * (after the old container's last lines, when the pod is the same).
 */
import {CliError, errorMessage} from '../errors.js';
import type {Kube, LogStreamOptions, StatefulSetObject} from '../kube/types.js';
import type {Clock, Sleep} from '../util/time.js';
import type {PodLike} from './pods.js';
import {ZK_CONTAINER} from './roll/template.js';
import {listMemberPods} from './wait.js';

export interface LogLine {
  member: string;
  ordinal: number;
  /** the kubelet's RFC3339 time of the line */
  time: string;
  /** `time` with the fraction padded to 9 digits: sorts as a string */
  key: string;
  text: string;
  /** the member's role when the line was printed (leader, follower, observer, down, …) */
  role?: string;
}

/** "2026-12-03T14:20:00.1234Z text" → time, sortable key, text; undefined for a line without a timestamp. */
export function parseLogLine(raw: string): {time: string; key: string; text: string} | undefined {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d) (.*)$/s.exec(raw);
  if (!m) return undefined;
  const [, secs, frac = '', zone, text] = m;
  if (zone !== 'Z') {
    const d = new Date(`${secs}${zone}`);
    return {time: `${secs}${frac ? `.${frac}` : ''}${zone}`, key: `${d.toISOString().slice(0, 19)}.${frac.padEnd(9, '0')}Z`, text: text!};
  }
  return {time: `${secs}${frac ? `.${frac}` : ''}Z`, key: `${secs}.${frac.padEnd(9, '0')}Z`, text: text!};
}

/** Stable merge by time; lines of the same instant keep member order. */
export function mergeByTime(lines: readonly LogLine[]): LogLine[] {
  return lines
    .map((l, i) => ({l, i}))
    .sort((a, b) => (a.l.key < b.l.key ? -1 : a.l.key > b.l.key ? 1 : a.l.ordinal - b.l.ordinal || a.i - b.i))
    .map((x) => x.l);
}

/** The stream's lines, split on \n (a last line without one included). */
export async function* streamLines(stream: NodeJS.ReadableStream): AsyncGenerator<string> {
  let rest = '';
  for await (const chunk of stream as AsyncIterable<Buffer | string>) {
    rest += typeof chunk === 'string' ? chunk : chunk.toString('utf8');
    const parts = rest.split('\n');
    rest = parts.pop()!;
    for (const p of parts) yield p.endsWith('\r') ? p.slice(0, -1) : p;
  }
  if (rest) yield rest;
}

/** The last line a member's follow has printed: later reads skip up to it. */
export class Cursor {
  private key = '';
  private atKey = new Set<string>();
  time?: string;
  /** true when the line is new (and moves the cursor) */
  accept(l: {time: string; key: string; text: string}): boolean {
    if (l.key < this.key) return false;
    if (l.key === this.key) {
      if (this.atKey.has(l.text)) return false;
      this.atKey.add(l.text);
      return true;
    }
    this.key = l.key;
    this.time = l.time;
    this.atKey = new Set([l.text]);
    return true;
  }
}

/** Holds lines for windowMs after they arrive and lets them out in time order: lines of several streams interleave by time. */
export class Reorder {
  private buf: {line: LogLine; at: number}[] = [];
  constructor(
    private readonly windowMs: number,
    private readonly clock: Clock,
    private readonly out: (l: LogLine) => void,
  ) {}
  push(line: LogLine): void {
    this.buf.push({line, at: this.clock.now()});
  }
  flush(all = false): number {
    const cut = this.clock.now() - this.windowMs;
    const ready = all ? this.buf : this.buf.filter((b) => b.at <= cut);
    if (ready.length === 0) return 0;
    this.buf = all ? [] : this.buf.filter((b) => b.at > cut);
    for (const l of mergeByTime(ready.map((b) => b.line))) this.out(l);
    return ready.length;
  }
}

export interface LogsRequest {
  name: string;
  namespace: string;
  follow: boolean;
  sinceSeconds?: number;
  /** lines per member from the end (undefined: all) */
  tailLines?: number;
}

export interface LogsDeps {
  kube: Kube;
  clock: Clock;
  sleep: Sleep;
  signal?: AbortSignal;
  /** each pod's role now (srvr); a pod missing from the map is shown as "down" */
  roles(pods: readonly string[]): Promise<Map<string, string>>;
  emit(line: LogLine): void;
  /** follow: how long lines wait to be ordered (default 250 ms) */
  windowMs?: number;
  /** follow: pause before a member's pod is read again after its stream ended (default 1000 ms) */
  retryMs?: number;
  /** follow: how often roles are asked again (default 2000 ms) */
  rolesEveryMs?: number;
}

export interface LogsResult {
  name: string;
  namespace: string;
  members: string[];
  lines: number;
  follow: boolean;
  /** follow: containers followed after the first, over all members (restarts and replacements) */
  switches: number;
  /** what could not be read (a member without a log yet, a failed request) */
  errors: string[];
}

function streamOpts(req: LogsRequest, cursor: Cursor | undefined, follow: boolean, previous = false): LogStreamOptions {
  const base = {container: ZK_CONTAINER, timestamps: true, follow, previous};
  return cursor?.time ? {...base, sinceTime: cursor.time} : {...base, sinceSeconds: req.sinceSeconds, tailLines: req.tailLines};
}

/** Every member's log once, merged by time. */
async function snapshotLogs(req: LogsRequest, deps: LogsDeps): Promise<LogsResult> {
  const pods = (await listMemberPods(deps.kube, req.namespace, req.name)).map((p) => p.metadata.name);
  const errors: string[] = [];
  const [roles, perPod] = await Promise.all([
    deps.roles(pods).catch(() => new Map<string, string>()),
    Promise.all(
      pods.map(async (pod, ordinal) => {
        const out: LogLine[] = [];
        try {
          const stream = await deps.kube.logStream(req.namespace, pod, streamOpts(req, undefined, false), deps.signal);
          for await (const raw of streamLines(stream)) {
            const p = parseLogLine(raw);
            if (p) out.push({member: pod, ordinal: Number(/-(\d+)$/.exec(pod)?.[1] ?? ordinal), ...p});
          }
        } catch (err) {
          errors.push(`${pod}: ${errorMessage(err)}`);
        }
        return out;
      }),
    ),
  ]);
  const merged = mergeByTime(perPod.flat());
  for (const l of merged) deps.emit({...l, role: roles.get(l.member) ?? 'down'});
  return {name: req.name, namespace: req.namespace, members: pods, lines: merged.length, follow: false, switches: 0, errors};
}

async function ensembleReplicas(req: LogsRequest, deps: LogsDeps): Promise<number> {
  const sts = await deps.kube.get<StatefulSetObject>({apiVersion: 'apps/v1', kind: 'StatefulSet', namespace: req.namespace, name: req.name});
  if (!sts) throw new CliError(`ensemble "${req.name}" not found in namespace "${req.namespace}"`, {hint: `list ensembles with: kubectl zk list -n ${req.namespace} (or -A)`});
  return sts.spec?.replicas ?? 0;
}

export async function printLogs(req: LogsRequest, deps: LogsDeps): Promise<LogsResult> {
  const replicas = await ensembleReplicas(req, deps);
  if (!req.follow) return snapshotLogs(req, deps);
  return followLogs(req, deps, replicas);
}

interface FollowState {
  roles: Map<string, string>;
  lines: number;
  switches: number;
  errors: string[];
  reorder: Reorder;
}

const aborted = (deps: LogsDeps) => deps.signal?.aborted === true;

async function nap(deps: LogsDeps, ms: number): Promise<boolean> {
  try {
    await deps.sleep(ms, deps.signal);
    return !aborted(deps);
  } catch {
    return false;
  }
}

/** Reads one stream to its end (or abort) through the member's cursor. */
async function drain(req: LogsRequest, deps: LogsDeps, pod: string, ordinal: number, opts: LogStreamOptions, cursor: Cursor, st: FollowState): Promise<void> {
  try {
    const stream = await deps.kube.logStream(req.namespace, pod, opts, deps.signal);
    for await (const raw of streamLines(stream)) {
      const p = parseLogLine(raw);
      if (!p || !cursor.accept(p)) continue;
      st.reorder.push({member: pod, ordinal, ...p});
    }
  } catch (err) {
    const e = `${pod}: ${errorMessage(err)}`;
    if (!aborted(deps) && !st.errors.includes(e) && st.errors.length < 100) st.errors.push(e);
  }
}

type PodState = {uid?: string; containerId?: string};

async function podState(req: LogsRequest, deps: LogsDeps, pod: string): Promise<PodState> {
  const p = await deps.kube.get<PodLike>({apiVersion: 'v1', kind: 'Pod', namespace: req.namespace, name: pod}).catch(() => null);
  return {uid: p?.metadata.uid, containerId: p?.status?.containerStatuses?.find((c) => c.name === ZK_CONTAINER)?.containerID};
}

/** One member, followed until abort: each new container (restart or new pod) from where the last left off. */
async function followMember(req: LogsRequest, deps: LogsDeps, pod: string, ordinal: number, st: FollowState): Promise<void> {
  const cursor = new Cursor();
  let seen: PodState = {};
  while (!aborted(deps)) {
    const now = await podState(req, deps, pod);
    if (!now.containerId) {
      if (!(await nap(deps, deps.retryMs ?? 1000))) return;
      continue;
    }
    if (seen.containerId && now.containerId !== seen.containerId) {
      st.switches++;
      // same pod, new container: the old one's last lines, as far as the kubelet kept them
      if (now.uid === seen.uid && cursor.time) await drain(req, deps, pod, ordinal, streamOpts(req, cursor, false, true), cursor, st);
    }
    seen = now;
    await drain(req, deps, pod, ordinal, streamOpts(req, cursor, true), cursor, st);
    if (!(await nap(deps, deps.retryMs ?? 1000))) return;
  }
}

async function followLogs(req: LogsRequest, deps: LogsDeps, replicas: number): Promise<LogsResult> {
  const pods = Array.from({length: replicas}, (_, i) => `${req.name}-${i}`);
  const st: FollowState = {roles: new Map(), lines: 0, switches: 0, errors: [], reorder: undefined as unknown as Reorder};
  st.reorder = new Reorder(deps.windowMs ?? 250, deps.clock, (l) => {
    st.lines++;
    deps.emit({...l, role: st.roles.get(l.member) ?? 'down'});
  });
  st.roles = await deps.roles(pods).catch(() => new Map());
  const rolesLoop = (async () => {
    while (await nap(deps, deps.rolesEveryMs ?? 2000)) st.roles = await deps.roles(pods).catch(() => st.roles);
  })();
  const flushLoop = (async () => {
    while (await nap(deps, Math.max(10, Math.floor((deps.windowMs ?? 250) / 2)))) st.reorder.flush();
  })();
  await Promise.all([...pods.map((p, i) => followMember(req, deps, p, i, st)), rolesLoop, flushLoop]);
  st.reorder.flush(true);
  return {name: req.name, namespace: req.namespace, members: pods, lines: st.lines, follow: true, switches: st.switches, errors: st.errors};
}
