/**
 * --total-timeout (src/base.ts, src/cli/deadline.ts), every command in this
 * process through oclif (test/support/inprocess.ts):
 * - against an API server that takes every request and never answers, each
 *   command that talks to the cluster stops at its limit: exit 1 with
 *   `error: CMD timed out after 20ms (--total-timeout)`, marked to exit at once
 *   (the op never got back to a safe point: nothing of it may go on);
 * - an op that waits on something its signal reaches (a ZooKeeper session that
 *   never comes, a watch, a follow) stops at the limit by itself and says so;
 *   `status --watch` and `logs -f` end normally there (exit 0): the limit is how
 *   long to watch;
 * - the commands' own --timeout (per step, per wait) is a different flag and
 *   unchanged; a bad --total-timeout is a usage error before any API call.
 * No duration is measured: "it stopped" is that the run settled before a
 * marker far beyond the limit and its grace.
 */
import assert from 'node:assert/strict';
import {spawn} from 'node:child_process';
import {mkdtempSync, writeFileSync} from 'node:fs';
import net from 'node:net';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {PassThrough} from 'node:stream';
import {FakeKube, seedEnsemble} from '../support/fake-kube.js';
import {fakeMembers} from '../support/fake-members.js';
import {encodeSnapshot} from '../support/snapshot.js';
import {runInProcess, type InProcessRun} from '../support/inprocess.js';
import {firstOf} from '../support/time.js';
import type {COMMANDS} from '../../src/commands.js';

type Id = keyof typeof COMMANDS;

/** Far beyond a 20 ms limit plus the 5 s grace (DEADLINE_GRACE_MS): reaching it means the run did not stop. */
const HUNG_MS = 45_000;

async function seeded(): Promise<FakeKube> {
  const kube = new FakeKube('team-a');
  await seedEnsemble(kube, 'zk', 'team-a', 3);
  return kube;
}

/** A loopback TCP server that takes every connection and never says a word; `sockets` are the connections it took. */
async function silentServer(): Promise<{port: number; sockets: Set<net.Socket>; close(): Promise<void>}> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('error', () => undefined);
  });
  server.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    sockets,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}

/** Members whose client port takes the connection and never says a word. */
async function silentMembers(kube: FakeKube): Promise<() => Promise<void>> {
  const silent = await silentServer();
  kube.forwardTo = () => ({host: '127.0.0.1', port: silent.port});
  return () => silent.close();
}

async function stops(id: Id, argv: string[], kube: FakeKube, o: {stdin?: string} = {}): Promise<InProcessRun> {
  let run: InProcessRun | undefined;
  const p = runInProcess(id, argv, {kube, lock: true, ...o}).then((r) => (run = r));
  assert.equal(await firstOf(p, 'hung', HUNG_MS), 'settled', `${id} ${argv.join(' ')} did not stop at its --total-timeout`);
  return run!;
}

const lastLine = (r: InProcessRun) => r.stderrAsCli.trimEnd().split('\n').at(-1)!;

/** The run took the ensemble's lock and released it. */
function released(kube: FakeKube, what: string): void {
  const lease = kube.all('Lease').find((l) => l.metadata.name === 'zk-kubectl-zk-lock') as {spec?: {holderIdentity?: string | null}} | undefined;
  assert.ok(lease, `${what}: took the lock`);
  assert.equal(lease.spec?.holderIdentity, null, `${what}: released it`);
}

describe('--total-timeout: every command stops at its limit (in process, fake API server)', function () {
  this.timeout(120_000);
  let dir: string;

  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'kzk-deadline-'));
    writeFileSync(path.join(dir, 'tree.jsonl'), '');
    writeFileSync(path.join(dir, 'zk.snap'), encodeSnapshot([{path: '/'}, {path: '/a', data: Buffer.from('x')}]));
  });

  it('an API server that never answers: each command ends at --total-timeout, exit 1, "CMD timed out after 20ms", marked to exit at once', async () => {
    const runs: [Id, string[]][] = [
      ['list', []],
      ['status', ['zk']],
      ['status', []],
      ['znode:get', ['/a']],
      ['znode:ls', ['/']],
      ['znode:stat', ['/a']],
      ['znode:create', ['/a', 'x']],
      ['znode:set', ['/a', 'x']],
      ['znode:delete', ['/a', '--yes']],
      ['backup', ['zk', '-f', path.join(dir, 'b.snap')]],
      ['export', ['zk', '-f', path.join(dir, 'e.jsonl')]],
      ['import', ['zk', '-f', path.join(dir, 'tree.jsonl')]],
      ['logs', ['zk']],
      ['report', ['zk', '-f', path.join(dir, 'r.tar.gz')]],
      ['create', ['zk']],
      ['scale', ['zk', '--replicas', '5', '--yes']],
      ['member:replace', ['zk', '1', '--yes']],
      ['restore-quorum', ['zk', '--yes']],
      ['restart', ['zk', '--yes']],
      ['upgrade', ['zk', '--memory', '2Gi', '--yes']],
      ['secure', ['zk', '--yes']],
      ['teardown', ['zk', '--yes']],
      ['failover-test', ['zk', '--yes']],
      ['restore', ['zk2', '--from', path.join(dir, 'zk.snap'), '--yes']],
    ];
    // at once: each waits out the grace (its op never gets back to a safe point); each run listens for the three signals
    const max = process.getMaxListeners();
    process.setMaxListeners(max + runs.length);
    const results = await Promise.all(runs.map(async ([id, argv]) => [id, argv, await stops(id, [...argv, '--total-timeout', '20ms'], (await seeded()).hang())] as const));
    process.setMaxListeners(max);
    for (const [id, argv, r] of results) {
      const what = `${id} ${argv.join(' ')}`;
      assert.equal(r.exit, 1, `${what}: ${r.stderrAsCli}`);
      assert.match(lastLine(r), new RegExp(`^error: ${id.replace(':', ' ')} timed out after 20ms \\(--total-timeout\\)`), what);
      assert.equal((r.error as {exitNow?: boolean}).exitNow, true, `${what}: the executable exits at once`);
      assert.equal(r.stdout, '', what);
    }
  });

  it('a ZooKeeper session that never comes (members that never answer): znode get stops at the limit by itself, well before --connect-timeout', async () => {
    const kube = await seeded();
    const close = await silentMembers(kube);
    try {
      const r = await stops('znode:get', ['/a', '--connect-timeout', '10m', '--total-timeout', '50ms'], kube);
      assert.equal(r.exit, 1, r.stderrAsCli);
      assert.match(lastLine(r), /^error: znode get timed out after 50ms \(--total-timeout\)$/);
      assert.equal((r.error as {exitNow?: boolean}).exitNow, false, 'the op stopped by itself: no need to exit at once');
    } finally {
      await close();
    }
  });

  it('a mutating run stopped at the limit while it waits (create, for its members): releases its lock, says what was left and what to do', async () => {
    // create: applied, then waiting for pods that never come (no StatefulSet controller here); its own --timeout is far away
    const fresh = new FakeKube('team-a');
    const c = await stops('create', ['zk', '--timeout', '1000h', '--total-timeout', '50ms'], fresh);
    assert.equal(c.exit, 1, c.stderrAsCli);
    // not "run the same command again": create refuses an ensemble that exists
    assert.match(lastLine(c), /^error: create timed out after 50ms \(--total-timeout\) \(what was applied stays .*'kubectl zk secure zk' runs; kubectl zk status zk shows how far it got/);
    assert.equal((c.error as {exitNow?: boolean}).exitNow, false, 'create stopped at its wait by itself');
    assert.ok(fresh.calls.includes('apply StatefulSet/zk'), 'it got as far as applying');
    released(fresh, 'create');
  });

  it('status --watch and logs -f: the limit is how long to watch; they end normally (exit 0)', async () => {
    const kube = await seeded();
    const members = await fakeMembers(kube, 'zk', 'team-a', ['leader', 'follower', 'follower']);
    try {
      const watch = await stops('status', ['zk', '--watch', '--total-timeout', '50ms'], kube);
      assert.equal(watch.error, undefined, watch.stderrAsCli);
      assert.equal(watch.exit, 0);
      assert.match(watch.stdout, /zk/, 'it watched');
      kube.logSource = () => new PassThrough(); // a log that stays open and silent
      const follow = await stops('logs', ['zk', '-f', '--total-timeout', '50ms'], kube);
      assert.equal(follow.error, undefined, follow.stderrAsCli);
      assert.equal(follow.exit, 0);
    } finally {
      await members.close();
    }
  });

  it('usage: a bad --total-timeout is exit 2 before any API call; "0" is no limit; the per-step --timeout flags are unchanged', async () => {
    const kube = await seeded();
    const bad = await runInProcess('status', ['zk', '--total-timeout', 'soon'], {kube});
    assert.equal(bad.exit, 2, bad.stderrAsCli);
    assert.match(lastLine(bad), /^error: invalid --total-timeout "soon"/);
    assert.deepEqual(kube.calls, []);
    const none = await runInProcess('list', ['--total-timeout', '0', '-o', 'json'], {kube});
    assert.equal(none.exit, 0, none.stderrAsCli);
    const {COMMANDS} = await import('../../src/commands.js');
    for (const id of ['create', 'scale', 'restart', 'upgrade', 'secure', 'restore', 'teardown', 'member:replace', 'restore-quorum', 'failover-test'] as Id[]) {
      const flags = (COMMANDS[id] as unknown as {flags: Record<string, unknown>}).flags;
      assert.ok(flags.timeout, `${id} keeps its own --timeout`);
    }
  });
});

describe('--total-timeout through the built executable', function () {
  this.timeout(120_000);

  it('an API server that takes the connection and never answers (--request-timeout 10m): the executable prints the error and exits 1 at the limit plus its grace, not at the request timeout', async () => {
    const {port, sockets, close} = await silentServer();
    const kubeconfig = path.join(mkdtempSync(path.join(tmpdir(), 'kzk-deadline-cli-')), 'config');
    writeFileSync(
      kubeconfig,
      `apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: https://127.0.0.1:${port}\ncontexts:\n- name: dev\n  context:\n    cluster: c\n    user: u\n    namespace: team-a\nusers:\n- name: u\n  user:\n    token: t\ncurrent-context: dev\n`,
    );
    const env: NodeJS.ProcessEnv = {...process.env, KUBECONFIG: kubeconfig};
    delete env.FORCE_COLOR;
    const child = spawn(process.execPath, [path.resolve('bin/kubectl-zk'), 'status', 'zk', '--request-timeout', '10m', '--total-timeout', '100ms'], {env, stdio: ['ignore', 'pipe', 'pipe']});
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const done = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
    try {
      assert.equal(await firstOf(done, 'hung', HUNG_MS), 'settled', `the executable did not exit: ${stderr}`);
      assert.equal(await done, 1, stderr);
      assert.match(stderr, /^error: status timed out after 100ms \(--total-timeout\)$/m);
      assert.ok(sockets.size > 0, 'it did reach the API server');
    } finally {
      child.kill('SIGKILL');
      await close();
    }
  });
});
