/**
 * `failover-test --mode kill`: the kill script (manifests/scripts/kill.sh, what kube.exec
 * runs in the leader's container) against REAL ZooKeeper JVMs.
 *
 * 1. On the loopback ensemble, through kubeDisruptor with an exec that runs the
 *    command locally with a PATH holding only bash and sleep (no procps): the
 *    leader's JVM is found in /proc and SIGKILLed, the op sees a new leader.
 * 2. In a PID namespace of its own (unshare, like a container), the JVM is
 *    PID 1: `kill -9 1` from inside is ignored by the kernel, and the script
 *    falls back to SIGTERM, which the JVM handles by exiting. The exec'd shell
 *    dies with PID 1, as `kubectl exec` does when the container's init exits.
 */
import assert from 'node:assert/strict';
import {spawn} from 'node:child_process';
import {existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import type {ExecResult} from '../../src/kube/types.js';
import {runFailoverTest} from '../../src/ops/failover.js';
import {kubeDisruptor, killCommand, parseKillOutput} from '../../src/ops/failover/disrupt.js';
import type {FailoverDeps} from '../../src/ops/failover/types.js';
import {renderFailover} from '../../src/render/failover.js';
import {noPaint} from '../../src/util/progress.js';
import {realSleep, systemClock} from '../../src/util/time.js';
import {connectZk} from '../../src/zk/client.js';
import {srvr} from '../support/zk-status.js';
import {FakeKube, seedEnsemble} from '../support/fake-kube.js';
import {recordingProgress} from '../support/progress.js';
import {freePorts, startEnsemble, zkRuntime, type Ensemble} from './lib/ensemble.js';

const idOf = (pod: string) => Number(pod.split('-')[1]) + 1;

/** A directory whose only commands are bash and sleep: the script must not need more. */
function minimalPath(): string {
  const dir = mkdtempSync(join(tmpdir(), 'kzk-minpath-'));
  for (const tool of ['bash', 'sleep']) {
    const found = ['/usr/bin', '/bin'].map((d) => join(d, tool)).find((p) => existsSync(p));
    if (!found) throw new Error(`no ${tool}`);
    symlinkSync(found, join(dir, tool));
  }
  return dir;
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<ExecResult & {signal: NodeJS.Signals | null}> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {env, stdio: ['ignore', 'pipe', 'pipe']});
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({stdout, stderr, exitCode: code ?? 137, signal}));
  });
}

describe('integration: failover-test --mode kill (the kill script against real JVMs)', function () {
  this.timeout(180_000);

  describe('on the loopback ensemble, through kubeDisruptor', () => {
    let ens: Ensemble;
    let kube: ReturnType<typeof execKube>;
    const path = minimalPath();
    const restarts: Promise<void>[] = [];

    const execs: {pod: string; command: string[]; container?: string}[] = [];
    /** FakeKube whose exec runs the command here (PATH = bash and sleep only), then restarts the killed server as the kubelet would. */
    const execKube = () =>
      Object.assign(new FakeKube('ns'), {
        async exec(_ns: string, pod: string, command: string[], opts: {container?: string} = {}): Promise<ExecResult> {
          execs.push({pod, command, container: opts.container});
          const s = ens.server(idOf(pod));
          const r = await run(command[0]!, command.slice(1), {PATH: path});
          restarts.push(
            (async () => {
              await s.exited();
              await realSleep(1500);
              await s.start();
            })(),
          );
          return r;
        },
      });

    before(async () => {
      ens = await startEnsemble({size: 3});
      kube = execKube();
      await seedEnsemble(kube, 'zk', 'ns', 3);
    });
    after(async () => {
      await Promise.allSettled(restarts);
      await ens?.stopAll();
      rmSync(path, {recursive: true, force: true});
    });

    it('finds the leader JVM in /proc, SIGKILLs it, and the op sees a new leader with nothing lost', async () => {
      const leader = await ens.leader();
      const deps: FailoverDeps = {
        kube,
        clock: systemClock,
        sleep: realSleep,
        progress: recordingProgress(),
        endpoint: async (_ns, pod) => ens.server(idOf(pod)).endpoint,
        connect: (endpoints, o = {}) => connectZk({endpoints, connectTimeoutMs: o.connectTimeoutMs ?? 15_000, operationTimeoutMs: o.operationTimeoutMs ?? 10_000, spinDelayMs: 100}),
        // the real disruptor; only which JVM to pick differs (three share this host): the leader's config path
        disruptor: (t) => kubeDisruptor(kube, {match: join(ens.server(idOf(t.leader)).dir, 'zoo.cfg')})(t),
        confirm: async () => true,
      };
      const report = await runFailoverTest(
        {
          name: 'zk',
          namespace: 'ns',
          mode: 'kill',
          rounds: 1,
          pauseMs: 0,
          pollMs: 50,
          timeoutMs: 60_000,
          writeRate: 40,
          force: false,
          keepData: false,
          basePath: '/kubectl-zk/failover',
          runId: 'kill-it',
        },
        deps,
      );
      const r = report.rounds[0]!;
      assert.equal(report.outcome, 'pass', renderFailover(report, noPaint));
      assert.equal(execs.length, 1);
      assert.equal(execs[0]!.pod, `zk-${leader.id - 1}`);
      assert.equal(execs[0]!.container, 'zookeeper');
      assert.deepEqual(execs[0]!.command.slice(0, 2), ['bash', '-c']);
      assert.match(r.disruption!.detail, new RegExp(`^SIGKILL to pid \\d+ in zk-${leader.id - 1}$`));
      assert.notEqual(r.newLeader?.pod, r.before?.leader);
      assert.equal(r.figures!.lost, 0);
      console.log(
        `      [measure] kill mode (kill script, SIGKILL): ${r.disruption!.detail}; election ${r.figures!.electionMs} ms, unavailability ${r.figures!.unavailabilityMs} ms, recovery ${r.figures!.recoveryMs} ms; acked ${r.figures!.acked}, failed ${r.figures!.failed}, lost ${r.figures!.lost}`,
      );
    });

    it('no matching process: a clear error, nothing killed', async () => {
      const r = await run('bash', killCommand('no-such-zoo.cfg').slice(1), {PATH: path});
      assert.equal(r.exitCode, 3);
      assert.match(r.stderr, /no ZooKeeper server process/);
      assert.equal(parseKillOutput(r.stdout), undefined);
      await assert.rejects(
        kubeDisruptor(Object.assign(new FakeKube('ns'), {exec: async () => ({stdout: r.stdout, stderr: r.stderr, exitCode: r.exitCode})}))({
          namespace: 'ns',
          name: 'zk',
          mode: 'kill',
          leader: 'zk-0',
          pods: ['zk-0'],
        }),
        /could not kill the ZooKeeper server in pod zk-0: no ZooKeeper server process/,
      );
    });
  });

  const canNamespace = process.getuid?.() === 0 && existsSync('/usr/bin/unshare') && existsSync('/usr/bin/nsenter');
  (canNamespace ? describe : describe.skip)('a JVM that is PID 1 of its own PID namespace (as in the container)', () => {
    let dir: string;
    let unshare: ReturnType<typeof spawn>;
    let javaPid: number;
    let port: number;
    let exited: Promise<void>;

    before(async () => {
      const rt = zkRuntime();
      dir = mkdtempSync(join(tmpdir(), 'kzk-pid1-'));
      [port] = (await freePorts(1)) as [number];
      mkdirSync(join(dir, 'data'));
      writeFileSync(join(dir, 'zoo.cfg'), `tickTime=500\ndataDir=${join(dir, 'data')}\nclientPort=${port}\nclientPortAddress=127.0.0.1\nadmin.enableServer=false\n4lw.commands.whitelist=srvr\n`);
      unshare = spawn('unshare', ['--pid', '--fork', '--mount-proc', rt.java, '-Xmx64m', '-cp', rt.classpath, 'org.apache.zookeeper.server.quorum.QuorumPeerMain', join(dir, 'zoo.cfg')], {
        stdio: 'ignore',
      });
      exited = new Promise((r) => unshare.once('exit', () => r()));
      // the forked child of unshare is the JVM, PID 1 inside
      for (let i = 0; i < 100 && !javaPid; i++) {
        await realSleep(100);
        const kids = readFileSync(`/proc/${unshare.pid}/task/${unshare.pid}/children`, 'utf8').trim();
        if (kids) javaPid = Number(kids.split(/\s+/)[0]);
      }
      assert.ok(javaPid, 'no JVM under unshare');
      for (let i = 0; i < 100; i++) {
        const s = await srvr({host: '127.0.0.1', port}, {timeoutMs: 500}).catch(() => undefined);
        if (s?.status === 'ok') break;
        await realSleep(100);
      }
    });
    after(async () => {
      try {
        process.kill(javaPid, 'SIGKILL'); // from outside the namespace SIGKILL works
      } catch {
        // gone
      }
      await exited;
      rmSync(dir, {recursive: true, force: true});
    });

    const inside = (command: string[]) => run('nsenter', ['-t', String(javaPid), '-p', '-m', ...command], {PATH: '/usr/bin:/bin'});

    it('kill -9 1 from inside the namespace is ignored: the server keeps serving', async () => {
      const r = await inside(['bash', '-c', 'cat /proc/1/cmdline | tr "\\0" " "; echo; kill -9 1; echo "kill exit $?"']);
      assert.match(r.stdout, /QuorumPeerMain/, 'PID 1 inside is the JVM');
      assert.match(r.stdout, /kill exit 0/, 'kill reports success...');
      await realSleep(1000);
      const s = await srvr({host: '127.0.0.1', port}, {timeoutMs: 2000});
      assert.equal(s.status, 'ok', '...yet the JVM still serves');
      assert.ok(existsSync(`/proc/${javaPid}`));
    });

    it('the kill script sends SIGTERM to PID 1, the JVM exits, and the disruptor reports it although the exec dies with it', async () => {
      const kube = Object.assign(new FakeKube('ns'), {exec: async (_ns: string, _pod: string, command: string[]) => inside(command)});
      const t0 = Date.now();
      const res = await kubeDisruptor(kube)({namespace: 'ns', name: 'zk', mode: 'kill', leader: 'zk-0', pods: ['zk-0']});
      assert.equal(res.detail, 'SIGTERM to pid 1 in zk-0 (PID 1 ignores SIGKILL from inside its PID namespace)');
      await Promise.race([exited, realSleep(10_000).then(() => assert.fail('the JVM did not exit after SIGTERM'))]);
      console.log(`      [measure] JVM as PID 1: exited ${Date.now() - t0} ms after the kill script started (SIGTERM), exit code ${unshare.exitCode}`);
    });
  });
});
