/**
 * One mutating run per ensemble: a coordination.k8s.io/v1 Lease
 * `<ensemble>-kubectl-zk-lock` in the ensemble's namespace, taken before a
 * mutating command changes anything, renewed while it runs, released when it
 * ends (also on a signal). A second run is refused with who holds it; a
 * holder that died (SIGKILL, a lost machine) stops renewing, and once the
 * lease has expired `--break-lock` takes it over. Every write carries the
 * resourceVersion it read, so two runs racing for the lease cannot both win.
 */
import {CliError, errorMessage} from '../errors.js';
import {retryOnConflict} from '../kube/errors.js';
import type {Kube, KubeObject} from '../kube/types.js';
import {APP_NAME, LABEL, MANAGER} from '../manifests/labels.js';
import {formatDuration} from '../util/duration.js';
import type {Clock, Sleep} from '../util/time.js';

export const LOCK_DURATION_S = 15;
export const LOCK_RENEW_MS = 5000;
const ANNOTATION = {host: 'kubectl-zk/lock-host', pid: 'kubectl-zk/lock-pid', command: 'kubectl-zk/lock-command'} as const;

export function lockName(ensemble: string): string {
  return `${ensemble}-kubectl-zk-lock`;
}

export interface LeaseObject extends KubeObject {
  spec?: {holderIdentity?: string | null; leaseDurationSeconds?: number; acquireTime?: string | null; renewTime?: string | null; leaseTransitions?: number};
}

export interface LockOwner {
  host: string;
  pid: number;
  /** the command line, e.g. "kubectl zk scale zk --replicas 5" */
  command: string;
}

/** Who holds a lease, and whether it expired, as of `now` (pure). */
export interface LockHolder extends LockOwner {
  identity: string;
  since?: string;
  renewedAt?: string;
  expiresAt: number;
  expired: boolean;
}

/** Kubernetes MicroTime: RFC 3339 with microseconds. */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

export function holderOf(lease: LeaseObject, now: number): LockHolder | undefined {
  const identity = lease.spec?.holderIdentity;
  if (!identity) return undefined;
  const a = lease.metadata.annotations ?? {};
  const renewed = Date.parse(lease.spec?.renewTime ?? lease.spec?.acquireTime ?? '');
  const expiresAt = (Number.isFinite(renewed) ? renewed : 0) + (lease.spec?.leaseDurationSeconds ?? LOCK_DURATION_S) * 1000;
  return {
    identity,
    host: a[ANNOTATION.host] ?? '?',
    pid: Number(a[ANNOTATION.pid] ?? NaN),
    command: a[ANNOTATION.command] ?? '?',
    since: lease.spec?.acquireTime ?? undefined,
    renewedAt: lease.spec?.renewTime ?? undefined,
    expiresAt,
    expired: now >= expiresAt,
  };
}

/** "kubectl zk scale zk --replicas 5 (pid 4242 on host-a) since 2026-…, last renewed 3.0s ago" */
export function describeHolder(h: LockHolder, now: number): string {
  const renewed = h.renewedAt ? `, last renewed ${formatDuration(Math.max(0, now - Date.parse(h.renewedAt)))} ago` : '';
  return `"${h.command}" (pid ${Number.isFinite(h.pid) ? h.pid : '?'} on ${h.host}) since ${h.since ?? '?'}${renewed}`;
}

export interface LockDeps {
  kube: Kube;
  clock: Clock;
  sleep: Sleep;
  owner: LockOwner;
  /** take over a holder whose lease expired */
  breakLock: boolean;
  /** called when renewing fails for good (another run took the lease, or it expired unrenewed) */
  onLost(err: Error): void;
  warn?(line: string): void;
  durationS?: number;
  renewMs?: number;
}

export interface HeldLock {
  readonly name: string;
  /** Stops renewing and frees the lease (only when it is still ours; `remove`: deletes it, after a teardown). Never throws. */
  release(opts?: {remove?: boolean}): Promise<void>;
}

/** Error of a run refused because another holds the lock (exit 1). */
export class LockHeldError extends CliError {
  constructor(
    message: string,
    hint: string,
    readonly holder: LockHolder,
  ) {
    super(message, {hint});
    this.name = 'LockHeldError';
  }
}

/**
 * Takes the ensemble's lock (see the module comment), or throws
 * LockHeldError naming the holder. The returned lock renews itself every
 * renewMs until released.
 */
export async function acquireLock(namespace: string, ensemble: string, deps: LockDeps): Promise<HeldLock> {
  const name = lockName(ensemble);
  const identity = `${deps.owner.host}/${deps.owner.pid}/${deps.clock.now().toString(36)}`;
  const ref = {apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', namespace, name};
  const read = async () => {
    const now = deps.clock.now();
    return {now, lease: await deps.kube.get<LeaseObject>(ref)};
  };
  let seen = await read();
  return retryOnConflict(
    async () => {
      const {now, lease} = seen;
      const holder = lease ? holderOf(lease, now) : undefined;
      if (holder) refuseOrBreak(ensemble, namespace, holder, now, deps);
      const mine = leaseBody(namespace, name, ensemble, identity, deps, now, lease, holder);
      const written = lease ? await deps.kube.replace<LeaseObject>(mine) : await deps.kube.create<LeaseObject>(mine);
      if (holder) deps.warn?.(`--break-lock: took over the lock of ensemble "${ensemble}" from ${describeHolder(holder, now)} (expired ${formatDuration(now - holder.expiresAt)} ago)`);
      return renewing(ref, written, identity, deps);
    },
    // another run wrote the lease between our read and our write: read it again (a live holder is then refused above)
    async () => {
      seen = await read();
    },
    4,
  );
}

function refuseOrBreak(ensemble: string, namespace: string, holder: LockHolder, now: number, deps: LockDeps): void {
  const who = describeHolder(holder, now);
  const lock = `lease ${lockName(ensemble)} in namespace "${namespace}"`;
  if (!holder.expired) {
    throw new LockHeldError(
      `ensemble "${ensemble}" is locked by ${who}`,
      deps.breakLock
        ? `the lease is still being renewed (it expires ${formatDuration(holder.expiresAt - now)} after its last renewal): that run is alive; --break-lock takes over only an expired lease (${lock})`
        : `one mutating command at a time; wait for it to finish. If that process is dead, its lease expires ${formatDuration(Math.max(0, holder.expiresAt - now))} from now; then run again with --break-lock (${lock})`,
      holder,
    );
  }
  if (!deps.breakLock) {
    throw new LockHeldError(
      `ensemble "${ensemble}" is locked by ${who}, which stopped renewing the lock ${formatDuration(now - holder.expiresAt)} ago`,
      `if that run is dead (it left whatever step it was in), take the lock over with --break-lock; the command resumes from what it finds (${lock})`,
      holder,
    );
  }
}

function leaseBody(namespace: string, name: string, ensemble: string, identity: string, deps: LockDeps, now: number, old: LeaseObject | null, holder: LockHolder | undefined): LeaseObject {
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: {
      name,
      namespace,
      ...(old?.metadata.resourceVersion ? {resourceVersion: old.metadata.resourceVersion} : {}),
      labels: {[LABEL.name]: APP_NAME, [LABEL.instance]: ensemble, [LABEL.managedBy]: MANAGER},
      annotations: {[ANNOTATION.host]: deps.owner.host, [ANNOTATION.pid]: String(deps.owner.pid), [ANNOTATION.command]: deps.owner.command},
    },
    spec: {
      holderIdentity: identity,
      leaseDurationSeconds: deps.durationS ?? LOCK_DURATION_S,
      acquireTime: microTime(now),
      renewTime: microTime(now),
      leaseTransitions: (old?.spec?.leaseTransitions ?? 0) + (holder ? 1 : 0),
    },
  };
}

/** The renewal loop of a lease we hold, and its release. */
function renewing(ref: {apiVersion: string; kind: string; namespace: string; name: string}, first: LeaseObject, identity: string, deps: LockDeps): HeldLock {
  const stop = new AbortController();
  let current = first;
  const renewOnce = async (): Promise<void> => {
    const now = deps.clock.now();
    const next: LeaseObject = {...current, spec: {...current.spec, renewTime: microTime(now)}};
    try {
      current = await deps.kube.replace<LeaseObject>(next);
    } catch (e) {
      const fresh = await deps.kube.get<LeaseObject>(ref).catch(() => undefined);
      if (fresh && fresh.spec?.holderIdentity === identity) {
        current = fresh; // a conflict with ourselves (a retried write): try again next time
        return;
      }
      if (fresh === undefined && now < Date.parse(current.spec?.renewTime ?? '') + (current.spec?.leaseDurationSeconds ?? LOCK_DURATION_S) * 1000) return; // the API is unreachable: retry while the lease lasts
      throw new CliError(
        `lost the lock of ensemble "${ref.name.replace(/-kubectl-zk-lock$/, '')}": ${fresh ? `now held by ${describeHolder(holderOf(fresh, now) ?? ({} as LockHolder), now)}` : errorMessage(e)}`,
      );
    }
  };
  const loop = (async () => {
    for (;;) {
      try {
        await deps.sleep(deps.renewMs ?? LOCK_RENEW_MS, stop.signal);
      } catch {
        return;
      }
      try {
        await renewOnce();
      } catch (e) {
        deps.onLost(e as Error);
        return;
      }
    }
  })();
  return {
    name: ref.name,
    async release(opts = {}) {
      stop.abort(new Error('released'));
      await loop;
      try {
        const fresh = await deps.kube.get<LeaseObject>(ref);
        if (fresh?.spec?.holderIdentity !== identity) return;
        if (opts.remove) {
          await deps.kube.delete(ref);
          return;
        }
        await deps.kube.replace<LeaseObject>({
          ...fresh,
          spec: {leaseDurationSeconds: fresh.spec.leaseDurationSeconds, leaseTransitions: fresh.spec.leaseTransitions, holderIdentity: null, acquireTime: null, renewTime: null},
        });
      } catch (e) {
        deps.warn?.(`could not release the lock ${ref.name}: ${errorMessage(e)} (it expires by itself ${deps.durationS ?? LOCK_DURATION_S}s after its last renewal)`);
      }
    },
  };
}
