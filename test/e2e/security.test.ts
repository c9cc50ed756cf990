/**
 * Closed by default, proven on the enforcing test bed: bystander pods (one in
 * another namespace, one in the ensemble's namespace that is not a member)
 * try every hole the plugin closes and get nothing, while an allowed client
 * still reads and writes; then an ensemble opened up the way an earlier
 * kubectl-zk made it is brought back by `kubectl zk secure` under a
 * concurrent writer, losing nothing.
 */
import assert from 'node:assert/strict';
import {apply, createNamespace, deleteNamespace, dumpDiagnostics, useCluster, waitForPod, bystanderPod} from './lib/cluster.js';
import {createEnsemble, holdSession, kubectl, kubectlJson, kzk, waitFor} from './lib/zk.js';

useCluster();

type Reach = 'open' | 'refused' | 'timeout';

/** A TCP connect from inside a pod (bash /dev/tcp): open, refused (RST) or timeout (dropped by a policy). */
async function reach(ns: string, pod: string, host: string, port: number): Promise<Reach> {
  const r = await kubectl(['exec', '-n', ns, pod, '--', 'bash', '-c', `timeout 4 bash -c 'exec 3<>/dev/tcp/${host}/${port}' 2>/dev/null; echo rc=$?`], {allowFail: true, timeoutMs: 30_000});
  const rc = /rc=(\d+)/.exec(r.stdout)?.[1];
  return rc === '0' ? 'open' : rc === '124' ? 'timeout' : 'refused';
}

/** An HTTP request to a member's AdminServer from inside a pod; the status line, or what the connect did. */
async function adminFrom(ns: string, pod: string, host: string, path: string, auth = 'digest anyone:whatever'): Promise<string> {
  const script = `timeout 6 bash -c 'exec 3<>/dev/tcp/${host}/8080 || exit 7; printf "GET ${path} HTTP/1.0\\r\\nAuthorization: ${auth}\\r\\n\\r\\n" >&3; head -n1 <&3' 2>/dev/null; echo rc=$?`;
  const r = await kubectl(['exec', '-n', ns, pod, '--', 'bash', '-c', script], {allowFail: true, timeoutMs: 30_000});
  const status = /^HTTP\/1\.\d (\d+)/m.exec(r.stdout)?.[1];
  if (status) return status;
  const rc = /rc=(\d+)/.exec(r.stdout)?.[1];
  return rc === '124' ? 'timeout' : 'refused';
}

/** zkCli.sh in a bystander pod against the client Service; the whole output. */
async function zkCliFrom(ns: string, pod: string, server: string, ...cmds: string[]): Promise<string> {
  const r = await kubectl(['exec', '-n', ns, pod, '--', 'bash', '-c', `printf '%s\\n' ${cmds.map((c) => `'${c}'`).join(' ')} quit | timeout 60 zkCli.sh -server ${server} 2>&1`], {
    allowFail: true,
    timeoutMs: 90_000,
  });
  return r.stdout + r.stderr;
}

async function podIp(ns: string, pod: string): Promise<string> {
  const p = await kubectlJson<{status: {podIP: string}}>(['get', 'pod', pod, '-n', ns]);
  return p.status.podIP;
}

describe('e2e: closed by default (bystanders get nothing; secure brings an old ensemble back)', function () {
  this.timeout(1_500_000);
  let ns: string;
  let other: string;
  let ips: string[];

  before(async () => {
    ns = await createNamespace('kzk-e2e-sec');
    other = await createNamespace('kzk-e2e-out');
    await Promise.all([apply(bystanderPod('inside'), ns), apply(bystanderPod('outside'), other)]);
    await createEnsemble(ns, 'zk', 3);
    await Promise.all([waitForPod(ns, 'inside'), waitForPod(other, 'outside')]);
    ips = await Promise.all([0, 1, 2].map((i) => podIp(ns, `zk-${i}`)));
  });
  afterEach(async function () {
    if (this.currentTest?.state === 'failed') await dumpDiagnostics(ns);
  });
  after(async () => {
    await deleteNamespace(ns);
    await deleteNamespace(other);
  });

  it('as created: status shows the clients admitted and nothing open', async () => {
    const s = await kzk(['status', 'zk', '-n', ns, '-o', 'json']);
    const report = JSON.parse(s.stdout);
    assert.deepEqual(report.security, {clientsFrom: ['same-namespace'], networkPolicy: true, adminOnLoopback: true, serviceAccountToken: false, open: []});
    const human = await kzk(['status', 'zk', '-n', ns]);
    assert.match(human.stdout, /Clients:\s+same-namespace \(NetworkPolicy\)/);
    const pod = await kubectlJson<any>(['get', 'pod', 'zk-0', '-n', ns]);
    assert.ok(!pod.spec.volumes.some((v: any) => v.projected), 'no service-account token volume');
    // the super digest is in no log, no pod spec and no four-letter word's answer
    const digest = Buffer.from((await kubectlJson<any>(['get', 'secret', 'zk-auth', '-n', ns])).data.digest, 'base64').toString();
    const hash = digest.split(':')[1]!;
    for (let i = 0; i < 3; i++) {
      const logs = await kubectl(['logs', `zk-${i}`, '-n', ns]);
      assert.ok(!logs.stdout.includes(hash), `zk-${i}'s log shows the super digest`);
      const spec = JSON.stringify(await kubectlJson<any>(['get', 'pod', `zk-${i}`, '-n', ns]));
      assert.ok(!spec.includes(hash), `zk-${i}'s pod spec shows the super digest`);
      for (const word of ['conf', 'srvr', 'mntr', 'envi']) {
        const r = await kubectl(['exec', '-n', ns, 'inside', '--', 'bash', '-c', `timeout 5 bash -c 'exec 3<>/dev/tcp/${ips[i]}/2181 && printf ${word} >&3 && cat <&3'`], {allowFail: true});
        assert.ok(!r.stdout.includes(hash), `${word} on zk-${i} shows the super digest`);
      }
    }
  });

  it('a pod in another namespace reaches no port of any member', async () => {
    for (const ip of ips) {
      for (const port of [2181, 2888, 3888, 7000, 8080]) {
        const r = await reach(other, 'outside', ip, port);
        assert.notEqual(r, 'open', `outside → ${ip}:${port}`);
      }
    }
    assert.notEqual(await reach(other, 'outside', `zk.${ns}.svc.cluster.local`, 2181), 'open', 'the client Service either');
  });

  it('a pod of the same namespace that is not a member: the client port only; no quorum/election port, no AdminServer', async () => {
    const leader = JSON.parse((await kzk(['status', 'zk', '-n', ns, '-o', 'json'])).stdout).quorum.leader as string;
    const leaderIp = ips[Number(leader.split('-').pop())]!;
    assert.notEqual(await reach(ns, 'inside', leaderIp, 2888), 'open', "impersonating a learner on the leader's 2888");
    for (const ip of ips) {
      assert.notEqual(await reach(ns, 'inside', ip, 3888), 'open', `election port of ${ip}`);
      for (const path of ['/commands/system_properties', '/commands/snapshot?streaming=true', '/commands/restore']) {
        const st = await adminFrom(ns, 'inside', ip, path);
        assert.ok(st === 'refused' || st === 'timeout', `AdminServer ${path} on ${ip}: ${st}`);
      }
      assert.equal(await reach(ns, 'inside', ip, 2181), 'open', `client port of ${ip} (an allowed client)`);
    }
  });

  it('an allowed client reads and writes its own znodes, but cannot setAcl /, touch /zookeeper/config or wipe the root, with or without made-up credentials', async () => {
    const server = `zk.${ns}.svc.cluster.local:2181`;
    const ok = await zkCliFrom(ns, 'inside', server, 'create /bystander-app v1', 'set /bystander-app v2', 'get /bystander-app');
    assert.match(ok, /Created \/bystander-app/);
    assert.match(ok, /^v2$/m);
    for (const auth of [[], ['addauth digest anyone:whatever']]) {
      const out = await zkCliFrom(ns, 'inside', server, ...auth, 'setAcl / world:anyone:cdrwa', 'set /zookeeper/config x', 'setAcl /zookeeper world:anyone:cdrwa', 'deleteall /zookeeper', 'getAcl /');
      assert.equal((out.match(/Insufficient permission|NoAuth|not authenticated|KeeperErrorCode = NoAuth/gi) ?? []).length >= 3, true, out);
      assert.match(out, /'world,'anyone\n: cdrw$/m, `root ACL unchanged:\n${out}`);
    }
    const znode = await kzk(['znode', 'get', '/bystander-app', '-n', ns]);
    assert.equal(znode.stdout.trim(), 'v2', 'the plugin reads what the client wrote');
  });

  it('secure --allow-clients-from namespace=OTHER admits that namespace on the client port only, without a restart', async () => {
    const before = JSON.parse((await kzk(['status', 'zk', '-n', ns, '-o', 'json'])).stdout).rollout.updateRevision;
    const r = await kzk(['secure', 'zk', '-n', ns, '--allow-clients-from', `namespace=${other}`, '--allow-clients-from', 'same-namespace', '--yes']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /NetworkPolicy: updated; clients from/);
    await waitFor('outside reaches the client port', async () => (await reach(other, 'outside', ips[0]!, 2181)) === 'open', {timeoutMs: 60_000});
    assert.notEqual(await reach(other, 'outside', ips[0]!, 2888), 'open');
    const after = JSON.parse((await kzk(['status', 'zk', '-n', ns, '-o', 'json'])).stdout);
    assert.equal(after.rollout.updateRevision, before, 'no restart for a policy change');
    assert.deepEqual(after.security.clientsFrom.sort(), [`namespace=${other}`, 'same-namespace'].sort());
    const back = await kzk(['secure', 'zk', '-n', ns, '--allow-clients-from', 'same-namespace', '--yes']);
    assert.equal(back.code, 0, back.stderr);
    await waitFor('outside refused again', async () => (await reach(other, 'outside', ips[0]!, 2181)) !== 'open', {timeoutMs: 60_000});
  });

  it('an ensemble as an earlier kubectl-zk made it is open; secure closes it under a concurrent writer: 0 acknowledged writes lost, the session kept', async () => {
    // open it up the way the first kubectl-zk made ensembles: no policy, AdminServer on every address, token mounted, open root ACL
    await kubectl(['delete', 'networkpolicy', 'zk', '-n', ns]);
    const cm = await kubectlJson<any>(['get', 'configmap', 'zk-config', '-n', ns]);
    const oldCfg = (cm.data['zoo.cfg'] as string).replace(/^admin\.serverAddress=.*\n/m, '');
    await kubectl(['patch', 'configmap', 'zk-config', '-n', ns, '--type', 'merge', '-p', JSON.stringify({data: {'zoo.cfg': oldCfg}})]);
    await kubectl(['patch', 'statefulset', 'zk', '-n', ns, '--type', 'json', '-p', '[{"op":"remove","path":"/spec/template/spec/automountServiceAccountToken"}]']);
    const restarted = await kzk(['restart', 'zk', '-n', ns, '--yes'], {timeoutMs: 900_000});
    assert.equal(restarted.code, 0, restarted.stderr);
    const password = Buffer.from((await kubectlJson<any>(['get', 'secret', 'zk-auth', '-n', ns])).data.password, 'base64').toString();
    const opened = await zkCliFrom(ns, 'zk-0', '127.0.0.1:2181', `addauth digest super:${password}`, 'setAcl / world:anyone:cdrwa', 'getAcl /');
    assert.match(opened, /: cdrwa$/m, opened);
    const status = JSON.parse((await kzk(['status', 'zk', '-n', ns, '-o', 'json'])).stdout);
    assert.equal(status.security.open.length, 3, JSON.stringify(status.security));
    const newIps = await Promise.all([0, 1, 2].map((i) => podIp(ns, `zk-${i}`)));
    // before: the holes the issue reports, from the other namespace
    assert.equal(await adminFrom(other, 'outside', newIps[0]!, '/commands/snapshot?streaming=true'), '200', 'before: a made-up identity streams the database');

    const writer = await holdSession(ns, 'zk', ['zk-0', 'zk-1', 'zk-2']);
    const r = await kzk(['secure', 'zk', '-n', ns, '--yes'], {timeoutMs: 900_000});
    const w = await writer.finish();
    assert.equal(r.code, 0, r.stderr);
    console.log(`      [measure] secure under a writer: ${w.acked} acked, ${w.failed} failed, lost ${w.lost.length}, longest gap ${w.longestGapMs} ms`);
    assert.deepEqual(w.lost, [], 'no acknowledged write lost');
    assert.ok(w.sessionKept, `session kept: ${w.states.join(',')}`);
    assert.ok(w.acked > 0);

    const after = JSON.parse((await kzk(['status', 'zk', '-n', ns, '-o', 'json'])).stdout);
    assert.deepEqual(after.security.open, []);
    const finalIps = await Promise.all([0, 1, 2].map((i) => podIp(ns, `zk-${i}`)));
    for (const ip of finalIps) {
      const st = await adminFrom(other, 'outside', ip, '/commands/snapshot?streaming=true');
      assert.ok(st === 'refused' || st === 'timeout', `after: snapshot from outside on ${ip}: ${st}`);
      const inside = await adminFrom(ns, 'inside', ip, '/commands/restore');
      assert.ok(inside === 'refused' || inside === 'timeout', `after: restore from inside on ${ip}: ${inside}`);
    }
    const acl = await zkCliFrom(ns, 'inside', `zk.${ns}.svc.cluster.local:2181`, 'getAcl /');
    assert.match(acl, /: cdrw$/m, acl);
    const again = await kzk(['secure', 'zk', '-n', ns, '--yes']);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /already closed by default: nothing to change/);
  });
});
