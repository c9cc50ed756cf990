/**
 * `kubectl zk logs` on the real cluster: every member's lines merged by time
 * with member and role; -f keeps following while one member's JVM is killed
 * (its container restarts) and another member's pod is deleted (a new pod),
 * and shows the new containers' start lines; Ctrl-C ends it cleanly.
 */
import assert from 'node:assert/strict';
import {spawn, type ChildProcess} from 'node:child_process';
import {dirname} from 'node:path';
import {clusterProcessEnv, createNamespace, deleteNamespace, dumpDiagnostics, useCluster} from './lib/cluster.js';
import {createEnsemble, kubectl, kubectlJson, kzk, pluginDir, statusJson, waitFor} from './lib/zk.js';

useCluster();

interface JsonLine {
  time: string;
  member: string;
  role: string;
  text: string;
}

function follow(args: string[]): {child: ChildProcess; lines: JsonLine[]; stderr: () => string; exit: Promise<number | null>} {
  const env = clusterProcessEnv();
  env.PATH = `${pluginDir()}:${dirname(process.execPath)}:${env.PATH}`;
  const child = spawn('kubectl', ['zk', ...args], {env, stdio: ['ignore', 'pipe', 'pipe']});
  const lines: JsonLine[] = [];
  let rest = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => {
    const parts = (rest + d.toString('utf8')).split('\n');
    rest = parts.pop()!;
    for (const p of parts) if (p) lines.push(JSON.parse(p) as JsonLine);
  });
  child.stderr!.on('data', (d: Buffer) => (err += d.toString('utf8')));
  const exit = new Promise<number | null>((res) => child.on('close', (code) => res(code)));
  return {child, lines, stderr: () => err, exit};
}

const killJvm = 'for p in /proc/[0-9]*; do grep -qa "QuorumPeer[M]ain" $p/cmdline 2>/dev/null && kill -9 ${p#/proc/}; done; true';

describe('e2e: kubectl zk logs', function () {
  this.timeout(1_200_000);
  let ns: string;
  const NAME = 'zkl';
  let running: ChildProcess | undefined;

  before(async () => {
    ns = await createNamespace('kzk-e2e-logs');
    await createEnsemble(ns, NAME, 3);
  });
  afterEach(async function () {
    running?.kill('SIGKILL');
    if (this.currentTest?.state === 'failed') await dumpDiagnostics(ns);
  });
  after(async () => {
    if (ns) await deleteNamespace(ns);
  });

  it("merges every member's lines by time, each tagged with member and role", async () => {
    const r = await kzk(['logs', NAME, '-n', ns, '--tail', '30']);
    assert.equal(r.code, 0, r.stderr);
    const rows = r.stdout.trim().split('\n');
    for (const row of rows) assert.match(row, /^zkl-[0-2] +(leader|follower) +\| /);
    const members = new Set(rows.map((x) => x.split(' ')[0]));
    assert.deepEqual([...members].sort(), ['zkl-0', 'zkl-1', 'zkl-2']);
    const leaders = new Set(rows.filter((x) => / leader +\|/.test(x)).map((x) => x.split(' ')[0]));
    assert.equal(leaders.size, 1, 'one member is tagged leader');
    const j = await kzk(['logs', NAME, '-n', ns, '--tail', '30', '-o', 'json']);
    const times = j.stdout
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as JsonLine).time)
      .map((t) => Date.parse(t));
    assert.equal(times.length, 90);
    for (let i = 1; i < times.length; i++) assert.ok(times[i]! >= times[i - 1]!, `line ${i} out of order`);
  });

  it('-f follows a restarted container and a replaced pod, and stops cleanly on Ctrl-C', async () => {
    const f = follow(['logs', NAME, '-n', ns, '-f', '--tail', '5', '-o', 'json']);
    running = f.child;
    await waitFor('lines from all three members', async () => new Set(f.lines.map((l) => l.member)).size === 3, {timeoutMs: 60_000, intervalMs: 500});
    const restarts = async (pod: string) => (await kubectlJson<{status: {containerStatuses: {restartCount: number}[]}}>(['get', 'pod', pod, '-n', ns])).status.containerStatuses[0]!.restartCount;
    const before1 = await restarts(`${NAME}-1`);
    const killedAt = Date.now();
    await kubectl(['exec', '-n', ns, `${NAME}-1`, '-c', 'zookeeper', '--', 'bash', '-c', killJvm], {allowFail: true});
    await waitFor(`${NAME}-1's new container's start line`, async () => f.lines.some((l) => l.member === `${NAME}-1` && Date.parse(l.time) > killedAt && /kubectl-zk start: member 2 /.test(l.text)), {
      timeoutMs: 180_000,
      intervalMs: 1000,
    });
    assert.ok((await restarts(`${NAME}-1`)) > before1, 'the container did restart');
    const uid = (await kubectlJson<{metadata: {uid: string}}>(['get', 'pod', `${NAME}-2`, '-n', ns])).metadata.uid;
    const deletedAt = Date.now();
    await kubectl(['delete', 'pod', `${NAME}-2`, '-n', ns, '--wait=false']);
    await waitFor(`${NAME}-2's new pod's start line`, async () => f.lines.some((l) => l.member === `${NAME}-2` && Date.parse(l.time) > deletedAt && /kubectl-zk start: member 3 /.test(l.text)), {
      timeoutMs: 180_000,
      intervalMs: 1000,
    });
    assert.notEqual((await kubectlJson<{metadata: {uid: string}}>(['get', 'pod', `${NAME}-2`, '-n', ns])).metadata.uid, uid, 'a new pod');
    // the roles come back once the members serve again
    await waitFor('healthy again', async () => (await statusJson(ns, NAME)).health === 'healthy', {timeoutMs: 180_000, intervalMs: 2000});
    const mark = f.lines.length;
    await waitFor('lines tagged with roles again', async () => f.lines.slice(mark).filter((l) => l.role === 'leader' || l.role === 'follower').length >= 3, {timeoutMs: 60_000, intervalMs: 1000});
    f.child.kill('SIGINT');
    const code = await f.exit;
    running = undefined;
    assert.equal(code, 0, f.stderr());
    assert.ok(!/^error:/m.test(f.stderr()), f.stderr());
    // every member's lines stay in time order within the stream
    for (const m of [0, 1, 2]) {
      const times = f.lines.filter((l) => l.member === `${NAME}-${m}`).map((l) => Date.parse(l.time));
      for (let i = 1; i < times.length; i++) assert.ok(times[i]! >= times[i - 1]!, `${NAME}-${m} line ${i} out of order`);
    }
  });

  it('bad input: one error line, exit 2 (usage) or 1 (missing ensemble)', async () => {
    const bad = await kzk(['logs', NAME, '-n', ns, '--since', 'soon']);
    assert.equal(bad.code, 2, bad.stderr);
    assert.equal(bad.stderr.trim().split('\n').length, 1, bad.stderr);
    const none = await kzk(['logs', 'nosuch', '-n', ns]);
    assert.equal(none.code, 1, none.stderr);
    assert.match(none.stderr, /^error: ensemble "nosuch" not found/);
  });
});
