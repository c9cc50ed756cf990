/**
 * SIGHUP and SIGTERM sent to this process while `restart` and `upgrade` run in
 * it through oclif (test/support/inprocess.ts), against the in-memory API and
 * members that answer the probes (test/support/fake-members.ts). A StatefulSet
 * controller stand-in reports the new template's revision after a patch; no
 * evicted pod comes back, so a roll waits there. Signalled at two points:
 * - after the template patch, while the controller's revision is awaited
 *   (before any member was touched);
 * - while a member is being replaced (its pod evicted, the new one awaited).
 * Each time the run stops there: exit 129 (SIGHUP) / 143 (SIGTERM), one
 * `error: …` line saying where it stopped and how to resume, the lock
 * released, every port-forward it opened closed, and nothing else evicted.
 * The same for scale against a real ensemble is test/integration/scale-signal.test.ts.
 */
import assert from 'node:assert/strict';
import {FakeKube, seedEnsemble} from '../support/fake-kube.js';
import {fakeMembers} from '../support/fake-members.js';
import {runInProcess, type InProcessRun} from '../support/inprocess.js';
import {firstOf} from '../support/time.js';
import type {KubeObject} from '../../src/kube/types.js';

interface Bed {
  kube: FakeKube;
  opened: number;
  closed: number;
  close(): Promise<void>;
}

/** A healthy 3-member ensemble whose StatefulSet reports a revision once patched; port-forwards counted. */
async function bed(): Promise<Bed> {
  const kube = new FakeKube('team-a');
  await seedEnsemble(kube, 'zk', 'team-a', 3);
  const members = await fakeMembers(kube, 'zk', 'team-a', ['follower', 'follower', 'leader']);
  const b: Bed = {kube, opened: 0, closed: 0, close: () => members.close()};
  const patch = kube.mergePatch.bind(kube);
  kube.mergePatch = async <T extends KubeObject>(ref: Parameters<FakeKube['mergePatch']>[0], body: unknown): Promise<T> => {
    const out = await patch<T>(ref, body);
    if (ref.kind !== 'StatefulSet') return out;
    // the controller: a new revision for the patched template
    return patch<T>(ref, {status: {observedGeneration: 0, updateRevision: 'zk-new', currentRevision: 'zk-old'}});
  };
  const forward = kube.portForward.bind(kube);
  kube.portForward = async (ns, pod, port) => {
    const f = await forward(ns, pod, port);
    b.opened++;
    return {...f, close: async () => void b.closed++};
  };
  return b;
}

const lastLine = (r: InProcessRun) => r.stderrAsCli.trimEnd().split('\n').at(-1)!;

/** Runs the command, sends `sig` to this process once `at` holds, and returns the run; the process keeps a listener of its own meanwhile (a late signal must not end mocha). */
async function signalled(b: Bed, argv: [string, ...string[]], at: () => boolean, sig: NodeJS.Signals): Promise<InProcessRun> {
  const keep = () => undefined;
  process.on(sig, keep);
  try {
    let run: InProcessRun | undefined;
    const p = runInProcess(argv[0] as 'restart', argv.slice(1), {kube: b.kube, lock: true}).then((r) => (run = r));
    const reached = (async () => {
      while (!at() && run === undefined) await new Promise((r) => setTimeout(r, 5));
    })();
    assert.equal(await firstOf(reached, 'never', 30_000), 'settled', `${argv.join(' ')}: the point to signal at was not reached`);
    assert.equal(run, undefined, `${argv.join(' ')} ended before the point to signal at: ${run?.stderrAsCli}`);
    assert.ok(process.listenerCount(sig) >= 2, 'the command listens for the signal');
    process.kill(process.pid, sig);
    assert.equal(await firstOf(p, 'hung', 30_000), 'settled', `${argv.join(' ')} did not stop after ${sig}`);
    return run!;
  } finally {
    process.removeListener(sig, keep);
  }
}

function releasedAndClosed(b: Bed, what: string): void {
  const lease = b.kube.all('Lease').find((l) => l.metadata.name === 'zk-kubectl-zk-lock') as {spec?: {holderIdentity?: string | null}} | undefined;
  assert.ok(lease, `${what}: took the lock`);
  assert.equal(lease.spec?.holderIdentity, null, `${what}: released the lock`);
  assert.ok(b.opened > 0, `${what}: opened port-forwards`);
  assert.equal(b.closed, b.opened, `${what}: closed every port-forward it opened`);
}

const EXIT: Record<string, number> = {SIGHUP: 129, SIGTERM: 143};
const ROLLS: [string, ...string[]][] = [
  ['restart', 'zk', '--yes', '--timeout', '1000h', '--settle', '0s'],
  ['upgrade', 'zk', '--memory', '2Gi', '--yes', '--timeout', '1000h', '--settle', '0s'],
];

describe('SIGHUP and SIGTERM during restart and upgrade (in process)', function () {
  this.timeout(120_000);

  for (const sig of ['SIGHUP', 'SIGTERM'] as const) {
    for (const argv of ROLLS) {
      it(`${argv[0]}, ${sig} while the controller's revision is awaited: stops before any member, exit ${EXIT[sig]}, says so and how to resume; lock released, port-forwards closed`, async () => {
        const b = await bed();
        // no revision this time: the roll waits for one
        b.kube.mergePatch = FakeKube.prototype.mergePatch.bind(b.kube);
        try {
          const r = await signalled(b, argv, () => b.kube.calls.includes('patch StatefulSet/zk'), sig);
          assert.equal(r.exit, EXIT[sig], r.stderrAsCli);
          assert.match(r.stderr, new RegExp(`${sig} received: stopping at the next safe point`));
          assert.match(lastLine(r), /^error: .*stopped while patching the template.*run the same command again/);
          assert.deepEqual(b.kube.evicted, [], 'no member touched');
          releasedAndClosed(b, argv[0]);
        } finally {
          await b.close();
        }
      });

      it(`${argv[0]}, ${sig} while a member is being replaced: stops there, exit ${EXIT[sig]}, names the member, what is done and not started, how to resume; lock released, port-forwards closed`, async () => {
        const b = await bed();
        try {
          const r = await signalled(b, argv, () => b.kube.evicted.length > 0, sig);
          assert.equal(r.exit, EXIT[sig], r.stderrAsCli);
          assert.deepEqual(b.kube.evicted, ['zk-1'], 'one member evicted (followers first, highest ordinal), no other');
          assert.match(lastLine(r), /^error: .*stopped while zk-1 was being replaced .*done: none; not started: (zk-0, zk-2|zk-2, zk-0); run the same command again to resume/);
          releasedAndClosed(b, argv[0]);
        } finally {
          await b.close();
        }
      });
    }
  }
});
