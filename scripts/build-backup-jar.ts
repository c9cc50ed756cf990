/**
 * `npm run build:backup-jar`: manifests/backup/backup.jar, the scheduled
 * backup's program (manifests/backup/Backup.java) compiled with
 * `javac --release 11` against the pinned ZooKeeper 3.9 client
 * (scripts/ensure-zookeeper.sh). The CronJob runs it as a class
 * (`java -cp backup.jar:lib/* Backup`), so the image's Java needs no
 * jdk.compiler module (an eclipse-temurin JRE has none; the source launcher
 * needs it).
 *
 * The jar is committed: building, packaging and the e2e tests need no JDK. It
 * is reproducible: entries stored (not deflated), sorted, dated 1980-01-01, and
 * META-INF/kubectl-zk.json names the source's sha256 and the javac that made
 * it. test/unit/backup-jar.test.ts checks that hash against Backup.java;
 * test/integration/backup-java.test.ts recompiles and compares the classes.
 */
import {spawnSync} from 'node:child_process';
import {createHash} from 'node:crypto';
import {mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join, resolve} from 'node:path';
import {crc32} from 'node:zlib';

export const REPO = resolve(import.meta.dirname, '..');
export const SOURCE = join(REPO, 'manifests', 'backup', 'Backup.java');
export const JAR = join(REPO, 'manifests', 'backup', 'backup.jar');
export const INFO_ENTRY = 'META-INF/kubectl-zk.json';
export const RELEASE = '11';

export interface JarInfo {
  source: string;
  sourceSha256: string;
  javac: string;
  release: string;
}

export interface ZipEntry {
  name: string;
  data: Buffer;
}

export const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

/** DOS date 1980-01-01 (day 1, month 1, year 0), time 00:00:00. */
const DOS_DATE = (1 << 5) | 1;

/** A zip of stored (uncompressed) entries, in the given order: same entries, same bytes. */
export function storedZip(entries: ZipEntry[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name, 'utf8');
    const crc = crc32(e.data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(10, 4); // version needed
    local.writeUInt16LE(0x0800, 6); // names are UTF-8
    local.writeUInt16LE(0, 8); // stored
    local.writeUInt16LE(0, 10);
    local.writeUInt16LE(DOS_DATE, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(e.data.length, 18);
    local.writeUInt32LE(e.data.length, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(0, 28);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(10, 4); // made by
    local.copy(central, 6, 4, 30); // version needed .. name length, as in the local header
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, e.data);
    centrals.push(central, name);
    offset += local.length + name.length + e.data.length;
  }
  const dir = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(dir.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, dir, end]);
}

/** The entries of a zip storedZip wrote (or any zip of stored entries without extras); throws on anything else. */
export function readStoredZip(zip: Buffer): ZipEntry[] {
  const out: ZipEntry[] = [];
  let at = 0;
  while (zip.readUInt32LE(at) === 0x04034b50) {
    if (zip.readUInt16LE(at + 8) !== 0) throw new Error('zip: a compressed entry');
    const size = zip.readUInt32LE(at + 18);
    const nameLen = zip.readUInt16LE(at + 26);
    const start = at + 30 + nameLen + zip.readUInt16LE(at + 28);
    const data = zip.subarray(start, start + size);
    if (crc32(data) !== zip.readUInt32LE(at + 14)) throw new Error('zip: CRC mismatch');
    out.push({name: zip.toString('utf8', at + 30, at + 30 + nameLen), data: Buffer.from(data)});
    at = start + size;
  }
  if (zip.readUInt32LE(at) !== 0x02014b50) throw new Error('zip: no central directory after the entries');
  return out;
}

function run(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, {encoding: 'utf8'});
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}:\n${r.stderr}${r.stdout}`);
  return `${r.stdout}${r.stderr}`;
}

/** Backup.java compiled by `javac --release 11`: class file name → bytes, sorted by name. */
export function compileBackup(javac: string, classpath: string): {javac: string; classes: ZipEntry[]} {
  const out = mkdtempSync(join(tmpdir(), 'kzk-backup-jar-'));
  try {
    const version = run(javac, ['-version'])
      .trim()
      .replace(/^javac /, '');
    run(javac, ['--release', RELEASE, '-encoding', 'UTF-8', '-Xlint:all', '-Werror', '-cp', classpath, '-d', out, SOURCE]);
    const names = readdirSync(out)
      .filter((f) => f.endsWith('.class'))
      .sort();
    return {javac: version, classes: names.map((name) => ({name, data: readFileSync(join(out, name))}))};
  } finally {
    rmSync(out, {recursive: true, force: true});
  }
}

/** The jar: META-INF/kubectl-zk.json, then the classes. */
export function backupJar(classes: ZipEntry[], javac: string, source = readFileSync(SOURCE)): Buffer {
  const info: JarInfo = {source: 'manifests/backup/Backup.java', sourceSha256: sha256(source), javac, release: RELEASE};
  return storedZip([{name: INFO_ENTRY, data: Buffer.from(`${JSON.stringify(info, null, 1)}\n`)}, ...classes]);
}

export function jarInfo(jar: Buffer): JarInfo {
  const e = readStoredZip(jar).find((x) => x.name === INFO_ENTRY);
  if (!e) throw new Error(`backup.jar has no ${INFO_ENTRY}`);
  return JSON.parse(e.data.toString('utf8')) as JarInfo;
}

/** javac next to $JAVA_HOME's java, else the one on PATH; the ZooKeeper 3.9 client from ensure-zookeeper.sh. */
export function toolchain(): {javac: string; classpath: string} {
  const kv = Object.fromEntries(
    run('bash', [join(REPO, 'scripts', 'ensure-zookeeper.sh')])
      .split('\n')
      .filter((l) => /^[A-Z_]+=/.test(l))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
  const javac = process.env['JAVA_HOME'] ? join(process.env['JAVA_HOME'], 'bin', 'javac') : kv['JAVA'] ? join(kv['JAVA'], '..', 'javac') : 'javac';
  if (!kv['ZK_CLASSPATH']) throw new Error('scripts/ensure-zookeeper.sh printed no ZK_CLASSPATH');
  return {javac, classpath: kv['ZK_CLASSPATH']};
}

if (process.argv[1] && import.meta.filename === process.argv[1]) {
  try {
    const {javac, classpath} = toolchain();
    const built = compileBackup(javac, classpath);
    const jar = backupJar(built.classes, built.javac);
    writeFileSync(JAR, jar);
    process.stdout.write(`manifests/backup/backup.jar: ${jar.length} bytes, ${built.classes.map((c) => c.name).join(' ')} (javac ${built.javac} --release ${RELEASE})\n`);
  } catch (err) {
    process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  }
}
