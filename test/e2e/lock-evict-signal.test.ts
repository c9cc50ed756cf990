/**
 * Issue 17 items 2, 3 and 6 on the real cluster, on one 3-member ensemble:
 * - evictions: a roll against a PodDisruptionBudget that allows no disruption
 *   stops naming the budget and removes nothing; a normal restart as a
 *   ServiceAccount that may not delete pods (only evict them) completes;
 * - the lock: two concurrent scales (the second refuses naming the holder); a
 *   SIGKILLed holder blocks until its lease expired, then --break-lock works;
 * - signals: SIGTERM during a scale-up, SIGHUP during a scale-down and during
 *   an upgrade stop the run, release the lock and say how to resume; running
 *   again completes.
 */
import assert from 'node:assert/strict';
import {spawn, type ChildProcess} from 'node:child_process';
import {mkdtempSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {dirname, join} from 'node:path';
import {clusterProcessEnv, createNamespace, deleteNamespace, dumpDiagnostics, kubectl, kubectlJson, useCluster, waitFor} from './lib/cluster.js';
import {createEnsemble, kzk, pluginDir, podUids, statusJson} from './lib/zk.js';

useCluster();

const NAME = 'zk';
const LEASE = `${NAME}-kubectl-zk-lock`;

interface Bg {
  child: ChildProcess;
  stderr: () => string;
  done: Promise<{code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string}>;
}

const running = new Set<ChildProcess>();

/** `kubectl zk …` in the background: kubectl execs the plugin, so child.pid is the plugin's own process. */
function background(args: string[]): Bg {
  const env = clusterProcessEnv();
  env.PATH = `${pluginDir()}:${dirname(process.execPath)}:${env.PATH}`;
  const child = spawn('kubectl', ['zk', ...args], {env, stdio: ['ignore', 'pipe', 'pipe']});
  running.add(child);
  child.on('close', () => running.delete(child));
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const done = new Promise<{code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string}>((res) =>
    child.on('close', (code, signal) => res({code, signal, stdout: out, stderr: err})),
  );
  return {child, stderr: () => err, done};
}

async function lease(ns: string): Promise<any | undefined> {
  const r = await kubectl(['get', 'lease', LEASE, '-n', ns, '-o', 'json'], {allowFail: true});
  return r.code === 0 ? JSON.parse(r.stdout) : undefined;
}

async function heldBy(ns: string, pid: number, timeoutMs = 60_000): Promise<any> {
  return waitFor(
    `the lock held by pid ${pid}`,
    async () => {
      const l = await lease(ns);
      return l?.spec?.holderIdentity && l.metadata.annotations?.['kubectl-zk/lock-pid'] === String(pid) ? l : undefined;
    },
    {timeoutMs, intervalMs: 250},
  );
}

async function healthy(ns: string): Promise<void> {
  await waitFor('a healthy ensemble', async () => (await statusJson(ns, NAME)).health === 'healthy', {timeoutMs: 300_000, intervalMs: 2000});
}

/** No process left holding a port-forward for this run: the plugin process is gone and no kubectl port-forward was started. */
function processGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch {
    return true;
  }
}

describe('e2e: evictions, the ensemble lock and signals (issue 17 items 2, 3, 6)', function () {
  this.timeout(3_600_000);
  let ns: string;

  before(async () => {
    ns = await createNamespace('sig-e2e-lock');
    await createEnsemble(ns, NAME, 3, ['--spread', 'preferred']); // scaled to 4 on three nodes
  });
  afterEach(async function () {
    for (const c of running) c.kill('SIGKILL'); // a failed test's background run
    if (this.currentTest?.state === 'failed') await dumpDiagnostics(ns);
  });
  after(async () => {
    await kzk(['teardown', NAME, '-n', ns, '--yes', '--delete-data', '--break-lock']).catch(() => undefined);
    await deleteNamespace(ns);
  });

  it('restart against a PodDisruptionBudget that allows no disruption: stops naming the budget; no pod removed', async () => {
    const before = await podUids(ns, NAME);
    await kubectl(['patch', 'pdb', NAME, '-n', ns, '--type', 'merge', '-p', '{"spec":{"maxUnavailable":0}}']);
    try {
      const r = await kzk(['restart', NAME, '-n', ns, '--yes', '--timeout', '20s', '-o', 'json'], {timeoutMs: 300_000});
      assert.equal(r.code, 4, r.stdout + r.stderr);
      assert.match(r.stderr, /eviction of pod zk-\d refused for .* by PodDisruptionBudget zk: Cannot evict pod/);
      assert.equal(JSON.parse(r.stdout).stopped.remaining.length, 3);
      assert.deepEqual(await podUids(ns, NAME), before, 'no pod was removed');
    } finally {
      await kubectl(['patch', 'pdb', NAME, '-n', ns, '--type', 'merge', '-p', '{"spec":{"maxUnavailable":1}}']);
    }
  });

  it('restart as a ServiceAccount that may evict pods but not delete them: every member replaced, the lock released', async () => {
    const sa = 'kzk-restart';
    await kubectl(['create', 'serviceaccount', sa, '-n', ns]);
    const rendered = await kzk(['rbac', 'restart', '-n', ns, '--name', sa, '--service-account', sa, '-o', 'json']);
    const list = JSON.parse(rendered.stdout);
    const role = list.items.find((o: any) => o.kind === 'Role');
    for (const rule of role.rules) if (rule.resources.includes('pods')) rule.verbs = rule.verbs.filter((v: string) => v !== 'delete');
    await kubectl(['apply', '-f', '-'], {input: JSON.stringify(list)});
    const token = (await kubectl(['create', 'token', sa, '-n', ns, '--duration', '1h'])).stdout.trim();
    const admin = await kubectlJson<any>(['config', 'view', '--raw', '--minify']);
    const path = join(mkdtempSync(join(tmpdir(), 'kzk-lock-')), 'sa.kubeconfig');
    writeFileSync(
      path,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{name: 'c', cluster: admin.clusters[0].cluster}],
        users: [{name: sa, user: {token}}],
        contexts: [{name: sa, context: {cluster: 'c', user: sa, namespace: ns}}],
        'current-context': sa,
      }),
    );
    const before = await podUids(ns, NAME);
    const r = await kzk(['restart', NAME, '--yes', '--settle', '2s', '-o', 'json'], {env: {KUBECONFIG: path}, timeoutMs: 900_000});
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const result = JSON.parse(r.stdout);
    assert.deepEqual(
      result.members.map((m: any) => m.phases[0].phase),
      ['evict the pod', 'evict the pod', 'evict the pod'],
    );
    assert.ok(
      result.members.slice(0, 2).every((m: any) => m.phases.some((p: any) => /^settle/.test(p.phase))),
      'a settle pause after each member but the last',
    );
    const after = await podUids(ns, NAME);
    for (const pod of Object.keys(before)) assert.notEqual(after[pod], before[pod], `${pod} replaced`);
    assert.equal((await lease(ns))?.spec?.holderIdentity ?? undefined, undefined, 'lock released');
  });

  it('two concurrent scales: the second refuses naming the holder (command, pid, host, since); the first completes', async () => {
    const a = background(['scale', NAME, '-n', ns, '--replicas', '4', '--yes', '--timeout', '5m']);
    await heldBy(ns, a.child.pid!);
    const b = await kzk(['scale', NAME, '-n', ns, '--replicas', '3', '--yes']);
    assert.equal(b.code, 1, b.stderr);
    assert.match(
      b.stderr,
      new RegExp(`^error: ensemble "zk" is locked by "kubectl zk scale zk -n ${ns} --replicas 4 --yes --timeout 5m" \\(pid ${a.child.pid} on [^)]+\\) since \\d{4}-\\d\\d-\\d\\dT`, 'm'),
    );
    const ra = await a.done;
    assert.equal(ra.code, 0, ra.stderr);
    assert.equal((await lease(ns))?.spec?.holderIdentity ?? undefined, undefined, 'lock released');
  });

  it('a SIGKILLed holder: refused (also with --break-lock) until its lease expired; then --break-lock takes over and completes', async () => {
    const a = background(['scale', NAME, '-n', ns, '--replicas', '3', '--yes']);
    await heldBy(ns, a.child.pid!);
    a.child.kill('SIGKILL');
    await a.done;
    // the lease expires leaseDurationSeconds after its last renewal (up to one renewal interval before the kill)
    const last = await lease(ns);
    const expiresAt = Date.parse(last.spec.renewTime ?? last.spec.acquireTime) + last.spec.leaseDurationSeconds * 1000;
    const b = await kzk(['scale', NAME, '-n', ns, '--replicas', '3', '--yes']);
    assert.equal(b.code, 1, b.stderr);
    assert.match(b.stderr, new RegExp(`is locked by "kubectl zk scale zk .*" \\(pid ${a.child.pid} on `));
    const earlyAt = Date.now();
    const early = await kzk(['scale', NAME, '-n', ns, '--replicas', '3', '--yes', '--break-lock'], {timeoutMs: 600_000});
    let c = early;
    if (early.code !== 0) {
      // refused while the lease was live; then, once it expired, --break-lock takes over
      assert.equal(early.code, 1, early.stderr);
      assert.match(early.stderr, /still being renewed/);
      await new Promise((r) => setTimeout(r, Math.max(0, expiresAt + 1000 - Date.now())));
      c = await kzk(['scale', NAME, '-n', ns, '--replicas', '3', '--yes', '--break-lock'], {timeoutMs: 600_000});
    } else {
      // a slow start reached the lease's expiry: taking over is right then, never well before it
      assert.ok(earlyAt >= expiresAt - 2000, `--break-lock took over a live lease (${expiresAt - earlyAt} ms before its expiry)`);
      console.log(`      [measure] --break-lock started ${expiresAt - earlyAt} ms before the lease's expiry and took over after it`);
    }
    assert.equal(c.code, 0, c.stderr);
    assert.match(c.stderr, new RegExp(`took over the lock of ensemble "zk" from "kubectl zk scale zk .*" \\(pid ${a.child.pid} on `));
    await healthy(ns);
  });

  // SIGHUP is what a closed terminal sends: through kubectl (which execs the plugin) it reaches the plugin's own process
  for (const point of [
    {what: 'scale up, once the new member is being added', sig: 'SIGTERM', args: ['scale', NAME, '--replicas', '4', '--yes'], at: /\[1\/1\]|zk-3/},
    {what: 'scale down, right after the plan', sig: 'SIGHUP', args: ['scale', NAME, '--replicas', '3', '--yes'], at: /scale zk|step|zk-3/i},
    {what: 'upgrade, during the second member', sig: 'SIGHUP', args: ['upgrade', NAME, '--cpu', '110m', '--yes', '--settle', '1s'], at: /\[2\/3\]/},
  ] as const) {
    it(`${point.sig} during ${point.what}: stops, releases the lock, says how to resume; running again completes`, async () => {
      const a = background([...point.args, '-n', ns]);
      await heldBy(ns, a.child.pid!);
      await waitFor('the point to signal at', async () => point.at.test(a.stderr()), {timeoutMs: 300_000, intervalMs: 100});
      const sent = Date.now();
      a.child.kill(point.sig);
      const r = await a.done;
      console.log(`      [measure] exited ${Date.now() - sent} ms after ${point.sig} (code ${r.code})`);
      assert.equal(r.code, point.sig === 'SIGHUP' ? 129 : 143, r.stderr);
      assert.match(r.stderr, new RegExp(`${point.sig} received: stopping at the next safe point`));
      assert.match(r.stderr, /^error: .*(run the same command again|run scale again|again to resume)/m);
      assert.ok(processGone(a.child.pid!), 'the plugin process (and its in-process port-forwards) is gone');
      assert.equal((await lease(ns))?.spec?.holderIdentity ?? undefined, undefined, 'lock released');
      const again = await kzk([...point.args, '-n', ns], {timeoutMs: 900_000});
      assert.equal(again.code, 0, again.stderr);
      await healthy(ns);
    });
  }
});
