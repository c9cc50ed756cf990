import assert from 'node:assert/strict';
import {execFile} from 'node:child_process';
import {existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {dirname, join} from 'node:path';
import {PassThrough} from 'node:stream';
import {promisify} from 'node:util';
import {compileBackup, JAR, readStoredZip, SOURCE} from '../../scripts/build-backup-jar.js';
import {checkTreeFile, exportTree} from '../../src/ops/transfer.js';
import {connectZk, type ZkClient} from '../../src/zk/client.js';
import {openTreeReader} from '../../src/zk/reader.js';
import {startEnsemble, zkRuntime, type Ensemble, type ZkRuntime} from './lib/ensemble.js';

/**
 * manifests/backup/backup.jar (Backup.java precompiled: what the scheduled
 * backup's CronJob runs in the ensemble's image) against a real 3.8 and 3.9
 * server, on a Java limited to the modules it needs — no jdk.compiler, as in
 * an eclipse-temurin JRE: its file has the lines `kubectl zk export` writes
 * (order and header time aside) and the same end line, passes import's check,
 * keeps the newest N files and removes partial ones, and fails without a file
 * when the credentials are wrong. The committed classes are what javac makes
 * of the Backup.java in the tree, and the source launcher (what the CronJob
 * ran before) fails on that Java.
 */
const run = promisify(execFile);
const clock = {now: () => Date.now()};
/** The least the program needs (logback wants java.xml and java.naming; java.naming brings java.security.sasl): no jdk.compiler. */
const MODULES = 'java.base,java.xml,java.naming';

async function tsExport(ens: Ensemble) {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  await exportTree({ensemble: 'zk', namespace: 'test', root: '/'}, out, {
    clock,
    connect: () => Promise.reject(new Error('unused')),
    reader: () => openTreeReader({endpoints: ens.endpoints, auth: ens.superAuth}),
  });
  out.end();
  return Buffer.concat(chunks).toString('utf8');
}

function parts(text: string) {
  const lines = text.trim().split('\n');
  const header = JSON.parse(lines[0]!) as Record<string, unknown>;
  delete header.time;
  return {header, records: lines.slice(1, -1).sort(), trailer: lines.at(-1)!};
}

describe('backup.jar is current: javac --release 11 makes the same classes from Backup.java', function () {
  this.timeout(180_000);
  it('the committed class files are byte for byte what javac makes of the Backup.java in the tree (else: npm run build:backup-jar)', () => {
    const rt = zkRuntime('3.9');
    const javac = join(dirname(rt.java), 'javac');
    assert.ok(existsSync(javac), `no javac next to ${rt.java} (scripts/ensure-zookeeper.sh installs openjdk-17-jdk-headless)`);
    const fresh = compileBackup(javac, rt.classpath);
    const committed = readStoredZip(readFileSync(JAR)).filter((e) => e.name.endsWith('.class'));
    assert.deepEqual(
      committed.map((e) => e.name),
      fresh.classes.map((e) => e.name),
    );
    for (const [i, e] of committed.entries()) assert.ok(e.data.equals(fresh.classes[i]!.data), `${e.name} differs from javac ${fresh.javac}'s: run npm run build:backup-jar`);
  });
});

for (const line of ['3.8', '3.9']) {
  describe(`backup.jar, the scheduled backup's program (${line}), on a Java without jdk.compiler`, function () {
    this.timeout(300_000);
    let rt: ZkRuntime;
    let ens: Ensemble;
    let c: ZkClient;
    let holder: ZkClient;
    let dir: string;

    const backup = (env: Record<string, string> = {}) => backupWith(MODULES, env);
    const backupWith = (modules: string, env: Record<string, string> = {}) =>
      run(rt.java, ['--limit-modules', modules, '-Xmx128m', `-Dlogback.configurationFile=${rt.logback}`, '-cp', `${JAR}:${rt.classpath}`, 'Backup'], {
        env: {
          PATH: process.env.PATH ?? '',
          ZK_SERVER: ens.endpoints.map((e) => `${e.host}:${e.port}`).join(','),
          ZK_USER: 'super',
          ZK_PASSWORD: ens.superPassword,
          ENSEMBLE: 'zk',
          NAMESPACE: 'test',
          BACKUP_DIR: dir,
          BACKUP_KEEP: '2',
          ...env,
        },
        timeout: 120_000,
      });

    before(async () => {
      rt = zkRuntime(line);
      dir = mkdtempSync(join(tmpdir(), 'kzk-backup-java-'));
      ens = await startEnsemble({size: 1, runtime: rt});
      c = await connectZk({endpoints: ens.endpoints, auth: ens.superAuth});
      holder = await connectZk({endpoints: ens.endpoints});
      await c.create('/app', 'root "quoted" \\ back\nslash');
      const w: Promise<unknown>[] = [];
      for (let i = 0; i < 20; i++) w.push(c.create(`/app/d${i}`, Buffer.from([i, 0, 255, 0x1f])));
      await Promise.all(w);
      w.length = 0;
      for (let i = 0; i < 1000; i++) w.push(c.create(`/app/d${i % 20}/n${i}`, Buffer.alloc(i % 700, i % 251)));
      await Promise.all(w);
      await c.create('/app/private', 'secret', {
        acl: [
          {scheme: 'digest', id: 'app:aHR0cHM6Ly9leGFtcGxlLm9yZy8=', perms: 'cdrwa'},
          {scheme: 'digest', id: 'ro:c2VlIG5vIGV2aWw=', perms: 'r'},
        ],
      });
      await c.create('/app/utf8-\u00e9\u6f22 "q"\\', '\u00e9');
      await c.create('/app/empty');
      await holder.create('/app/lock', 'held', {ephemeral: true});
    });

    after(async () => {
      await Promise.all([c, holder].map((x) => x?.close()));
      await ens?.stopAll();
      if (dir) rmSync(dir, {recursive: true, force: true});
    });

    it('the Java under test has no jdk.compiler, and the source launcher (the old CronJob command) fails on it', async () => {
      const {stdout} = await run(rt.java, ['--limit-modules', MODULES, '--list-modules']);
      assert.ok(!/^jdk\.compiler@/m.test(stdout), stdout);
      assert.match(stdout, /^java\.base@/m);
      await assert.rejects(
        run(rt.java, ['--limit-modules', MODULES, '-cp', rt.classpath, SOURCE], {timeout: 60_000}),
        (e: {code?: number; stderr?: string}) => e.code === 1 && /jdk\.compiler/.test(e.stderr ?? ''),
      );
    });

    it('the set is the least: without java.naming (logback needs it) the program does not start', async () => {
      await assert.rejects(backupWith('java.base,java.xml'), (e: {code?: number; stderr?: string}) => e.code === 1 && /javax\/naming/.test(e.stderr ?? ''));
    });

    it('writes what kubectl zk export writes (same lines, same end line), which import accepts', async () => {
      const {stdout} = await backup();
      const summary = JSON.parse(stdout.trim().split('\n').at(-1)!) as {file: string; znodes: number; ephemeral: number; checksum: string};
      const text = readFileSync(summary.file, 'utf8');
      const ours = parts(await tsExport(ens));
      const java = parts(text);
      assert.deepEqual(java.header, ours.header);
      assert.equal(java.records.length, ours.records.length);
      assert.deepEqual(java.records, ours.records);
      assert.equal(java.trailer, ours.trailer);
      assert.equal(summary.ephemeral, 1);
      const checked = await checkTreeFile(async function* () {
        yield* text.split('\n');
      });
      assert.equal(checked.checksum, summary.checksum);
      assert.match(summary.file, /\/zk-\d{8}T\d{6}Z\.jsonl$/);
    });

    it("keeps the newest N files, removes partial ones and other ensembles' files stay", async () => {
      writeFileSync(join(dir, 'zk-20000101T000000Z.jsonl.partial'), 'half');
      writeFileSync(join(dir, 'zk-20000101T000000Z.jsonl'), 'old');
      writeFileSync(join(dir, 'other-20000101T000000Z.jsonl'), 'not ours');
      await new Promise((r) => setTimeout(r, 1100)); // a new second: a new file name
      const {stdout} = await backup();
      const summary = JSON.parse(stdout.trim().split('\n').at(-1)!) as {pruned: string[]};
      assert.ok(summary.pruned.includes('zk-20000101T000000Z.jsonl.partial'));
      assert.ok(summary.pruned.includes('zk-20000101T000000Z.jsonl'));
      const files = readdirSync(dir).sort();
      assert.equal(files.filter((f) => f.startsWith('zk-')).length, 2, files.join(' '));
      assert.ok(files.includes('other-20000101T000000Z.jsonl'));
      assert.ok(!files.some((f) => f.endsWith('.partial')));
    });

    it('a wrong password fails (exit 1, one error line) and leaves no file', async () => {
      const before = readdirSync(dir).sort();
      await assert.rejects(backup({ZK_PASSWORD: 'wrong'}), (e: {code?: number; stderr?: string}) => e.code === 1 && /error: .*(NoAuth|AuthFailed)/.test(e.stderr ?? ''));
      assert.deepEqual(readdirSync(dir).sort(), before);
    });
  });
}
