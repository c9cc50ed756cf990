/**
 * `kubectl zk report` on the real cluster: a 3-member ensemble where one
 * member's JVM was killed (so it has a previous container), a znode guarded
 * by a digest ACL written with a user's credentials; the archive has every
 * part the issue lists, and grepping the extracted files finds none of the
 * ensemble's credentials (super password, its digest and hash, base64 forms)
 * nor the user's. An existing path is refused with one error, unchanged.
 */
import assert from 'node:assert/strict';
import {execFileSync} from 'node:child_process';
import {createHash} from 'node:crypto';
import {existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {createNamespace, deleteNamespace, dumpDiagnostics, useCluster} from './lib/cluster.js';
import {createEnsemble, kubectl, kubectlJson, kzk, statusJson, waitFor} from './lib/zk.js';

useCluster();

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
}

const digestOf = (user: string, pw: string) => `${user}:${createHash('sha1').update(`${user}:${pw}`).digest('base64')}`;

describe('e2e: kubectl zk report', function () {
  this.timeout(1_200_000);
  let ns: string;
  let dir: string;
  const NAME = 'zkr';
  const USER_AUTH = 'alice:alice-Secret-42';

  before(async () => {
    ns = await createNamespace('kzk-e2e-rep');
    dir = mkdtempSync(join(tmpdir(), 'kzk-e2e-report-'));
    await createEnsemble(ns, NAME, 3);
    const acl = `digest:${digestOf('alice', 'alice-Secret-42')}:cdrwa`;
    const w = await kzk(['znode', 'create', '/guarded', 'payload', '--acl', acl, '--ensemble', NAME, '-n', ns], {env: {KUBECTL_ZK_AUTH: USER_AUTH}});
    assert.equal(w.code, 0, w.stderr);
    // kill member 1's JVM: its container restarts, so a previous container's log exists
    const killJvm = 'for p in /proc/[0-9]*; do grep -qa "QuorumPeer[M]ain" $p/cmdline 2>/dev/null && kill -9 ${p#/proc/}; done; true';
    await kubectl(['exec', '-n', ns, `${NAME}-1`, '-c', 'zookeeper', '--', 'bash', '-c', killJvm], {allowFail: true});
    await waitFor(
      `${NAME}-1 restarted and the ensemble healthy`,
      async () => {
        const pod = await kubectlJson<{status: {containerStatuses?: {restartCount: number}[]}}>(['get', 'pod', `${NAME}-1`, '-n', ns]);
        if ((pod.status.containerStatuses?.[0]?.restartCount ?? 0) < 1) return false;
        return (await statusJson(ns, NAME)).health === 'healthy';
      },
      {timeoutMs: 240_000, intervalMs: 2000},
    );
  });
  afterEach(async function () {
    if (this.currentTest?.state === 'failed') await dumpDiagnostics(ns);
  });
  after(async () => {
    rmSync(dir, {recursive: true, force: true});
    if (ns) await deleteNamespace(ns);
  });

  it('writes every part, and no credential is anywhere in it', async () => {
    const file = join(dir, 'report.tar.gz');
    const r = await kzk(['report', NAME, '-n', ns, '-f', file, '--tail', '300', '-o', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const result = JSON.parse(r.stdout) as {file: string; files: string[]; errors: string[]};
    assert.equal(result.file, file);
    assert.deepEqual(result.errors, [], 'every part gathered');
    const out = join(dir, 'x');
    execFileSync('mkdir', ['-p', out]);
    execFileSync('tar', ['-xzf', file, '-C', out]);
    const [root] = readdirSync(out);
    const at = (p: string) => readFileSync(join(out, root!, p), 'utf8');
    for (let i = 0; i < 3; i++) {
      const pod = `${NAME}-${i}`;
      assert.match(at(`members/${pod}/srvr.txt`), /^Zookeeper version: 3\.9\./m);
      assert.match(at(`members/${pod}/mntr.txt`), /^zk_server_state\t/m);
      assert.match(at(`members/${pod}/conf.txt`), /^serverId=\d/m);
      assert.ok('connections' in JSON.parse(at(`members/${pod}/cons.json`)), 'AdminServer connections');
      assert.match(at(`pods/${pod}/describe.txt`), new RegExp(`^Node: +kzk-node-\\d`, 'm'));
      assert.ok(at(`pods/${pod}/logs/zookeeper.log`).length > 0);
      assert.ok(existsSync(join(out, root!, `manifests/live/pod-${pod}.yaml`)));
      assert.ok(existsSync(join(out, root!, `manifests/live/persistentvolumeclaim-data-${pod}.yaml`)));
    }
    assert.ok(at(`pods/${NAME}-1/logs/zookeeper.previous.log`).length > 0, "the killed container's log");
    assert.match(at('zookeeper/config.txt'), /^server\.1=.*:participant;/m);
    assert.match(at('nodes.txt'), /^kzk-node-1/m);
    assert.match(at('nodes.txt'), /Ready=True/);
    assert.match(at('manifests/live/secret-zkr-auth.yaml'), /password: <redacted>/);
    assert.match(at('manifests/rendered/statefulset-zkr.yaml'), /kind: StatefulSet/);
    assert.equal(JSON.parse(at('status.json')).health, 'healthy');
    assert.ok(JSON.parse(at('plugin.json')).argv.includes('--tail'));
    assert.equal(at('errors.txt'), '(none)\n');
    assert.match(at('events.txt'), /Pod\/zkr-\d/);

    // the credentials, as the cluster holds them
    const secret = await kubectlJson<{data: Record<string, string>}>(['get', 'secret', `${NAME}-auth`, '-n', ns]);
    const password = Buffer.from(secret.data['password']!, 'base64').toString('utf8');
    const digest = Buffer.from(secret.data['digest']!, 'base64').toString('utf8');
    assert.equal(digest, digestOf('super', password));
    const alice = digestOf('alice', 'alice-Secret-42');
    const forbidden = [password, digest, digest.split(':')[1]!, secret.data['password']!, secret.data['digest']!, USER_AUTH, 'alice-Secret-42', alice.split(':')[1]!];
    for (const f of walk(join(out, root!))) {
      const text = readFileSync(f, 'utf8');
      for (const s of forbidden) assert.ok(!text.includes(s), `${f} holds a credential (${s.slice(0, 3)}…)`);
    }
    // and the archive bytes themselves (gzip of the same text; grep -z on the decompressed stream)
    const raw = execFileSync('bash', ['-c', `gzip -dc '${file}'`], {maxBuffer: 64 * 1024 * 1024}).toString('latin1');
    for (const s of forbidden) assert.ok(!raw.includes(s), 'no credential in the tar stream');
  });

  it('an existing path: one clear error, the file unchanged, nothing else written', async () => {
    const file = join(dir, 'exists.tar.gz');
    writeFileSync(file, 'precious');
    const before = readdirSync(dir).sort();
    const r = await kzk(['report', NAME, '-n', ns, '-f', file]);
    assert.equal(r.code, 2, r.stderr);
    assert.deepEqual(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, /^error: .*exists.*--force/);
    assert.equal(readFileSync(file, 'utf8'), 'precious');
    assert.deepEqual(readdirSync(dir).sort(), before);
  });

  it('an ensemble that does not exist: one error, no file', async () => {
    const file = join(dir, 'none.tar.gz');
    const r = await kzk(['report', 'nosuch', '-n', ns, '-f', file]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /^error: ensemble "nosuch" not found/);
    assert.ok(!existsSync(file) && !existsSync(`${file}.partial`));
  });
});
