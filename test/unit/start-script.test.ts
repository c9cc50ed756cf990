import assert from 'node:assert/strict';
import {spawnSync} from 'node:child_process';
import {chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {loadAssets} from '../../src/manifests/assets.js';
import {validateEnsembleOptions} from '../../src/manifests/options.js';
import {renderEnsemble} from '../../src/manifests/render.js';

/**
 * Runs the real start.sh (bash) from the rendered ConfigMap with a stand-in
 * zkServer.sh that records how it was called, to check myid handling and which
 * membership file a member starts from.
 */
function harness(opts: {leader?: string | null} = {}) {
  const leader = opts.leader === undefined ? 'zk-0' : opts.leader;
  const dir = mkdtempSync(path.join(tmpdir(), 'kzk-start-'));
  const o = validateEnsembleOptions({name: 'zk', namespace: 'ns', replicas: 3}).options;
  const cm = renderEnsemble(o, {superPassword: 'pw'}, loadAssets()).find((x) => x.kind === 'ConfigMap') as any;
  const scripts = path.join(dir, 'opt');
  mkdirSync(scripts);
  // as the ConfigMap volume mounts them: read-only (defaultMode 0555)
  for (const [k, v] of Object.entries(cm.data as Record<string, string>)) writeFileSync(path.join(scripts, k), v, {mode: 0o555});
  const bin = path.join(dir, 'bin');
  mkdirSync(bin);
  writeFileSync(path.join(bin, 'zkServer.sh'), '#!/usr/bin/env bash\necho "ARGS $*"\necho "JVM $SERVER_JVMFLAGS"\necho "HEAP $ZK_SERVER_HEAP"\n');
  chmodSync(path.join(bin, 'zkServer.sh'), 0o755);
  // Peer reachability for the empty-disk guard: a stand-in `timeout` answers the guard's probe of
  // a peer's quorum port (only a leader listens there) with "open" for the pod named `leader`,
  // "refused" for the others; every other use goes to the real timeout.
  writeFileSync(
    path.join(bin, 'timeout'),
    `#!/usr/bin/env bash\nif [[ "$*" == *"/dev/tcp/"* && "$*" == *"/2888"* ]]; then echo "PROBE $*" >> "${dir}/probes"; [[ -n "${leader ?? ''}" && "$*" == *"/dev/tcp/${leader ?? 'none'}."* ]]; exit; fi\nexec /usr/bin/timeout "$@"\n`,
  );
  chmodSync(path.join(bin, 'timeout'), 0o755);
  const data = path.join(dir, 'data');
  const run = (pod: string, timeoutMs?: number) =>
    spawnSync('bash', [path.join(scripts, 'start.sh')], {
      encoding: 'utf8',
      timeout: timeoutMs,
      env: {
        PATH: `${bin}:${process.env.PATH}`,
        POD_NAME: pod,
        ZK_DATA_DIR: data,
        ZK_HEAP_MB: '256',
        ZK_SUPER_DIGEST: 'super:abc=',
        ZK_STATIC_TEMPLATE: path.join(scripts, 'zoo.cfg'),
        ZK_BOOTSTRAP_DYNAMIC: path.join(scripts, 'zoo.cfg.dynamic'),
        ZK_MEMBERSHIP_VERSION_FILE: path.join(scripts, 'membership-version'),
        ZK_MEMBERSHIP_RESET_FILE: path.join(scripts, 'membership-reset'),
        ZOO_LOG_DIR: dir,
      },
    });
  return {dir, data, scripts, run};
}

describe('start.sh (the real script, with a stand-in zkServer.sh)', () => {
  it('first start: writes myid = ordinal + 1, the bootstrap membership and a static config pointing at it', () => {
    const h = harness();
    const r = h.run('zk-1');
    assert.equal(r.status, 0, r.stderr);
    assert.equal(readFileSync(path.join(h.data, 'myid'), 'utf8').trim(), '2');
    assert.match(r.stdout, new RegExp(`ARGS start-foreground ${h.data}/conf/zoo.cfg`));
    assert.match(r.stdout, /JVM -Xms256m -Xmx256m .*-Dzookeeper\.DigestAuthenticationProvider\.superDigest=super:abc=/);
    assert.match(r.stdout, /HEAP 256/);
    const cfg = readFileSync(path.join(h.data, 'conf', 'zoo.cfg'), 'utf8');
    assert.match(cfg, new RegExp(`^dataDir=${h.data}$`, 'm'));
    assert.match(cfg, new RegExp(`^dynamicConfigFile=${h.data}/conf/zoo.cfg.dynamic.bootstrap$`, 'm'));
    assert.match(cfg, /^reconfigEnabled=true$/m);
    assert.match(readFileSync(path.join(h.data, 'conf', 'zoo.cfg.dynamic.bootstrap'), 'utf8'), /^server\.2=zk-1\.zk-hs\.ns\.svc\.cluster\.local:2888:3888:participant;2181$/m);
  });

  it('refuses a volume that belongs to another member', () => {
    const h = harness();
    mkdirSync(h.data, {recursive: true});
    writeFileSync(path.join(h.data, 'myid'), '3\n');
    const r = h.run('zk-0');
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /holds myid 3 but this pod \(zk-0\) is member 1/);
    assert.doesNotMatch(r.stdout, /ARGS/);
  });

  it('restart: keeps the last committed membership ZooKeeper wrote, when it still lists this member', () => {
    const h = harness();
    assert.equal(h.run('zk-0').status, 0);
    // ZooKeeper committed a reconfig: new dynamic file, static file rewritten to point at it
    const conf = path.join(h.data, 'conf');
    writeFileSync(
      path.join(conf, 'zoo.cfg.dynamic.100000005'),
      'server.1=zk-0.zk-hs.ns.svc.cluster.local:2888:3888:participant;0.0.0.0:2181\nserver.2=zk-1.zk-hs.ns.svc.cluster.local:2888:3888:participant;0.0.0.0:2181\n',
    );
    writeFileSync(path.join(conf, 'zoo.cfg'), `tickTime=2000\ndataDir=${h.data}\ndynamicConfigFile=${conf}/zoo.cfg.dynamic.100000005\n`);
    const r = h.run('zk-0');
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /using the last committed membership zoo.cfg.dynamic.100000005/);
    const cfg = readFileSync(path.join(conf, 'zoo.cfg'), 'utf8');
    assert.match(cfg, /^dynamicConfigFile=.*zoo\.cfg\.dynamic\.100000005$/m);
    assert.match(cfg, /^initLimit=10$/m, 'settings come from the ConfigMap again');
    assert.equal(cfg.match(/^dynamicConfigFile=/gm)!.length, 1);
  });

  it('restart: falls back to the bootstrap membership when the committed one no longer lists this member', () => {
    const h = harness();
    assert.equal(h.run('zk-2').status, 0);
    const conf = path.join(h.data, 'conf');
    writeFileSync(path.join(conf, 'zoo.cfg.dynamic.100000009'), 'server.1=zk-0.zk-hs.ns.svc.cluster.local:2888:3888:participant;2181\n');
    writeFileSync(path.join(conf, 'zoo.cfg'), `dynamicConfigFile=${conf}/zoo.cfg.dynamic.100000009\n`);
    const r = h.run('zk-2');
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /does not list server\.3; using the bootstrap membership/);
  });

  it('a pod the bootstrap membership does not list is told to use kubectl zk scale', () => {
    const h = harness();
    const r = h.run('zk-5');
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /does not list server\.6; add this member with 'kubectl zk scale'/);
  });

  describe("stale-config rule: the on-disk membership must not be older than the ConfigMap's membership-version", () => {
    const member = (id: number, role = 'participant') => `server.${id}=zk-${id - 1}.zk-hs.ns.svc.cluster.local:2888:3888:${role};0.0.0.0:2181`;
    /** zk-1 ran once, then ZooKeeper committed config `version` listing `ids`; the ConfigMap now says `cm` (membership-version `required`). */
    function restartWith(o: {version: string; ids: number[]; required?: string; cm?: number[]}) {
      const h = harness();
      assert.equal(h.run('zk-1').status, 0);
      const conf = path.join(h.data, 'conf');
      const file = path.join(conf, `zoo.cfg.dynamic.${o.version}`);
      writeFileSync(file, o.ids.map((i) => member(i)).join('\n') + `\nversion=${o.version}\n`);
      writeFileSync(path.join(conf, 'zoo.cfg'), `tickTime=2000\ndataDir=${h.data}\ndynamicConfigFile=${file}\n`);
      if (o.cm) writeFileSync(path.join(h.scripts, 'zoo.cfg.dynamic'), o.cm.map((i) => member(i)).join('\n') + '\n');
      if (o.required !== undefined) writeFileSync(path.join(h.scripts, 'membership-version'), o.required);
      const r = h.run('zk-1');
      const cfg = readFileSync(path.join(conf, 'zoo.cfg'), 'utf8');
      const used = /^dynamicConfigFile=(.*)$/m.exec(cfg)![1]!;
      return {r, used: path.basename(used), usedText: readFileSync(used, 'utf8')};
    }

    it('absent membership-version: no constraint (the on-disk config that lists this member wins, as before)', () => {
      const {r, used} = restartWith({version: '100000003', ids: [1, 2, 3]});
      assert.equal(r.status, 0, r.stderr);
      assert.equal(used, 'zoo.cfg.dynamic.100000003');
      assert.match(r.stderr, /using the last committed membership zoo\.cfg\.dynamic\.100000003$/m);
    });

    it('empty membership-version: no constraint', () => {
      const {r, used} = restartWith({version: '100000003', ids: [1, 2, 3], required: '\n'});
      assert.equal(r.status, 0, r.stderr);
      assert.equal(used, 'zoo.cfg.dynamic.100000003');
    });

    it('on-disk version equal to or newer than membership-version: kept (a member restarting after a scale)', () => {
      for (const [version, required] of [
        ['200000004', '200000004'],
        ['200000009', '200000004'],
        ['300000001', '2ffffffff'],
        ['10000000a', '0x100000009'],
      ]) {
        const {r, used} = restartWith({version: version!, ids: [1, 2, 3], required, cm: [1, 2, 3, 4]});
        assert.equal(r.status, 0, r.stderr);
        assert.equal(used, `zoo.cfg.dynamic.${version}`, `${version} vs ${required}`);
        assert.match(
          r.stderr,
          new RegExp(`using the last committed membership zoo\\.cfg\\.dynamic\\.${version} \\(version ${version}, ConfigMap membership-version ${required!.replace(/^0x/, '')}\\)`),
        );
      }
    });

    it("on-disk version older than membership-version although it lists this member: discarded, the ConfigMap's membership used, and the log says why", () => {
      // a volume kept from an earlier scale-down: its config lists servers 1-3 as they were long ago
      for (const [version, required] of [
        ['100000003', '200000004'],
        ['ffffffff', '100000000'],
        ['1fffffffe', '1ffffffff'],
      ]) {
        const {r, used, usedText} = restartWith({version: version!, ids: [1, 2, 3], required, cm: [1, 2]});
        assert.equal(r.status, 0, r.stderr);
        assert.equal(used, 'zoo.cfg.dynamic.bootstrap', `${version} vs ${required}`);
        assert.equal(usedText, `${member(1)}\n${member(2)}\n`);
        assert.match(
          r.stderr,
          new RegExp(`discarding the membership on the volume, zoo\\.cfg\\.dynamic\\.${version} \\(version ${version}\\): older than the ConfigMap's membership-version ${required}`),
        );
      }
    });

    it("the .bootstrap copy counts as version 0: replaced by the ConfigMap's membership once a scale recorded a version", () => {
      const h = harness();
      assert.equal(h.run('zk-1').status, 0);
      writeFileSync(path.join(h.scripts, 'zoo.cfg.dynamic'), `${member(1)}\n${member(2)}\n${member(3)}\n${member(4)}\n`);
      writeFileSync(path.join(h.scripts, 'membership-version'), '100000002');
      const r = h.run('zk-1');
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stderr, /discarding the membership on the volume, zoo\.cfg\.dynamic\.bootstrap \(version 0\)/);
      assert.match(readFileSync(path.join(h.data, 'conf', 'zoo.cfg.dynamic.bootstrap'), 'utf8'), /^server\.4=/m);
    });

    it('stale on-disk config, and the ConfigMap does not list this member either: refuses, pointing at kubectl zk scale', () => {
      const {r} = restartWith({version: '100000003', ids: [1, 2, 3], required: '200000007', cm: [1]});
      assert.notEqual(r.status, 0);
      assert.match(r.stderr, /discarding the membership on the volume/);
      assert.match(r.stderr, /does not list server\.2; add this member with 'kubectl zk scale'/);
    });

    it('a membership-version that is not hex is ignored (no constraint), with a log line', () => {
      const {r, used} = restartWith({version: '100000003', ids: [1, 2, 3], required: 'v12'});
      assert.equal(r.status, 0, r.stderr);
      assert.equal(used, 'zoo.cfg.dynamic.100000003');
      assert.match(r.stderr, /ignoring membership-version 'v12': not a hex version/);
    });
  });

  it('a volume kept from an earlier life of the ordinal rejoins: read-only bootstrap copied again, old data moved aside (not deleted)', () => {
    const h = harness();
    assert.equal(h.run('zk-1').status, 0);
    const conf = path.join(h.data, 'conf');
    // the member was removed: ZooKeeper rewrote its membership without it, at version 100000004
    writeFileSync(path.join(conf, 'zoo.cfg.dynamic.100000004'), 'server.1=zk-0.zk-hs.ns.svc.cluster.local:2888:3888:participant;2181\n');
    writeFileSync(path.join(conf, 'zoo.cfg'), `dynamicConfigFile=${conf}/zoo.cfg.dynamic.100000004\n`);
    mkdirSync(path.join(h.data, 'version-2'));
    writeFileSync(path.join(h.data, 'version-2', 'log.100000001'), 'old txns');
    // later kubectl zk scale re-adds it: the ConfigMap lists it again, recorded at membership-version 200000009
    chmodSync(path.join(h.scripts, 'membership-version'), 0o644);
    writeFileSync(path.join(h.scripts, 'membership-version'), '200000009\n');
    const r = h.run('zk-1');
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /moved the data from the earlier membership \(version 100000004\) aside to version-2\.stale-100000004-\d+/);
    const kept = readdirSync(h.data).find((f) => f.startsWith('version-2.stale-100000004-'))!;
    assert.equal(readFileSync(path.join(h.data, kept, 'log.100000001'), 'utf8'), 'old txns');
    assert.ok(!existsSync(path.join(h.data, 'version-2')));
    assert.match(readFileSync(path.join(conf, 'zoo.cfg'), 'utf8'), /^dynamicConfigFile=.*zoo\.cfg\.dynamic\.bootstrap$/m);
    // and a restart that again falls back to the bootstrap copy (read-only source) still works
    writeFileSync(path.join(conf, 'zoo.cfg'), `dynamicConfigFile=${conf}/zoo.cfg.dynamic.100000004\n`);
    const again = h.run('zk-1');
    assert.equal(again.status, 0, again.stderr);
  });

  describe('empty-disk guard: a voter with an empty data directory waits for a leader once the ensemble has run', () => {
    const ran = (h: ReturnType<typeof harness>) => {
      chmodSync(path.join(h.scripts, 'membership-version'), 0o644);
      writeFileSync(path.join(h.scripts, 'membership-version'), '100000000\n');
    };

    it('no leader among the peers: it does not start ZooKeeper, it waits (and says why)', () => {
      const h = harness({leader: null});
      ran(h);
      const r = h.run('zk-1', 5000);
      assert.equal(r.signal, 'SIGTERM', 'still waiting when the test stops it');
      assert.doesNotMatch(r.stdout, /ARGS/);
      assert.match(r.stderr, /data directory is empty but this member is a voter of an ensemble that has run \(membership-version 100000000\): waiting for a leader/);
      assert.match(r.stderr, /no peer leads yet \(waited 0s\)/);
      const probes = readFileSync(path.join(h.dir, 'probes'), 'utf8');
      assert.match(probes, /zk-0\.zk-hs\.ns\.svc\.cluster\.local\/2888/);
      assert.match(probes, /zk-2\.zk-hs\.ns\.svc\.cluster\.local\/2888/);
      assert.doesNotMatch(probes, /zk-1\./, 'never itself');
    });

    it('a leader on the last line of a membership file without a final newline (as ZooKeeper writes it) is found', () => {
      const h = harness({leader: 'zk-2'});
      ran(h);
      assert.equal(h.run('zk-0').status, 0);
      const conf = path.join(h.data, 'conf');
      const file = path.join(conf, 'zoo.cfg.dynamic.100000000');
      writeFileSync(file, [0, 1, 2].map((i) => `server.${i + 1}=zk-${i}.zk-hs.ns.svc.cluster.local:2888:3888:participant;0.0.0.0:2181`).join('\n'));
      writeFileSync(path.join(conf, 'zoo.cfg'), `dynamicConfigFile=${file}\n`);
      const r = h.run('zk-0', 20_000);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stderr, /zk-2\.zk-hs\.ns\.svc\.cluster\.local leads: joining it/);
    });

    it('a peer leads: it starts and joins that leader', () => {
      const h = harness({leader: 'zk-2'});
      ran(h);
      const r = h.run('zk-0', 20_000);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stderr, /zk-2\.zk-hs\.ns\.svc\.cluster\.local leads: joining it/);
      assert.match(r.stdout, /ARGS start-foreground/);
    });

    it('no guard: data on the disk, an ensemble that never ran (first create), or an observer', () => {
      const withData = harness({leader: null});
      ran(withData);
      mkdirSync(path.join(withData.data, 'version-2'), {recursive: true});
      writeFileSync(path.join(withData.data, 'version-2', 'snapshot.100000000'), 'snap');
      assert.equal(withData.run('zk-1', 20_000).status, 0);
      const fresh = harness({leader: null});
      const r = fresh.run('zk-1', 20_000);
      assert.equal(r.status, 0, r.stderr);
      assert.doesNotMatch(r.stderr, /waiting for a leader/);
      const observer = harness({leader: null});
      ran(observer);
      chmodSync(path.join(observer.scripts, 'zoo.cfg.dynamic'), 0o644);
      writeFileSync(
        path.join(observer.scripts, 'zoo.cfg.dynamic'),
        ['server.1=zk-0.zk-hs.ns.svc.cluster.local:2888:3888:participant;2181', 'server.2=zk-1.zk-hs.ns.svc.cluster.local:2888:3888:observer;2181'].join('\n') + '\n',
      );
      assert.equal(observer.run('zk-1', 20_000).status, 0);
    });
  });
  describe('restore-quorum: the member a membership-reset names restarts as the only voter, once per token', () => {
    const member = (id: number) => `server.${id}=zk-${id - 1}.zk-hs.ns.svc.cluster.local:2888:3888:participant;0.0.0.0:2181`;
    /** zk-0 ran in a 3-member ensemble (committed config 100000000, data on the disk); the quorum is lost and restore-quorum wrote the ConfigMap. */
    function survivor(o: {reset: string; data?: boolean}) {
      const h = harness();
      assert.equal(h.run('zk-0').status, 0);
      const conf = path.join(h.data, 'conf');
      const file = path.join(conf, 'zoo.cfg.dynamic.100000000');
      writeFileSync(file, [1, 2, 3].map(member).join('\n'));
      writeFileSync(path.join(conf, 'zoo.cfg'), `dataDir=${h.data}\ndynamicConfigFile=${file}\n`);
      if (o.data !== false) {
        mkdirSync(path.join(h.data, 'version-2'));
        writeFileSync(path.join(h.data, 'version-2', 'log.100000001'), 'x');
      }
      writeFileSync(path.join(h.scripts, 'zoo.cfg.dynamic'), `${member(1)}\n`);
      writeFileSync(path.join(h.scripts, 'membership-version'), '');
      writeFileSync(path.join(h.scripts, 'membership-reset'), o.reset);
      const used = () => /^dynamicConfigFile=(.*)$/m.exec(readFileSync(path.join(conf, 'zoo.cfg'), 'utf8'))![1]!;
      return {h, conf, used};
    }

    it('the survivor starts from the ConfigMap membership (itself alone), keeps its data, and records the token', () => {
      const {h, conf, used} = survivor({reset: '1 tok-a\n'});
      const r = h.run('zk-0');
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stderr, /restore-quorum \(token tok-a\): restarting as the only voter/);
      assert.equal(path.basename(used()), 'zoo.cfg.dynamic.restored');
      assert.equal(readFileSync(used(), 'utf8'), `${member(1)}\n`);
      assert.equal(readFileSync(path.join(conf, 'membership-reset.applied'), 'utf8').trim(), 'tok-a');
      assert.ok(existsSync(path.join(h.data, 'version-2', 'log.100000001')), 'the data stays');
    });

    it('a restart after the reset keeps the restored membership even once a newer version is published, and does not reset again', () => {
      const {h, conf, used} = survivor({reset: '1 tok-b'});
      assert.equal(h.run('zk-0').status, 0);
      // restore-quorum published the survivor's committed config (a new epoch) and joiners; ZooKeeper has not rewritten its files yet
      writeFileSync(path.join(h.scripts, 'membership-version'), '200000000');
      writeFileSync(path.join(h.scripts, 'zoo.cfg.dynamic'), `${member(1)}\n${member(2)}\n`);
      const r = h.run('zk-0');
      assert.equal(r.status, 0, r.stderr);
      assert.doesNotMatch(r.stderr, /restarting as the only voter/);
      assert.match(r.stderr, /using the membership restore-quorum set/);
      assert.equal(readFileSync(used(), 'utf8'), `${member(1)}\n`, 'not the ConfigMap joiner membership');
      assert.deepEqual(
        readdirSync(h.data).filter((f) => f.startsWith('version-2')),
        ['version-2'],
        'no data moved aside',
      );
      // after ZooKeeper's first reconfig its own file wins again
      const zkFile = path.join(conf, 'zoo.cfg.dynamic.200000003');
      writeFileSync(zkFile, `${member(1)}\n${member(2)}`);
      writeFileSync(path.join(conf, 'zoo.cfg'), `dataDir=${h.data}\ndynamicConfigFile=${zkFile}\n`);
      assert.equal(h.run('zk-0').status, 0);
      assert.equal(path.basename(used()), 'zoo.cfg.dynamic.200000003');
    });

    it('an empty data directory is never made the only voter', () => {
      const {h} = survivor({reset: '1 tok-c', data: false});
      const r = h.run('zk-0');
      assert.notEqual(r.status, 0);
      assert.match(r.stderr, /names this member \(zk-0\) as the survivor but its data directory is empty/);
      assert.doesNotMatch(r.stdout, /ARGS/);
    });

    it('a reset that names another member changes nothing here', () => {
      const {h, used} = survivor({reset: '2 tok-d'});
      const r = h.run('zk-0');
      assert.equal(r.status, 0, r.stderr);
      assert.equal(path.basename(used()), 'zoo.cfg.dynamic.100000000');
      assert.doesNotMatch(r.stderr, /restore-quorum/);
    });
  });
});
