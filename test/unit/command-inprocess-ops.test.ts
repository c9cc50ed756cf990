/**
 * restart, upgrade, scale, failover-test, backup, restore, logs, report (and
 * teardown's refusal) run in this process through oclif
 * (test/support/inprocess.ts) against the in-memory API server: usage errors
 * are exit 2 with one `error: …` line before any API call; dry runs print a
 * plan with the committed -o json shape and change nothing; without a terminal
 * and without --yes a run that would disrupt members is refused (exit 2)
 * before anything is changed. The members do not answer here (their
 * port-forwards lead to a closed port), which is what the refusals of an
 * unhealthy ensemble are checked against.
 */
import assert from 'node:assert/strict';
import {mkdtempSync, readFileSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {FakeKube, seedEnsemble} from '../support/fake-kube.js';
import {oneErrorLine} from '../support/cli.js';
import {runInProcess, type InProcessRun} from '../support/inprocess.js';
import {conforms} from '../support/shape.js';
import type {COMMANDS} from '../../src/commands.js';
import type {Shape} from '../../scripts/output-schema.js';

type Id = keyof typeof COMMANDS;
const SCHEMA = JSON.parse(readFileSync(new URL('../fixtures/output-schema.json', import.meta.url), 'utf8')) as Record<string, Shape>;
/** API calls that change something (the fake's verbs); reads, discovery, logs and port-forwards do not */
const MUTATING = /^(apply|create|update|patch|delete|evict|exec) /;

async function seeded(): Promise<FakeKube> {
  const kube = new FakeKube('team-a');
  await seedEnsemble(kube, 'zk', 'team-a', 3);
  return kube;
}

function jsonOf(id: string, r: InProcessRun): unknown {
  assert.equal(r.error, undefined, r.error?.stack);
  assert.equal(r.exit, 0);
  const printed = JSON.parse(r.stdout) as unknown;
  assert.deepEqual(printed, JSON.parse(JSON.stringify(r.result)), '-o json prints the returned result');
  assert.deepEqual(conforms(printed, SCHEMA[id]!), [], `${id} -o json differs from test/fixtures/output-schema.json`);
  return printed;
}

/** No mutating API call but the ensemble's lock (a Lease, taken and released). */
function unchanged(kube: FakeKube, what: string): void {
  assert.deepEqual(
    kube.calls.filter((c) => MUTATING.test(c) && !/ Lease\//.test(c)),
    [],
    `${what}: no mutating API call`,
  );
}

/** The command took the ensemble's lock and released it (the Lease stays, with no holder). */
function lockReleased(kube: FakeKube, what: string): void {
  assert.ok(kube.calls.includes('create Lease/zk-kubectl-zk-lock'), `${what}: took the lock`);
  const lease = kube.all('Lease').find((l) => l.metadata.name === 'zk-kubectl-zk-lock') as {spec?: {holderIdentity?: string | null}} | undefined;
  assert.equal(lease?.spec?.holderIdentity, null, `${what}: released the lock`);
}

/** A dry run reads, and takes no lock. */
function noLock(kube: FakeKube, what: string): void {
  assert.deepEqual(
    kube.calls.filter((c) => / Lease\//.test(c)),
    [],
    `${what}: no lock`,
  );
}

/** exit 2, one `error: …` line as the executable prints it (matching `re`), nothing on stdout, and no API call at all (not even the lock's). */
async function usageError(id: Id, argv: string[], re: RegExp, kube: FakeKube = new FakeKube('team-a')): Promise<void> {
  const what = `${id} ${argv.join(' ')}`;
  const r = await runInProcess(id, argv, {kube, lock: true});
  assert.equal(r.exit, 2, `${what}: ${r.stderrAsCli}`);
  assert.match(oneErrorLine({stdout: r.stdout, stderr: r.stderrAsCli}, what), re, what);
  assert.deepEqual(kube.calls, [], `${what}: no API call`);
}

describe('restart, upgrade, scale, failover-test, backup, restore, logs, report, teardown in process (oclif, fake API server)', function () {
  this.timeout(60_000);

  it('restart/upgrade usage errors: exit 2, one error line, no API call', async () => {
    for (const [id, argv, re] of [
      ['restart', [], /Missing 1 required arg/],
      ['restart', ['Bad_Name'], /name/i],
      ['restart', ['zk', '--timeout', 'soon'], /--timeout/],
      ['restart', ['zk', '--poll', 'often'], /--poll/],
      ['restart', ['zk', '--settle', 'later'], /--settle/],
      ['restart', ['zk', '-o', 'wide'], /unsupported output format "wide"/],
      ['upgrade', ['zk'], /^error: nothing to upgrade \(pass --image, --cpu, --memory, --heap or --image-pull-policy/],
      ['upgrade', ['zk', '--image', 'Not An Image'], /image/i],
      ['upgrade', ['zk', '--image-pull-policy', 'Sometimes'], /Sometimes|image-pull-policy/],
      ['upgrade', ['zk', '--memory', '64Mi'], /--memory 64Mi is too small \(ZooKeeper needs at least 128Mi\)/],
      ['upgrade', ['zk', '--cpu', '0'], /--cpu must be positive/],
      ['upgrade', ['zk', '--heap', '8m'], /heap/i],
      ['upgrade', ['zk', '--memory', '512Mi', '--heap', '500m'], /heap/i],
    ] as [Id, string[], RegExp][]) {
      await usageError(id, argv, re, await seeded());
    }
  });

  it('scale, failover-test usage errors: exit 2, one error line, no API call', async () => {
    for (const [id, argv, re] of [
      ['scale', ['zk'], /Missing required flag.*replicas/s],
      ['scale', ['zk', '--replicas', '0'], /^error: --replicas must be between 1 and 255, got 0 \(ZooKeeper server ids are 1-255/],
      ['scale', ['zk', '--replicas', '256'], /--replicas must be between 1 and 255/],
      ['scale', ['zk', '--replicas', '3', '--observers', '-1'], /observers/],
      ['scale', ['zk', '--replicas', '250', '--observers', '6'], /255/],
      ['scale', ['zk', '--replicas', 'three'], /integer/],
      ['scale', ['Bad_Name', '--replicas', '3'], /name/i],
      ['scale', ['zk', '--replicas', '3', '--timeout', 'soon'], /--timeout/],
      ['failover-test', [], /Missing 1 required arg/],
      ['failover-test', ['zk', '--mode', 'all-pods'], /^error: --mode all-pods deletes every pod and loses the quorum on purpose \(pass --force to do it\)$/],
      ['failover-test', ['zk', '--mode', 'bogus'], /bogus/],
      ['failover-test', ['zk', '--rounds', '0'], /rounds|0/],
      ['failover-test', ['zk', '--poll', 'soon'], /--poll/],
      ['failover-test', ['zk', '--path', 'relative'], /relative|path/i],
      ['failover-test', ['zk', '-o', 'wide'], /unsupported output format "wide"/],
      ['failover-test', ['Bad_Name'], /name/i],
    ] as [Id, string[], RegExp][]) {
      await usageError(id, argv, re, await seeded());
    }
  });

  it('restart/upgrade --dry-run -o json: the plan with the committed shape, nothing changed; the human plan goes to stdout', async () => {
    const kube = await seeded();
    const before = JSON.stringify(kube.all());
    const r = jsonOf('restart', await runInProcess('restart', ['zk', '--dry-run', '-o', 'json'], {kube, lock: true})) as {outcome: string; dryRun: boolean; plan: {pod: string}[]; warnings: string[]};
    assert.equal(r.outcome, 'planned');
    assert.equal(r.dryRun, true);
    assert.deepEqual(
      r.plan.map((p) => p.pod),
      ['zk-2', 'zk-1', 'zk-0'],
    );
    assert.ok(
      r.warnings.some((w) => /would be refused without --force: no quorum/.test(w)),
      r.warnings.join('\n'),
    );
    const u = jsonOf('upgrade', await runInProcess('upgrade', ['zk', '--image', 'zookeeper:3.9.4', '--dry-run', '-o', 'json'], {kube, lock: true})) as {
      action: string;
      template: {changes: string[]; patched: boolean};
    };
    assert.equal(u.action, 'upgrade');
    assert.deepEqual(u.template.changes, ['image zookeeper:3.9.5 → zookeeper:3.9.4']);
    assert.equal(u.template.patched, false);
    const human = await runInProcess('restart', ['zk', '--dry-run'], {kube, lock: true});
    assert.equal(human.exit, 0, human.stderrAsCli);
    assert.match(human.stdout, /^Plan \(dry run, nothing changed\): restarting ensemble "zk" in namespace "team-a"/);
    assert.match(human.stdout, /^ {2}1\. +zk-2 /m);
    unchanged(kube, 'restart/upgrade --dry-run');
    noLock(kube, 'restart/upgrade --dry-run');
    assert.equal(JSON.stringify(kube.all()), before);
  });

  it('restart/upgrade --force without a terminal and without --yes: the plan on stderr, then refused (exit 2) before any change; the lock is released', async () => {
    for (const argv of [
      ['restart', 'zk', '--force'],
      ['upgrade', 'zk', '--image', 'zookeeper:3.9.4', '--force'],
      ['restart', 'zk', '--force', '-o', 'json'],
    ]) {
      const kube = await seeded();
      const [id, ...rest] = argv as [Id, ...string[]];
      const r = await runInProcess(id, rest, {kube, lock: true});
      assert.equal(r.exit, 2, argv.join(' '));
      assert.equal(r.stdout, '');
      const last = r.stderrAsCli.trimEnd().split('\n').at(-1)!;
      assert.match(
        last,
        /^error: (Restart|Upgrade) ensemble "zk" in namespace "team-a".*3 member pod\(s\) evicted one at a time \(zk-2, zk-1, zk-0\): refusing without confirmation \(no terminal to ask on; pass --yes to confirm\)$/,
      );
      if (argv.includes('json')) assert.equal(r.stderr, '', '-o json: no plan on stderr');
      else assert.match(r.stderr, /^Plan: (restarting|upgrading) ensemble "zk"/);
      unchanged(kube, argv.join(' '));
      lockReleased(kube, argv.join(' '));
    }
  });

  it('restart of an ensemble without quorum: refused with exit 3 naming the members, before any change', async () => {
    const kube = await seeded();
    const r = await runInProcess('restart', ['zk', '--yes'], {kube, lock: true});
    assert.equal(r.exit, 3);
    assert.equal(r.stdout, '');
    assert.match(oneErrorLine({stdout: r.stdout, stderr: r.stderrAsCli}, 'restart'), /^error: refusing to restart "zk": no quorum: 0\/3 voters serving, 2 needed; zk-0: unreachable/);
    unchanged(kube, 'restart refused');
    lockReleased(kube, 'restart refused');
  });

  it('scale and failover-test on an ensemble whose members do not answer: refused (exit 1, exit 13) before any change; the lock is released', async () => {
    const kube = await seeded();
    const r = await runInProcess('scale', ['zk', '--replicas', '5', '--yes'], {kube, lock: true});
    assert.equal(r.exit, 1);
    assert.match(
      oneErrorLine({stdout: r.stdout, stderr: r.stderrAsCli}, 'scale'),
      /^error: cannot read the committed membership of "zk": no member answered with it .*\(see kubectl zk status zk -n team-a\)$/,
    );
    unchanged(kube, 'scale');
    lockReleased(kube, 'scale');
    const dry = await runInProcess('scale', ['zk', '--replicas', '5', '--dry-run', '-o', 'json'], {kube: await seeded(), lock: true});
    assert.equal(dry.exit, 1, 'a dry run reads the membership too');
    const f = await seeded();
    const t = await runInProcess('failover-test', ['zk', '--yes'], {kube: f, lock: true});
    assert.equal(t.exit, 13);
    assert.equal(t.stdout, '');
    assert.match(t.stderrAsCli, /^error: ensemble "zk" is not ready for a failover test: no quorum: 0\/3 voters serving, 2 needed/m);
    unchanged(f, 'failover-test');
    lockReleased(f, 'failover-test');
  });

  it('failover-test --force without a terminal and without --yes: refused (exit 2) after the health check, before any disruption (no eviction, no exec)', async () => {
    const kube = await seeded();
    const r = await runInProcess('failover-test', ['zk', '--force'], {kube, lock: true});
    assert.equal(r.exit, 2);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /warning: --force: running although no quorum/);
    assert.match(
      r.stderrAsCli.trimEnd().split('\n').at(-1)!,
      /^error: Failover test on ensemble team-a\/zk: delete the leader's pod .*refusing without confirmation \(no terminal to ask on; pass --yes to confirm\)$/,
    );
    unchanged(kube, 'failover-test --force');
    assert.deepEqual(
      kube.calls.filter((c) => /^(evict|exec) /.test(c)),
      [],
    );
    lockReleased(kube, 'failover-test --force');
  });

  it('backup/restore/create usage errors: exit 2, one error line, no API call (files checked first)', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'kzk-inproc-'));
    const existing = path.join(dir, 'have.snap');
    writeFileSync(existing, 'x');
    const jsonl = path.join(dir, 'export.jsonl');
    writeFileSync(jsonl, '{"path":"/"}\n');
    for (const [id, argv, re] of [
      ['backup', [], /Missing 1 required arg/],
      ['backup', ['zk', '--dry-run'], /^error: --dry-run goes with --schedule or --unschedule$/],
      ['backup', ['zk', '--schedule', '0 3 * * *'], /^error: --schedule and --to-pvc go together/],
      ['backup', ['zk', '--unschedule', '--to-pvc', 'x'], /--unschedule takes neither --schedule nor --to-pvc/],
      ['backup', ['zk', '--schedule', '0 3 * *', '--to-pvc', 'x'], /--schedule "0 3 \* \*" is not a cron schedule/],
      ['backup', ['zk', '--schedule', '0 3 * * *', '--to-pvc', 'x', '-f', 'a'], /-f\/--force write one backup now/],
      ['backup', ['zk', '--schedule', '0 3 * * *', '--to-pvc', 'Bad_PVC'], /--to-pvc "Bad_PVC" is not a PersistentVolumeClaim name/],
      ['backup', ['zk', '-f', existing], /have\.snap exists \(choose another -f path, or pass --force/],
      ['restore', ['zk'], /Missing required flag.*from/],
      ['restore', ['zk', '--from', path.join(dir, 'nope.snap')], /cannot read --from .*nope\.snap: no such file/],
      ['restore', ['zk', '--from', dir], /is a directory/],
      ['restore', ['zk', '--from', jsonl], /is not a ZooKeeper snapshot \(it does not start with ZKSN\) \(an export file/],
      ['restore', ['zk', '--from', existing, '--timeout', 'soon'], /invalid --timeout "soon"/],
      // before the file and before the cluster (no lock taken under a bad name)
      ['restore', ['Bad_Name', '--from', existing], /name/i],
      ['create', ['Bad_Name'], /name/i],
      ['create', ['zk', '--memory', 'lots'], /memory/i],
      ['create', ['zk', '--replicas', '0'], /replicas/i],
      ['restore', ['zk', '--from', existing, '--replicas', '0'], /^error: --replicas must be between 1 and 255, got 0/],
      ['restore', ['zk', '--from', existing, '--memory', 'lots'], /memory/i],
    ] as [Id, string[], RegExp][]) {
      await usageError(id, argv, re, await seeded());
    }
  });

  it('restore-quorum: usage errors before any API call; without a quorum --dry-run -o json names the survivor from its election log, changes nothing and takes no lock; without --yes and no terminal it is refused before anything changes', async () => {
    for (const [id, argv, re] of [
      ['restore-quorum', [], /Missing 1 required arg/],
      ['restore-quorum', ['Bad_Name'], /name/i],
      ['restore-quorum', ['zk', '--timeout', 'soon'], /invalid --timeout "soon"/],
    ] as [Id, string[], RegExp][]) {
      await usageError(id, argv, re);
    }
    const withLogs = async () => {
      const kube = await seeded();
      // the members do not answer here (no quorum); zk-2's server logged its last election, zk-0's an older one, zk-1 none
      kube.logs = async (_ns: string, pod: string) =>
        ({
          'zk-0': 'INFO [QuorumPeer[myid=1]] - New election. My id = 1, proposed zxid=0x100000003\n',
          'zk-2': 'INFO [QuorumPeer[myid=3]] - New election. My id = 3, proposed zxid=0x0\nINFO - New election. My id = 3, proposed zxid=0x100000009\n',
        })[pod] ?? 'kubectl-zk start: waiting for a leader\n';
      return kube;
    };
    const kube = await withLogs();
    const dry = jsonOf('restore-quorum', await runInProcess('restore-quorum', ['zk', '--dry-run', '-o', 'json'], {kube, lock: true})) as any;
    assert.equal(dry.survivor.pod, 'zk-2');
    assert.deepEqual(
      dry.voters.map((v: any) => `${v.pod} ${v.zxid ?? v.why}`),
      ['zk-0 0x100000003', 'zk-1 its log shows no election (ZooKeeper not started, or waiting with an empty disk)', 'zk-2 0x100000009'],
    );
    assert.match(dry.loss, /nothing recorded is newer than the survivor's 0x100000009/);
    unchanged(kube, 'restore-quorum --dry-run');
    noLock(kube, 'restore-quorum --dry-run');
    const human = await runInProcess('restore-quorum', ['zk', '--dry-run'], {kube: await withLogs(), lock: true});
    assert.equal(human.exit, 0, human.stderrAsCli);
    assert.match(human.stdout, /^Plan \(dry run, nothing changed\) for ensemble "zk" in namespace "team-a": restore the quorum from zk-2$/m);
    const kube2 = await withLogs();
    const refused = await runInProcess('restore-quorum', ['zk'], {kube: kube2, lock: true});
    assert.equal(refused.exit, 2, refused.stderrAsCli);
    // the warnings say what may be lost, then one error line
    assert.equal(refused.stdout, '');
    assert.match(
      refused.stderrAsCli.trim().split('\n').at(-1)!,
      /^error: Restore the quorum of "zk" in namespace "team-a" from zk-2 alone\? zk-0, zk-1 and their volumes are deleted.*refusing without confirmation/,
    );
    assert.match(refused.stderrAsCli, /^warning: zk-2 \(last zxid 0x100000009\) becomes the only voter/m);
    unchanged(kube2, 'restore-quorum refused');
    lockReleased(kube2, 'restore-quorum refused');
  });

  it('member replace usage errors: exit 2, one error line, no API call', async () => {
    for (const [id, argv, re] of [
      ['member:replace', ['zk'], /Missing 1 required arg/],
      ['member:replace', ['zk', 'one'], /^error: ORDINAL must be a member pod's number from 0 to 254, got "one" \(for pod zk-1, ORDINAL is 1\)$/],
      ['member:replace', ['zk', '-1'], /ORDINAL|Nonexistent flag/],
      ['member:replace', ['zk', '255'], /ORDINAL must be a member pod's number/],
      ['member:replace', ['Bad_Name', '1'], /name/i],
      ['member:replace', ['zk', '1', '--timeout', 'soon'], /invalid --timeout "soon"/],
    ] as [Id, string[], RegExp][]) {
      await usageError(id, argv, re);
    }
  });

  it('backup --schedule … --dry-run -o json: the objects it would apply (a v1 List) with the committed shape, nothing applied, no lock', async () => {
    const kube = await seeded();
    kube.seed({apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: {name: 'zk-backups', namespace: 'team-a'}, spec: {}});
    const before = JSON.stringify(kube.all());
    const argv = ['zk', '--schedule', '0 3 * * *', '--to-pvc', 'zk-backups', '--keep', '3', '--dry-run'];
    const list = jsonOf('backup', await runInProcess('backup', [...argv, '-o', 'json'], {kube, lock: true})) as {kind: string; items: {kind: string; metadata: {name: string}}[]};
    assert.equal(list.kind, 'List');
    assert.deepEqual(list.items.map((i) => `${i.kind}/${i.metadata.name}`).sort(), ['ConfigMap/zk-backup', 'CronJob/zk-backup']);
    const human = await runInProcess('backup', argv, {kube});
    assert.equal(human.exit, 0, human.stderrAsCli);
    assert.match(human.stdout, /^kind: CronJob$/m);
    unchanged(kube, 'backup --schedule --dry-run');
    noLock(kube, 'backup --schedule --dry-run');
    assert.equal(JSON.stringify(kube.all()), before);
    const missing = await runInProcess('backup', ['zk', '--schedule', '0 3 * * *', '--to-pvc', 'other', '--dry-run'], {kube});
    assert.equal(missing.exit, 1);
    assert.match(oneErrorLine({stdout: missing.stdout, stderr: missing.stderrAsCli}, 'no PVC'), /^error: PersistentVolumeClaim "other" not found in namespace "team-a" .*nothing was changed\)$/);
  });

  it('backup --unschedule --dry-run -o json names what it would remove and removes nothing; without --dry-run it removes them', async () => {
    const kube = await seeded();
    kube.seed({apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: {name: 'zk-backups', namespace: 'team-a'}, spec: {}});
    const scheduled = await runInProcess('backup', ['zk', '--schedule', '0 3 * * *', '--to-pvc', 'zk-backups', '-o', 'json'], {kube, lock: true});
    assert.equal(scheduled.exit, 0, scheduled.stderrAsCli);
    lockReleased(kube, 'backup --schedule');
    assert.deepEqual(
      kube.all('CronJob').map((o) => o.metadata.name),
      ['zk-backup'],
    );
    const calls = kube.calls.length;
    const dry = jsonOf('backup', await runInProcess('backup', ['zk', '--unschedule', '--dry-run', '-o', 'json'], {kube, lock: true}));
    assert.deepEqual(dry, {action: 'unschedule', ensemble: 'zk', namespace: 'team-a', removed: ['CronJob/zk-backup', 'ConfigMap/zk-backup'], dryRun: true});
    assert.deepEqual(kube.calls.slice(calls), ['get CronJob/zk-backup', 'get ConfigMap/zk-backup']);
    const done = await runInProcess('backup', ['zk', '--unschedule', '-o', 'json'], {kube});
    assert.equal(done.exit, 0, done.stderrAsCli);
    assert.deepEqual((JSON.parse(done.stdout) as {removed: string[]}).removed, ['CronJob/zk-backup', 'ConfigMap/zk-backup']);
    assert.deepEqual(
      kube.all('CronJob').map((o) => o.metadata.name),
      [],
    );
  });

  it('logs: each member line prefixed with pod and role on stdout; -o json is one object per line (not the result); only reads', async () => {
    const kube = await seeded();
    const human = await runInProcess('logs', ['zk'], {kube});
    assert.equal(human.exit, 0, human.stderrAsCli);
    assert.deepEqual(human.stdout.trimEnd().split('\n').sort(), ['zk-0   down     | log line of zk-0', 'zk-1   down     | log line of zk-1', 'zk-2   down     | log line of zk-2']);
    const json = await runInProcess('logs', ['zk', '-o', 'json', '--tail', '5'], {kube});
    assert.equal(json.exit, 0, json.stderrAsCli);
    const lines = json.stdout
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.deepEqual(lines.map((l) => l['member']).sort(), ['zk-0', 'zk-1', 'zk-2']);
    for (const l of lines) assert.deepEqual(Object.keys(l).sort(), ['member', 'role', 'text', 'time']);
    assert.equal(json.stderr, '');
    unchanged(kube, 'logs');
    for (const [argv, re] of [
      [['zk', '-o', 'yaml'], /^error: unsupported output format "yaml" \(use one of: json\)$/],
      [['zk', '--since', '0s'], /^error: --since must be more than 0 \(e\.g\. --since 10m\)$/],
      [['zk', '--since', 'yesterday'], /--since/],
      [['zk', '--tail', '-2'], /--tail/],
      [['Bad_Name'], /invalid ensemble name "Bad_Name"/],
    ] as [string[], RegExp][]) {
      await usageError('logs', argv, re, await seeded());
    }
  });

  it('report -f FILE -o json: the archive written, the result with the committed shape; an existing FILE is a usage error before any API call', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'kzk-inproc-'));
    const file = path.join(dir, 'r.tar.gz');
    const kube = await seeded();
    const r = jsonOf('report', await runInProcess('report', ['zk', '-f', file, '-o', 'json'], {kube})) as {file: string; bytes: number; files: string[]};
    assert.equal(r.file, file);
    assert.equal(readFileSync(file).length, r.bytes);
    assert.ok(
      r.files.some((f) => /\/manifests\/live\/statefulset-zk\.yaml$/.test(f)),
      r.files.join('\n'),
    );
    unchanged(kube, 'report');
    await usageError('report', ['zk', '-f', file], /r\.tar\.gz exists \(choose another -f path, or pass --force/, await seeded());
    await usageError('report', ['zk', '--tail', '0'], /--tail/, await seeded());
    const human = await runInProcess('report', ['zk', '-f', file, '--force'], {kube: await seeded()});
    assert.equal(human.exit, 0, human.stderrAsCli);
    assert.match(human.stdout, /r\.tar\.gz/);
  });

  it('teardown without --yes and no terminal: refused (exit 2) after counting what it would delete; nothing deleted, the lock released', async () => {
    const kube = await seeded();
    const before = kube.all().length;
    const r = await runInProcess('teardown', ['zk'], {kube, lock: true});
    assert.equal(r.exit, 2);
    assert.match(
      oneErrorLine({stdout: r.stdout, stderr: r.stderrAsCli}, 'teardown'),
      /^error: Delete ensemble "zk" in namespace "team-a" \(7 objects; data volumes are kept\): refusing without confirmation \(no terminal to ask on; pass --yes to confirm\)$/,
    );
    unchanged(kube, 'teardown without --yes');
    lockReleased(kube, 'teardown without --yes');
    assert.equal(kube.all().length, before + 1, 'only the lease was added');
  });
});
