import assert from 'node:assert/strict';
import {execFileSync} from 'node:child_process';
import {readFileSync} from 'node:fs';
import {join, resolve} from 'node:path';
import {renderVersion, versionInfo} from '../../src/commands/version.js';
import {versionFromImage} from '../../src/manifests/labels.js';
import {DEFAULT_IMAGE, DEFAULT_ZOOKEEPER_VERSION} from '../../src/manifests/options.js';

const REPO = resolve(import.meta.dirname, '../..');

/** The <zookeeper.version> a line's pom pins (scripts/zookeeper/<line>/pom.xml). */
function pinnedVersion(line: string): string {
  const pom = readFileSync(join(REPO, 'scripts/zookeeper', line, 'pom.xml'), 'utf8');
  const m = /<zookeeper\.version>([^<]+)<\/zookeeper\.version>/.exec(pom);
  assert.ok(m?.[1], `no <zookeeper.version> in scripts/zookeeper/${line}/pom.xml`);
  return m[1];
}

describe('the default ZooKeeper image is the tested one', () => {
  it('the default version is the version pinned for the 3.9 line', () => {
    assert.equal(DEFAULT_ZOOKEEPER_VERSION, pinnedVersion('3.9'));
  });

  it('the default image is the official image at that version', () => {
    assert.equal(DEFAULT_IMAGE, `zookeeper:${pinnedVersion('3.9')}`);
    assert.equal(versionFromImage(DEFAULT_IMAGE), DEFAULT_ZOOKEEPER_VERSION);
  });

  it('the test cluster builds and exports the default image (lib.sh ZK_IMAGE), and a 3.8 one', () => {
    const out = execFileSync('bash', ['-c', 'source test/cluster/lib.sh && printf "%s\\n%s\\n" "$ZK_IMAGE" "$ZK_IMAGE_38"'], {
      cwd: REPO,
      encoding: 'utf8',
      env: {...process.env, KZK_CACHE: '/nonexistent'},
    });
    const [zk39, zk38] = out.trim().split('\n');
    // containerd and kubelet read `zookeeper:<tag>` as docker.io/library/zookeeper:<tag>
    assert.equal(zk39, `docker.io/library/${DEFAULT_IMAGE}`);
    assert.equal(zk38, `docker.io/library/zookeeper:${pinnedVersion('3.8')}`);
    assert.match(pinnedVersion('3.8'), /^3\.8\.\d+$/);
  });

  it('every pinned line has a committed sha256 for each jar', () => {
    for (const line of ['3.8', '3.9']) {
      const sums = readFileSync(join(REPO, 'scripts/zookeeper', line, 'jars.sha256'), 'utf8')
        .trim()
        .split('\n');
      const v = pinnedVersion(line);
      for (const l of sums) assert.match(l, /^[0-9a-f]{64} {2}[\w.-]+\.jar$/, l);
      for (const jar of [`zookeeper-${v}.jar`, `zookeeper-jute-${v}.jar`]) {
        assert.ok(
          sums.some((l) => l.endsWith(`  ${jar}`)),
          `${line}/jars.sha256 lists ${jar}`,
        );
      }
      for (const lib of [
        'jetty-server-9.4.',
        'jetty-servlet-9.4.',
        'javax.servlet-api-',
        'logback-classic-',
        'netty-handler-',
        'netty-transport-native-epoll-',
        'jackson-databind-',
        'simpleclient_servlet-',
      ]) {
        assert.ok(
          sums.some((l) => l.includes(`  ${lib}`)),
          `${line}/jars.sha256 lists ${lib}*`,
        );
      }
    }
  });

  it('`version` reports the default ZooKeeper version', () => {
    const v = versionInfo('0.0.0');
    assert.equal(v.defaultZookeeperVersion, DEFAULT_ZOOKEEPER_VERSION);
    assert.equal(v.defaultImage, DEFAULT_IMAGE);
    assert.match(renderVersion(v), new RegExp(`^default ZooKeeper: +${DEFAULT_ZOOKEEPER_VERSION.replaceAll('.', '\\.')} \\(image ${DEFAULT_IMAGE}\\)$`, 'm'));
  });
});
