import assert from 'node:assert/strict';
import {acquireLock, holderOf, LockHeldError, lockName, type LeaseObject} from '../../src/ops/lock.js';
import type {KubeError} from '../../src/kube/errors.js';
import {FakeKube} from '../support/fake-kube.js';
import {fakeTime} from '../support/time.js';

const owner = (pid: number) => ({host: 'host-a', pid, command: `kubectl zk scale zk --replicas ${pid}`});
/** The holder's renewal sleep: never wakes, until released (a holder that does not renew). */
const never = (_ms: number, signal?: AbortSignal) => new Promise<void>((_, reject) => signal?.addEventListener('abort', () => reject(signal.reason), {once: true}));
const ref = {apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', namespace: 'ns', name: lockName('zk')};

describe('the ensemble lock (a Lease)', () => {
  it('one holder at a time: the second run is refused naming host, pid, command and since; release frees it', async () => {
    const t = fakeTime(Date.parse('2026-12-03T14:00:00Z'));
    const kube = new FakeKube('ns');
    const lost: Error[] = [];
    const deps = (pid: number, breakLock = false) => ({kube, clock: t.clock, sleep: never, owner: owner(pid), breakLock, onLost: (e: Error) => lost.push(e)});
    const a = await acquireLock('ns', 'zk', deps(1));
    const err = await acquireLock('ns', 'zk', deps(2)).then(
      () => assert.fail('second run got the lock'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof LockHeldError);
    assert.match(err.message, /^ensemble "zk" is locked by "kubectl zk scale zk --replicas 1" \(pid 1 on host-a\) since 2026-12-03T14:00:00\.000000Z/);
    assert.match(err.hint!, /--break-lock/);
    await assert.rejects(acquireLock('ns', 'zk', deps(2, true)), (e: LockHeldError) => /still being renewed/.test(e.hint!), '--break-lock does not take a live lease');
    await a.release();
    assert.equal(holderOf((await kube.get<LeaseObject>(ref))!, t.clock.now()), undefined);
    const b = await acquireLock('ns', 'zk', deps(3));
    await b.release({remove: true});
    assert.equal(await kube.get(ref), null);
    assert.deepEqual(lost, []);
  });

  it('a dead holder (no renewals): refused before and after expiry without --break-lock; --break-lock takes it only after expiry', async () => {
    const t = fakeTime(Date.parse('2026-12-03T14:00:00Z'));
    const kube = new FakeKube('ns');
    const deps = (pid: number, breakLock = false) => ({kube, clock: t.clock, sleep: never, owner: owner(pid), breakLock, onLost: () => undefined, durationS: 15});
    await acquireLock('ns', 'zk', deps(1)); // never released, never renewed (its sleep is longer than the test)
    await t.sleep(5000);
    await assert.rejects(acquireLock('ns', 'zk', deps(2, true)), (e: LockHeldError) => /still being renewed/.test(e.hint!));
    await t.sleep(11_000);
    await assert.rejects(acquireLock('ns', 'zk', deps(2)), /stopped renewing the lock 1\.00?s ago/);
    const warned: string[] = [];
    const taken = await acquireLock('ns', 'zk', {...deps(2, true), warn: (l: string) => warned.push(l)});
    assert.match(warned[0]!, /took over the lock of ensemble "zk" from "kubectl zk scale zk --replicas 1" \(pid 1 on host-a\)/);
    const lease = (await kube.get<LeaseObject>(ref))!;
    assert.equal(holderOf(lease, t.clock.now())?.pid, 2);
    assert.equal(lease.spec?.leaseTransitions, 1);
    await taken.release();
  });

  it('a run that loses the race for the lease (409 on its write) reads it again: held by the winner, it is refused, not retried', async () => {
    const t = fakeTime(Date.parse('2026-12-03T14:00:00Z'));
    const kube = new FakeKube('ns');
    const deps = (pid: number) => ({kube, clock: t.clock, sleep: never, owner: owner(pid), breakLock: false, onLost: () => undefined});
    let winner: Awaited<ReturnType<typeof acquireLock>> | undefined;
    // the winner writes the lease between the loser's read and the loser's create
    const racing = Object.assign(Object.create(kube) as FakeKube, {
      create: async <T extends LeaseObject>(obj: T): Promise<T> => {
        winner ??= await acquireLock('ns', 'zk', deps(1));
        return kube.create(obj);
      },
    });
    await assert.rejects(acquireLock('ns', 'zk', {...deps(2), kube: racing}), (e: unknown) => e instanceof LockHeldError && e.holder.pid === 1);
    assert.ok(winner);
    assert.equal(kube.calls.filter((c) => c.startsWith('get')).length, 3, 'the winner read once, the loser twice');
    await winner.release();
  });

  it('conflicts on every write: four writes in all, then the conflict is the error', async () => {
    const t = fakeTime(Date.parse('2026-12-03T14:00:00Z'));
    const kube = new FakeKube('ns').fail('create', 'Lease', 409);
    await assert.rejects(acquireLock('ns', 'zk', {kube, clock: t.clock, sleep: never, owner: owner(1), breakLock: false, onLost: () => undefined}), (e: KubeError) => e.isConflict);
    assert.equal(kube.calls.filter((c) => c.startsWith('create')).length, 4);
  });

  it('a renewal that finds another holder reports the lock lost', async () => {
    const t = fakeTime(Date.parse('2026-12-03T14:00:00Z'));
    const kube = new FakeKube('ns');
    const lost: Error[] = [];
    let wake!: () => void;
    const woken = new Promise<void>((r) => (wake = r));
    let sleeps = 0;
    // the first renewal sleep ends when the test says so; later ones never
    const once = (ms: number, signal?: AbortSignal) => (sleeps++ === 0 ? woken : never(ms, signal));
    const a = await acquireLock('ns', 'zk', {kube, clock: t.clock, sleep: once, owner: owner(1), breakLock: false, onLost: (e) => lost.push(e)});
    const lease = (await kube.get<LeaseObject>(ref))!;
    kube.seed({
      ...lease,
      metadata: {...lease.metadata, resourceVersion: '99', annotations: {...lease.metadata.annotations, 'kubectl-zk/lock-pid': '7'}},
      spec: {...lease.spec, holderIdentity: 'someone-else'},
    });
    wake();
    for (let i = 0; i < 50 && lost.length === 0; i++) await Promise.resolve();
    await a.release();
    assert.equal(lost.length, 1);
    assert.match(lost[0]!.message, /^lost the lock of ensemble "zk": now held by .*pid 7/);
  });
});

describe("the holder's command line", () => {
  it('leaves out the values of credential flags', async () => {
    const {commandLine} = await import('../../src/base.js');
    assert.equal(commandLine('import', ['zk', '--auth', 'user:pw', '--auth-file=/x', '-f', 'a.tree']), 'kubectl zk import zk --auth … --auth-file=… -f a.tree');
    assert.equal(commandLine('znode:create', ['/a']), 'kubectl zk znode create /a');
  });
});
