/**
 * Commands in this process through oclif against the in-memory API server
 * with members that answer the probes' four-letter words
 * (test/support/fake-members.ts: zk-2 leads, zk-0 and zk-1 follow, in sync):
 * status reports healthy, and the plans of scale, restart, upgrade and
 * failover-test's checks run to their confirmation, which without a terminal
 * and without --yes is refused (exit 2) with nothing changed.
 */
import assert from 'node:assert/strict';
import {readFileSync} from 'node:fs';
import {FakeKube, seedEnsemble} from '../support/fake-kube.js';
import {fakeMembers, type FakeMembers} from '../support/fake-members.js';
import {oneErrorLine} from '../support/cli.js';
import {runInProcess, type InProcessRun} from '../support/inprocess.js';
import {conforms} from '../support/shape.js';
import type {Shape} from '../../scripts/output-schema.js';

const SCHEMA = JSON.parse(readFileSync(new URL('../fixtures/output-schema.json', import.meta.url), 'utf8')) as Record<string, Shape>;
const MUTATING = /^(apply|create|update|patch|delete|evict|exec) /;

let members: FakeMembers | undefined;

async function healthy(): Promise<FakeKube> {
  await members?.close();
  const kube = new FakeKube('team-a');
  await seedEnsemble(kube, 'zk', 'team-a', 3);
  members = await fakeMembers(kube, 'zk', 'team-a', ['follower', 'follower', 'leader']);
  return kube;
}

function printed(r: InProcessRun): Record<string, unknown> {
  assert.equal(r.exit, 0, r.stderrAsCli);
  const json = JSON.parse(r.stdout) as Record<string, unknown>;
  assert.deepEqual(json, JSON.parse(JSON.stringify(r.result)), '-o json prints the returned result');
  return json;
}

/** Nothing changed but the lock (when taken: released) */
function unchanged(kube: FakeKube, what: string, o: {locked: boolean}): void {
  assert.deepEqual(
    kube.calls.filter((c) => MUTATING.test(c) && !/ Lease\//.test(c)),
    [],
    `${what}: no mutating API call`,
  );
  const lease = kube.all('Lease')[0] as {spec?: {holderIdentity?: string | null}} | undefined;
  if (o.locked) assert.equal(lease?.spec?.holderIdentity, null, `${what}: took the lock and released it`);
  else assert.equal(lease, undefined, `${what}: no lock`);
}

/** Refused for want of a terminal: exit 2, stdout empty, the last stderr line the one error line. */
function refusedWithoutTerminal(r: InProcessRun, re: RegExp): void {
  assert.equal(r.exit, 2, r.stderrAsCli);
  assert.equal(r.stdout, '');
  assert.match(r.stderrAsCli.trimEnd().split('\n').at(-1)!, re);
  assert.match(r.stderrAsCli, /refusing without confirmation \(no terminal to ask on; pass --yes to confirm\)\n$/);
}

describe('commands in process against members that answer (oclif, fake API server, fake four-letter words)', function () {
  this.timeout(60_000);
  after(async () => {
    await members?.close();
  });

  it('status: healthy, exit 0; -o json has the committed shape and names the leader', async () => {
    const kube = await healthy();
    const human = await runInProcess('status', ['zk'], {kube});
    assert.equal(human.exit, 0, human.stderrAsCli);
    assert.match(human.stdout, /^Ensemble zk \(namespace team-a\) +healthy\n/);
    assert.match(human.stdout, /^ {2}Leader: +zk-2$/m);
    const json = printed(await runInProcess('status', ['zk', '-o', 'json'], {kube})) as {health: string; quorum: {leader: string}; sync: {followers: number}};
    assert.deepEqual(conforms(json, SCHEMA.status!), []);
    assert.equal(json.health, 'healthy');
    assert.equal(json.quorum.leader, 'zk-2');
    assert.equal(json.sync.followers, 2);
    unchanged(kube, 'status', {locked: false});
  });

  it('scale --dry-run -o json: the plan with the committed shape, nothing changed, no lock', async () => {
    const kube = await healthy();
    const up = printed(await runInProcess('scale', ['zk', '--replicas', '5', '--dry-run', '--keep-volumes', '-o', 'json'], {kube, lock: true})) as {
      from: {voters: number};
      to: {voters: number};
      plan: {steps: {action: string; pod: string}[]};
      health: string;
    };
    assert.deepEqual(conforms(up, SCHEMA.scale!), []);
    assert.equal(up.from.voters, 3);
    assert.equal(up.to.voters, 5);
    assert.deepEqual(
      up.plan.steps.map((s) => `${s.action} ${s.pod}`),
      ['add zk-3', 'add zk-4'],
    );
    assert.equal(up.health, 'healthy');
    // without --keep-volumes: keepVolumes is there (false), as the committed schema requires (base.ts parse)
    const plain = printed(await runInProcess('scale', ['zk', '--replicas', '5', '--dry-run', '-o', 'json'], {kube, lock: true}));
    assert.deepEqual(conforms(plain, SCHEMA.scale!), []);
    unchanged(kube, 'scale --dry-run', {locked: false});
  });

  it('scale down --dry-run prints the plan on stdout; without --yes and no terminal the plan goes to stderr and the run is refused, nothing changed', async () => {
    const kube = await healthy();
    const dry = await runInProcess('scale', ['zk', '--replicas', '1', '--dry-run'], {kube, lock: true});
    assert.equal(dry.exit, 0, dry.stderrAsCli);
    assert.match(dry.stdout, /^Plan \(dry run, nothing changed\) for ensemble "zk" in namespace "team-a": 3 voters → 1 voter/);
    assert.match(dry.stdout, /^ {2}1\. +remove +zk-2 /m);
    assert.match(dry.stdout, /^ {2}2\. +remove +zk-1 /m);
    unchanged(kube, 'scale --dry-run', {locked: false});
    const r = await runInProcess('scale', ['zk', '--replicas', '1'], {kube, lock: true});
    refusedWithoutTerminal(r, /^error: Remove 2 member pod\(s\) \(zk-2, zk-1\) from ensemble "zk" in namespace "team-a"; their volumes are deleted: refusing/);
    assert.match(r.stderr, /^Plan for ensemble "zk"/);
    unchanged(kube, 'scale without --yes', {locked: true});
  });

  it('restore-quorum while a quorum serves: refused with exit 3, one error line naming member replace, nothing changed', async () => {
    const kube = await healthy();
    const r = await runInProcess('restore-quorum', ['zk', '--yes'], {kube, lock: true});
    assert.equal(r.exit, 3, r.stderrAsCli);
    assert.equal(r.stdout, '');
    assert.match(
      r.stderrAsCli.trim(),
      /^error: "zk" has a quorum \(3\/3 voters serving\): restore-quorum is for a majority lost for good \(rebuild a lost member with kubectl zk member replace zk ORDINAL;/,
    );
    unchanged(kube, 'restore-quorum with a quorum', {locked: true});
  });

  it('scale to the shape it has: nothing to do, exit 0, changed false', async () => {
    const kube = await healthy();
    const r = printed(await runInProcess('scale', ['zk', '--replicas', '3', '-o', 'json'], {kube, lock: true})) as {changed: boolean; steps: unknown[]};
    assert.equal(r.changed, false);
    assert.deepEqual(r.steps, []);
    unchanged(kube, 'scale to the same shape', {locked: true});
  });

  it('restart/upgrade --dry-run -o json: followers first (highest ordinal first), the leader last; committed shape; no lock', async () => {
    const kube = await healthy();
    for (const argv of [
      ['restart', 'zk', '--dry-run', '-o', 'json'],
      ['upgrade', 'zk', '--memory', '2Gi', '--dry-run', '-o', 'json'],
    ]) {
      const [id, ...rest] = argv as ['restart' | 'upgrade', ...string[]];
      const r = printed(await runInProcess(id, rest, {kube, lock: true})) as {plan: {pod: string; role: string}[]; leaderBefore: string; health: string; warnings: string[]};
      assert.deepEqual(conforms(r, SCHEMA[id]!), [], id);
      assert.deepEqual(
        r.plan.map((p) => `${p.pod} ${p.role}`),
        ['zk-1 follower', 'zk-0 follower', 'zk-2 leader'],
        id,
      );
      assert.equal(r.leaderBefore, 'zk-2');
      assert.equal(r.health, 'healthy');
      assert.deepEqual(r.warnings, [], id);
    }
    unchanged(kube, 'restart/upgrade --dry-run', {locked: false});
  });

  it('restart without --yes and no terminal: the plan on stderr, refused (exit 2), nothing changed, the lock released', async () => {
    const kube = await healthy();
    const r = await runInProcess('restart', ['zk'], {kube, lock: true});
    refusedWithoutTerminal(r, /^error: Restart ensemble "zk" in namespace "team-a": 3 member pod\(s\) evicted one at a time \(zk-1, zk-0, zk-2\), the leader last/);
    assert.match(r.stderr, /^Plan: restarting ensemble "zk" in namespace "team-a", one member at a time \(leader now: zk-2, epoch 1\)/);
    unchanged(kube, 'restart without --yes', {locked: true});
  });

  it('failover-test without --yes and no terminal: checked healthy, then refused (exit 2) naming the leader; no disruption', async () => {
    const kube = await healthy();
    const r = await runInProcess('failover-test', ['zk'], {kube, lock: true});
    refusedWithoutTerminal(r, /^error: Failover test on ensemble team-a\/zk: delete the leader's pod \(zk-2\)/);
    assert.match(r.stderr, /ensemble zk: healthy, leader zk-2, 3 voters/);
    unchanged(kube, 'failover-test without --yes', {locked: true});
    const json = await runInProcess('failover-test', ['zk', '-o', 'json'], {kube: await healthy(), lock: true});
    assert.equal(json.exit, 2);
    assert.equal(json.stderr, '', '-o json: no progress on stderr');
    oneErrorLine({stdout: json.stdout, stderr: json.stderrAsCli}, 'failover-test -o json');
  });
});
