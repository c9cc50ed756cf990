/**
 * Scheduled backups on the real cluster: `kubectl zk backup NAME --schedule
 * … --to-pvc PVC --keep 2` makes a CronJob; Jobs made from it (kubectl create
 * job --from=cronjob/…) write export files into the PVC through the
 * NetworkPolicy (the ensemble admits no other pod of the namespace on the
 * client port), the oldest pruned to 2; the newest file imports into another
 * ensemble with the source's checksum; --unschedule and teardown remove the
 * objects. Before this change the plugin had no --schedule (exit 2).
 */
import assert from 'node:assert/strict';
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {createNamespace, deleteNamespace, dumpDiagnostics, kubectl, kubectlJson, useCluster, waitFor} from './lib/cluster.js';
import {createEnsemble, kzk} from './lib/zk.js';

useCluster();

const trailer = (text: string) => JSON.parse(text.trim().split('\n').at(-1)!) as {znodes: number; skipped: number; checksum: string};

describe('e2e: scheduled backups (CronJob into a PVC)', function () {
  this.timeout(1_800_000);
  let ns: string;
  let dir: string;
  const SRC = 'zks';
  const DST = 'zkt';

  before(async () => {
    ns = await createNamespace('kzk-e2e-cron');
    dir = mkdtempSync(join(tmpdir(), 'kzk-e2e-cron-'));
    // no pod of the namespace may reach the client port: only the backup rule lets the Job in
    await Promise.all([createEnsemble(ns, SRC, 1, ['--allow-clients-from', 'podSelector=app=nobody']), createEnsemble(ns, DST, 1)]);
    const lines = [JSON.stringify({format: 'kubectl-zk/tree', version: 1, root: '/', time: new Date().toISOString()})];
    const recs: string[] = [];
    for (let i = 0; i < 300; i++) recs.push(i < 10 ? `/app${i}` : `/app${i % 10}/n${i}`);
    for (const p of recs)
      lines.push(
        JSON.stringify({
          path: p,
          data: Buffer.from(`value of ${p}`).toString('base64'),
          acl: [{scheme: 'world', id: 'anyone', perms: 'cdrwa'}],
          stat: {cZxid: '0x0', mZxid: '0x0', ctime: new Date(0).toISOString(), mtime: new Date(0).toISOString(), dataVersion: 0, aclVersion: 0},
        }),
      );
    const r = await kzk(['import', SRC, '-n', ns, '--overwrite'], {input: await exportWithTrailer(lines)});
    assert.equal(r.code, 0, r.stderr);
    const pvc = {apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: {name: 'backups'}, spec: {accessModes: ['ReadWriteOnce'], resources: {requests: {storage: '64Mi'}}}};
    assert.equal((await kubectl(['apply', '-n', ns, '-f', '-'], {input: JSON.stringify(pvc)})).code, 0);
  });
  afterEach(async function () {
    if (this.currentTest?.state === 'failed') await dumpDiagnostics(ns);
  });
  after(async () => {
    for (const n of [SRC, DST]) await kzk(['teardown', n, '-n', ns, '--yes', '--delete-data']).catch(() => undefined);
    await deleteNamespace(ns);
    if (dir) rmSync(dir, {recursive: true, force: true});
  });

  /** An export file of the records, with its end line (count and checksum) as export writes it. */
  async function exportWithTrailer(lines: string[]): Promise<string> {
    const {TreeChecksum, relativePath, aclFromJson} = await import('../../src/ops/treefile.js');
    const sum = new TreeChecksum();
    for (const l of lines.slice(1)) {
      const r = JSON.parse(l);
      sum.add(relativePath('/', r.path), Buffer.from(r.data, 'base64'), r.acl.map(aclFromJson));
    }
    return [...lines, JSON.stringify({end: true, znodes: lines.length - 1, skipped: 0, checksum: sum.hex})].join('\n') + '\n';
  }

  async function runJob(name: string): Promise<void> {
    const c = await kubectl(['create', 'job', '-n', ns, `--from=cronjob/${SRC}-backup`, name]);
    assert.equal(c.code, 0, c.stderr);
    const w = await kubectl(['wait', '-n', ns, '--for=condition=complete', `job/${name}`, '--timeout=400s'], {timeoutMs: 420_000});
    if (w.code !== 0) {
      const logs = await kubectl(['logs', '-n', ns, `job/${name}`, '--all-containers']);
      assert.fail(`job ${name} did not complete: ${w.stderr}\n${logs.stdout}${logs.stderr}`);
    }
  }

  /** The PVC's files, through a pod that mounts it (the Job's pods are gone by then). */
  async function pvcFiles(): Promise<{names: string[]; read: (name: string) => Promise<string>}> {
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {name: 'reader'},
      spec: {
        containers: [{name: 'r', image: 'docker.io/kubectl-zk/busybox:1.35-debian', imagePullPolicy: 'Never', command: ['sleep', '3600'], volumeMounts: [{name: 'b', mountPath: '/backup'}]}],
        volumes: [{name: 'b', persistentVolumeClaim: {claimName: 'backups'}}],
        terminationGracePeriodSeconds: 0,
      },
    };
    await kubectl(['apply', '-n', ns, '-f', '-'], {input: JSON.stringify(pod)});
    assert.equal((await kubectl(['wait', '-n', ns, '--for=condition=Ready', 'pod/reader', '--timeout=120s'], {timeoutMs: 130_000})).code, 0);
    const ls = await kubectl(['exec', '-n', ns, 'reader', '--', 'ls', '/backup']);
    return {
      names: ls.stdout
        .split('\n')
        .filter((n) => n && n !== 'lost+found')
        .sort(),
      read: async (n) => (await kubectl(['exec', '-n', ns, 'reader', '--', 'cat', `/backup/${n}`], {timeoutMs: 120_000})).stdout,
    };
  }

  it('--dry-run prints the CronJob and ConfigMap and makes nothing', async () => {
    const r = await kzk(['backup', SRC, '-n', ns, '--schedule', '*/30 * * * *', '--to-pvc', 'backups', '--keep', '2', '--dry-run', '-o', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const list = JSON.parse(r.stdout);
    assert.deepEqual(
      list.items.map((o: {kind: string}) => o.kind),
      ['ConfigMap', 'CronJob'],
    );
    assert.equal((await kubectl(['get', 'cronjob', '-n', ns, `${SRC}-backup`], {allowFail: true})).code, 1, 'nothing made');
  });

  it('Jobs from the CronJob write exports into the PVC through the NetworkPolicy, keep the newest 2; the newest imports into another ensemble equal', async () => {
    const s = await kzk(['backup', SRC, '-n', ns, '--schedule', '*/30 * * * *', '--to-pvc', 'backups', '--keep', '2', '-o', 'json']);
    assert.equal(s.code, 0, s.stderr);
    const sched = JSON.parse(s.stdout);
    assert.equal(sched.cronJob, `${SRC}-backup`);
    assert.equal(sched.networkPolicy, 'had the rule');
    for (const j of ['b1', 'b2', 'b3']) {
      await runJob(j);
      await new Promise((r) => setTimeout(r, 1100)); // one file name per second
    }
    const files = await pvcFiles();
    assert.equal(files.names.length, 2, files.names.join(' '));
    for (const n of files.names) assert.match(n, new RegExp(`^${SRC}-\\d{8}T\\d{6}Z\\.jsonl$`));
    const text = await files.read(files.names.at(-1)!);
    const file = join(dir, 'newest.jsonl');
    writeFileSync(file, text);
    const src = await kzk(['export', SRC, '-n', ns]);
    assert.equal(src.code, 0, src.stderr);
    assert.equal(trailer(text).checksum, trailer(src.stdout).checksum, 'the backup is the source tree');
    assert.equal(trailer(text).znodes, 301);
    const imp = await kzk(['import', DST, '-n', ns], {input: readFileSync(file)});
    assert.equal(imp.code, 0, imp.stderr);
    const dst = await kzk(['export', DST, '-n', ns]);
    assert.equal(trailer(dst.stdout).checksum, trailer(src.stdout).checksum, 'the copy equals the source');
  });

  it('a Job on a Java without jdk.compiler (as in an eclipse-temurin JRE) completes: the program is precompiled', async () => {
    // JDK_JAVA_OPTIONS reaches every `java` the container runs: the image's Java, limited to the modules the program needs
    const env = {name: 'JDK_JAVA_OPTIONS', value: '--limit-modules java.base,java.xml,java.naming'};
    const p = await kubectl([
      'patch',
      'cronjob',
      '-n',
      ns,
      `${SRC}-backup`,
      '--type=json',
      '-p',
      JSON.stringify([{op: 'add', path: '/spec/jobTemplate/spec/template/spec/containers/0/env/-', value: env}]),
    ]);
    assert.equal(p.code, 0, p.stderr);
    const c = await kubectl(['create', 'job', '-n', ns, `--from=cronjob/${SRC}-backup`, 'jre']);
    assert.equal(c.code, 0, c.stderr);
    const done = await waitFor(
      'the Job to complete or fail',
      async () => {
        const conds: {type: string; status: string}[] = (await kubectlJson(['get', 'job', '-n', ns, 'jre', '-o', 'json'])).status?.conditions ?? [];
        return conds.find((x) => (x.type === 'Complete' || x.type === 'Failed') && x.status === 'True')?.type;
      },
      {timeoutMs: 420_000},
    );
    const logs = await kubectl(['logs', '-n', ns, 'job/jre', '--all-containers']);
    assert.equal(done, 'Complete', `${logs.stdout}${logs.stderr}`);
    assert.match(logs.stderr + logs.stdout, /Picked up JDK_JAVA_OPTIONS: --limit-modules/);
    const summary = JSON.parse(logs.stdout.trim().split('\n').at(-1)!) as {znodes: number};
    assert.equal(summary.znodes, 301);
  });

  it('--unschedule removes the CronJob and its ConfigMap (the PVC stays); teardown removes a schedule too', async () => {
    const u = await kzk(['backup', SRC, '-n', ns, '--unschedule', '-o', 'json']);
    assert.equal(u.code, 0, u.stderr);
    assert.deepEqual(JSON.parse(u.stdout).removed, [`CronJob/${SRC}-backup`, `ConfigMap/${SRC}-backup`]);
    assert.equal((await kubectl(['get', 'cronjob', '-n', ns, `${SRC}-backup`], {allowFail: true})).code, 1);
    assert.equal((await kubectl(['get', 'pvc', '-n', ns, 'backups'])).code, 0);
    await waitFor('the Jobs of the CronJob to go', async () => ((await kubectlJson(['get', 'jobs', '-n', ns, '-o', 'json'])).items.length === 0 ? true : false), {timeoutMs: 120_000});
    assert.equal((await kzk(['backup', DST, '-n', ns, '--schedule', '@daily', '--to-pvc', 'backups'])).code, 0);
    const t = await kzk(['teardown', DST, '-n', ns, '--yes', '--delete-data']);
    assert.equal(t.code, 0, t.stderr);
    assert.equal((await kubectl(['get', 'cronjob', '-n', ns, `${DST}-backup`], {allowFail: true})).code, 1, 'teardown removed the CronJob');
    assert.equal((await kubectl(['get', 'configmap', '-n', ns, `${DST}-backup`], {allowFail: true})).code, 1, 'and its ConfigMap');
  });
});
