import assert from 'node:assert/strict';
import {readFileSync} from 'node:fs';
import {backupJar, INFO_ENTRY, JAR, jarInfo, readStoredZip, RELEASE, sha256, SOURCE, storedZip} from '../../scripts/build-backup-jar.js';
import {loadAssets} from '../../src/manifests/assets.js';

/**
 * manifests/backup/backup.jar, the committed build of Backup.java that the
 * scheduled backup's CronJob runs: made from the Backup.java in the tree (its
 * recorded source hash), classes for Java 11, and the asset the ConfigMap
 * carries. (test/integration/backup-java.test.ts recompiles it with javac and
 * compares the class bytes.)
 */
describe('backup.jar (the precompiled scheduled-backup program)', () => {
  const jar = readFileSync(JAR);

  it('was built from the Backup.java in the tree (else: npm run build:backup-jar)', () => {
    const info = jarInfo(jar);
    assert.equal(info.sourceSha256, sha256(readFileSync(SOURCE)), 'manifests/backup/Backup.java changed since backup.jar was built: run npm run build:backup-jar');
    assert.equal(info.release, RELEASE);
  });

  it('holds the class Backup and its nested classes, all class files for Java 11 (major version 55)', () => {
    const entries = readStoredZip(jar);
    assert.equal(entries[0]!.name, INFO_ENTRY);
    const classes = entries.slice(1);
    assert.ok(
      classes.some((c) => c.name === 'Backup.class'),
      classes.map((c) => c.name).join(' '),
    );
    for (const c of classes) {
      assert.match(c.name, /^Backup(\$\w+)*\.class$/);
      assert.equal(c.data.readUInt32BE(0), 0xcafebabe, c.name);
      assert.equal(c.data.readUInt16BE(6), 55, `${c.name}: class file major version`);
    }
  });

  it('rebuilding from the same classes gives the same bytes (reproducible)', () => {
    const entries = readStoredZip(jar);
    assert.deepEqual(backupJar(entries.slice(1), jarInfo(jar).javac), jar);
  });

  it('the stored zip reads back entry for entry, and a corrupted entry is refused', () => {
    const entries = [
      {name: 'a.txt', data: Buffer.from('alpha')},
      {name: 'dir/\u00e9.bin', data: Buffer.from([0, 1, 2, 255])},
      {name: 'empty', data: Buffer.alloc(0)},
    ];
    const zip = storedZip(entries);
    assert.deepEqual(readStoredZip(zip), entries);
    const bad = Buffer.from(zip);
    const at = 30 + 'a.txt'.length; // the first byte of the first entry's data
    bad.writeUInt8(bad.readUInt8(at) ^ 1, at);
    assert.throws(() => readStoredZip(bad), /CRC/);
  });

  it('is the asset the ConfigMap carries (base64 of the file)', () => {
    assert.deepEqual(Buffer.from(loadAssets()['backup/backup.jar'], 'base64'), jar);
  });
});
