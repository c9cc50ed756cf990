/**
 * A real multi-process ZooKeeper ensemble on loopback for integration tests:
 * Apache's released jars of the pinned line (3.9 by default, KZK_ZK_VERSION=3.8
 * for the other) on OpenJDK 17 (scripts/ensure-zookeeper.sh),
 * one JVM per server, reconfigEnabled, standaloneEnabled=false, dynamic
 * config files, AdminServer on, 4lw whitelist, a super digest user. Never
 * skipACL.
 *
 * Cleanup, in layers: stopAll() (call it from an after hook) kills the JVMs
 * and removes the temp dir; a process 'exit' hook kills them if a run ends
 * without it; a detached watchdog shell kills them (and removes the temp
 * dir) when the test process dies hard (SIGKILL, crash). JVMs are also
 * started through `setpriv --pdeathsig KILL` where present, but on this
 * project's VMs the parent-death signal was not delivered (tested), so the
 * watchdog is what counts.
 */
import {execFileSync, spawn, type ChildProcess} from 'node:child_process';
import {randomBytes, randomInt} from 'node:crypto';
import {existsSync, mkdirSync, mkdtempSync, openSync, closeSync, readlinkSync, renameSync, rmSync, symlinkSync, writeFileSync, readdirSync, readFileSync} from 'node:fs';
import {createServer} from 'node:net';
import {tmpdir} from 'node:os';
import {dirname, join, resolve} from 'node:path';
import {tlsJvmFlags, tlsZooCfg} from '../../../src/manifests/tls.js';
import {clientCertificate, makeCa, memberAltNames, memberServerName, PLUGIN_USER} from '../../../src/tls/ensemble.js';
import {issueCertificate, type KeyPair} from '../../../src/tls/x509.js';
import {digestAuth, ensembleStatus, formatServerLine, readConfig, superDigest, summarize, type AuthInfo, type Endpoint, type ServerRole} from '../../support/zk.js';

const REPO = resolve(import.meta.dirname, '../../..');

export interface ZkRuntime {
  java: string;
  classpath: string;
  version: string;
  /** logback configuration file (console at INFO) */
  logback: string;
}

/**
 * Run scripts/ensure-zookeeper.sh (installs when missing) and read its KEY=VALUE output.
 * line: "3.9" or "3.8" (default: $KZK_ZK_VERSION, else the 3.9 line).
 */
export function zkRuntime(line?: string): ZkRuntime {
  const out = execFileSync('bash', [join(REPO, 'scripts/ensure-zookeeper.sh')], {
    env: line ? {...process.env, KZK_ZK_VERSION: line} : process.env,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    timeout: 590_000,
  });
  const kv: Record<string, string> = {};
  for (const line of out.split('\n')) {
    const i = line.indexOf('=');
    if (i > 0) kv[line.slice(0, i)] = line.slice(i + 1);
  }
  const java = kv['JAVA'];
  const classpath = kv['ZK_CLASSPATH'];
  const logback = kv['ZK_LOGBACK'];
  if (!java || !classpath || !logback) throw new Error(`ensure-zookeeper.sh printed no JAVA/ZK_CLASSPATH/ZK_LOGBACK:\n${out}`);
  return {java, classpath, version: kv['ZK_VERSION'] ?? 'unknown', logback};
}

/**
 * Free loopback TCP ports below the kernel's ephemeral range, all held open until every one is
 * chosen. Below that range because a port the kernel handed out by bind(0) can be taken again
 * by any outgoing connection (every srvr probe opens one) while its server is down between a
 * kill and a restart; the restarted server then cannot bind it and exits.
 */
export async function freePorts(n: number): Promise<number[]> {
  const [lowest] = ephemeralRange();
  const held: import('node:net').Server[] = [];
  const ports: number[] = [];
  try {
    for (let tries = 0; ports.length < n; tries++) {
      if (tries > 1000) throw new Error(`no ${n} free loopback ports below ${lowest}`);
      const port = PORT_FLOOR + randomInt(lowest - PORT_FLOOR);
      if (handedOut.has(port)) continue;
      const s = await listenOn(port);
      if (!s) continue;
      held.push(s);
      ports.push(port);
    }
  } finally {
    await Promise.all(held.map((s) => new Promise<void>((r) => s.close(() => r()))));
  }
  for (const p of ports) handedOut.add(p);
  return ports;
}

const PORT_FLOOR = 20_000;
/** Ports this test process already gave out (two ensembles alive at once never share one). */
const handedOut = new Set<number>();

function ephemeralRange(): [number, number] {
  try {
    const [lo, hi] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (lo && hi && lo > PORT_FLOOR + 1000) return [lo, hi];
  } catch {
    // not Linux: the usual default
  }
  return [32_768, 60_999];
}

function listenOn(port: number): Promise<import('node:net').Server | undefined> {
  return new Promise((res) => {
    const s = createServer();
    s.once('error', () => res(undefined));
    s.listen(port, '127.0.0.1', () => res(s));
  });
}

export interface ZkServer {
  readonly id: number;
  readonly clientPort: number;
  readonly quorumPort: number;
  readonly electionPort: number;
  readonly adminPort: number;
  role: ServerRole;
  readonly endpoint: Endpoint;
  readonly adminEndpoint: Endpoint;
  /** With tls: the secure client port (TLS only; the plain one stays on loopback, as in a pod). */
  readonly secureEndpoint: Endpoint | undefined;
  readonly dir: string;
  readonly logPath: string;
  /** undefined while not running. */
  readonly pid: number | undefined;
  readonly running: boolean;
  /** The ZooKeeper this server runs at its next start() (a rolling upgrade swaps it while stopped). */
  runtime: ZkRuntime;
  /** This server's dynamic-config line. */
  serverLine(role?: ServerRole): string;
  /** Send a signal (default SIGKILL); does not wait. */
  kill(signal?: NodeJS.Signals): void;
  /** Spawn the JVM with the config files as they are now (ZooKeeper may have rewritten them). */
  start(): Promise<void>;
  /** SIGTERM, wait for exit; SIGKILL after timeoutMs. */
  stop(timeoutMs?: number): Promise<void>;
  /** Resolves with the exit code/signal once the process has exited. */
  exited(): Promise<void>;
  /** The text of the server's current dynamic config file. */
  dynamicConfigText(): string;
  /** Removes its snapshots and transaction logs (a lost disk); only while stopped. */
  wipeData(): void;
  /** Writes zoo.cfg and a fresh dynamic file with these server lines (a rewritten membership); only while stopped. */
  writeConfig(dynamicLines: string[]): void;
  /** With tls: the key store (key + certificate PEM) and trust store files the server reads. */
  readonly tlsFiles?: {keyStore: string; trustStore: string};
  /**
   * With tls: new contents for the key store and trust store, written as a
   * Secret volume update (tlsSecretVolume: a new timestamped directory and an
   * atomic rename of ..data) or as the rename of a new regular file over each.
   */
  writeTls(files: {memberPem: string; caPem: string}): void;
  /** A member certificate for this server from `ca` (its names, as at start). */
  issueMemberCertificate(ca: KeyPair): KeyPair;
  /**
   * With tls: replaces zoo.cfg's TLS section with `tlsCfg(trustStore, securePort)` ('' for none),
   * keeping the rest (and the dynamic file ZooKeeper points at); only while stopped (tls enable's rolls).
   */
  rewriteTls(tlsCfg: TlsCfg): void;
  /** The host of the plain client endpoint (a reconfig may move the plain port to another loopback address). */
  plainHost: string;
}

/** The zoo.cfg TLS section of a server with tls (default: create --tls's tlsZooCfg). */
export type TlsCfg = (trustStore: string, secureClientPort: number) => string;
const TLS_LINE = /^(serverCnxnFactory|secureClientPort|ssl\.|sslQuorum|portUnification|# )/;

export interface StartOptions {
  size: number;
  /** How many of the servers (the highest ids) start as observers. Default 0. */
  observers?: number;
  tickTimeMs?: number;
  heapMb?: number;
  /** Keep temp dirs after stopAll (also env KZK_KEEP_ZK_DIRS=1). */
  keepDirs?: boolean;
  /** The ZooKeeper to run (default: zkRuntime()). */
  runtime?: ZkRuntime;
  quorumTimeoutMs?: number;
  /**
   * The settings of create --tls (manifests/tls.ts): a secure client port, TLS
   * quorum, certificates from a CA of the ensemble's own whose names are those
   * of a member of ensemble "zk" in namespace "it" plus 127.0.0.1 (the peers
   * dial each other by that address here, and check it).
   */
  tls?: boolean;
  /**
   * With tls: the certificate files laid out as the kubelet lays out a Secret
   * volume (tls/..data → tls/..<timestamp>/, each file a symlink through
   * ..data), so ZkServer.writeTls swaps them as the kubelet does.
   */
  tlsSecretVolume?: boolean;
  /** With tls: extra zoo.cfg lines and JVM flags (certificate reload settings). */
  tlsExtra?: {cfg?: string[]; jvm?: string[]};
  /** With tls: the zoo.cfg TLS section the servers start with (default create --tls's; `() => ''` starts them in plain, certificates in place). */
  tlsCfg?: TlsCfg;
}

/** The TLS material of an ensemble started with tls. */
export interface EnsembleTlsFiles {
  ca: KeyPair;
  /** kubectl-zk's client certificate */
  client: KeyPair;
  /** the name server `id`'s certificate carries, as kubectl-zk checks it */
  serverName(id: number): string;
}

export interface Ensemble {
  readonly runtime: ZkRuntime;
  readonly root: string;
  /** All servers ever created, including joiners. */
  readonly servers: ZkServer[];
  server(id: number): ZkServer;
  /** Endpoints of every created server (dead ones included: clients must cope). */
  readonly endpoints: Endpoint[];
  readonly connectString: string;
  readonly superPassword: string;
  readonly superDigest: string;
  /** [digest super:<password>] */
  readonly superAuth: AuthInfo[];
  /** ms from first spawn to a serving quorum, measured by startEnsemble. */
  readonly timeToQuorumMs: number;
  readonly tls: EnsembleTlsFiles | undefined;
  /**
   * The joiner procedure: write a config = the committed /zookeeper/config
   * (without any line for `id`) + this server as `role`, start it, wait
   * until it serves (as a non-voting follower or observer). A known id
   * (removed earlier, now stopped) reuses its ports; its old transaction
   * data is wiped first (keepData to keep it): restarting a removed
   * ex-leader over its old data dir was seen to fail with "The current
   * epoch, 1, is older than the last zxid" (ZooKeeper 3.8.0). A joiner is
   * not a voter, so it loses nothing: the leader sends it a snapshot.
   * The caller then runs the reconfig that adds `server.serverLine(role)`.
   */
  addServer(id: number, opts?: {role?: ServerRole; timeoutMs?: number; keepData?: boolean}): Promise<ZkServer>;
  /** Every running server serves and exactly one is leader. Resolves with the elapsed ms. */
  waitForQuorum(opts?: {timeoutMs?: number; intervalMs?: number}): Promise<number>;
  /** The server currently reporting Mode: leader (polls until exactly one). */
  leader(opts?: {timeoutMs?: number}): Promise<ZkServer>;
  stopAll(): Promise<void>;
}

function which(cmd: string): string | undefined {
  for (const d of (process.env['PATH'] ?? '').split(':').concat(['/usr/bin', '/bin'])) {
    const p = join(d, cmd);
    if (d && existsSync(p)) return p;
  }
  return undefined;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The last lines of a server log that are warnings or errors (plus the very last lines). */
export function logTail(path: string, lines = 25): string {
  try {
    const all = readFileSync(path, 'utf8').split('\n');
    const important = all.filter((l) => / (WARN|ERROR) |Exception|Caused by/.test(l)).slice(-lines);
    return [...important, '…', ...all.slice(-8)].join('\n');
  } catch {
    return '(no log)';
  }
}

class ServerProc implements ZkServer {
  role: ServerRole;
  runtime: ZkRuntime;
  private child: ChildProcess | undefined;
  private exitPromise: Promise<void> = Promise.resolve();
  plainHost = '127.0.0.1';
  get endpoint(): Endpoint {
    return {host: this.plainHost, port: this.clientPort};
  }
  readonly adminEndpoint: Endpoint;
  readonly secureEndpoint: Endpoint | undefined;
  readonly logPath: string;
  readonly dataDir: string;
  readonly cfgPath: string;

  constructor(
    readonly id: number,
    readonly clientPort: number,
    readonly quorumPort: number,
    readonly electionPort: number,
    readonly adminPort: number,
    role: ServerRole,
    readonly dir: string,
    private readonly ctx: {
      runtime: ZkRuntime;
      superDigest: string;
      tickTimeMs: number;
      heapMb: number;
      setpriv: string | undefined;
      pidDir: string;
      tls?: {ca: KeyPair; securePort: number; cfg?: TlsCfg; secretVolume?: boolean; extra?: {cfg?: string[]; jvm?: string[]}};
    },
  ) {
    this.role = role;
    this.runtime = ctx.runtime;
    this.tlsCfg = ctx.tls?.cfg ?? ((trustStore, secureClientPort) => tlsZooCfg({trustStore, secureClientPort}));
    this.adminEndpoint = {host: '127.0.0.1', port: adminPort};
    this.secureEndpoint = ctx.tls ? {host: '127.0.0.1', port: ctx.tls.securePort} : undefined;
    if (ctx.tls) {
      mkdirSync(dir, {recursive: true});
      const tlsDir = ctx.tls.secretVolume ? join(dir, 'tls') : dir;
      this.tlsFiles = {keyStore: join(tlsDir, 'member.pem'), trustStore: join(tlsDir, 'ca.crt')};
      const mine = this.issueMemberCertificate(ctx.tls.ca);
      this.writeTls({memberPem: mine.keyPem + mine.certPem, caPem: ctx.tls.ca.certPem});
    }
    this.logPath = join(dir, 'server.log');
    this.dataDir = join(dir, 'data');
    this.cfgPath = join(dir, 'zoo.cfg');
    mkdirSync(this.dataDir, {recursive: true});
    writeFileSync(join(this.dataDir, 'myid'), `${id}\n`);
  }

  readonly tlsFiles?: {keyStore: string; trustStore: string};

  issueMemberCertificate(ca: KeyPair): KeyPair {
    const where = {name: 'zk', namespace: 'it', clusterDomain: 'cluster.local'};
    const now = new Date();
    return issueCertificate(
      {
        commonName: `zk-${this.id - 1}`,
        altNames: [...memberAltNames(where, this.id - 1), '127.0.0.1'],
        usage: 'server-and-client',
        notBefore: new Date(now.getTime() - 3_600_000),
        notAfter: new Date(now.getTime() + 86_400_000),
      },
      ca,
    );
  }

  writeTls(files: {memberPem: string; caPem: string}): void {
    const t = this.tlsFiles;
    if (!t) throw new Error('started without tls');
    const contents: [string, string][] = [
      ['member.pem', files.memberPem],
      ['ca.crt', files.caPem],
    ];
    const tlsDir = dirname(t.keyStore);
    if (!this.ctx.tls?.secretVolume) {
      for (const [f, text] of contents) {
        writeFileSync(join(tlsDir, `.${f}.tmp`), text);
        renameSync(join(tlsDir, `.${f}.tmp`), join(tlsDir, f));
      }
      return;
    }
    // the kubelet's AtomicWriter: a new ..<timestamp> directory, ..data_tmp → it, renamed over ..data
    mkdirSync(tlsDir, {recursive: true});
    const stamp = `..${new Date().toISOString().replace(/[-:.]/g, '_')}_${randomBytes(4).toString('hex')}`;
    mkdirSync(join(tlsDir, stamp));
    for (const [f, text] of contents) writeFileSync(join(tlsDir, stamp, f), text);
    const old = existsSync(join(tlsDir, '..data')) ? readlinkSync(join(tlsDir, '..data')) : undefined;
    symlinkSync(stamp, join(tlsDir, '..data_tmp'));
    renameSync(join(tlsDir, '..data_tmp'), join(tlsDir, '..data'));
    for (const [f] of contents) if (!existsSync(join(tlsDir, f))) symlinkSync(join('..data', f), join(tlsDir, f));
    if (old) rmSync(join(tlsDir, old), {recursive: true, force: true});
  }

  get pid(): number | undefined {
    return this.child?.exitCode === null && this.child.signalCode === null ? this.child.pid : undefined;
  }

  get running(): boolean {
    return this.pid !== undefined;
  }

  private tlsCfg: TlsCfg;

  private tlsSection(): string {
    return this.ctx.tls ? this.tlsCfg(this.tlsFiles!.trustStore, this.ctx.tls.securePort) + (this.ctx.tls.extra?.cfg ?? []).map((l) => `${l}\n`).join('') : '';
  }

  rewriteTls(tlsCfg: TlsCfg): void {
    this.tlsCfg = tlsCfg;
    const kept = readFileSync(this.cfgPath, 'utf8')
      .split('\n')
      .filter((l) => l !== '' && !TLS_LINE.test(l));
    writeFileSync(this.cfgPath, [...kept, ''].join('\n') + this.tlsSection());
  }

  serverLine(role: ServerRole = this.role): string {
    return formatServerLine({
      id: this.id,
      host: '127.0.0.1',
      quorumPort: this.quorumPort,
      electionPort: this.electionPort,
      role,
      clientAddress: this.plainHost,
      clientPort: this.clientPort,
    });
  }

  /** Write zoo.cfg + a fresh dynamic file with these lines. */
  writeConfig(dynamicLines: string[]): void {
    for (const f of readdirSync(this.dir)) if (f.startsWith('zoo.cfg.dynamic')) rmSync(join(this.dir, f));
    const dyn = join(this.dir, 'zoo.cfg.dynamic');
    writeFileSync(dyn, dynamicLines.join('\n') + '\n');
    writeFileSync(
      this.cfgPath,
      [
        `tickTime=${this.ctx.tickTimeMs}`,
        'initLimit=10',
        'syncLimit=5',
        `dataDir=${this.dataDir}`,
        'reconfigEnabled=true',
        'standaloneEnabled=false',
        '4lw.commands.whitelist=srvr,mntr,ruok,conf,isro',
        'admin.enableServer=true',
        'admin.serverAddress=127.0.0.1',
        `admin.serverPort=${this.adminPort}`,
        'preAllocSize=4096',
        'maxSessionTimeout=30000',
        `dynamicConfigFile=${dyn}`,
        '',
      ].join('\n') + this.tlsSection(),
    );
  }

  /** Remove the transaction logs and snapshots (keeps myid). */
  wipeData(): void {
    rmSync(join(this.dataDir, 'version-2'), {recursive: true, force: true});
  }

  dynamicConfigText(): string {
    const cfg = readFileSync(this.cfgPath, 'utf8');
    const m = /^dynamicConfigFile=(.*)$/m.exec(cfg);
    return m && m[1] ? readFileSync(m[1].trim(), 'utf8') : '';
  }

  /**
   * Started and not since stopped or killed by the test: a server that is wanted but not running
   * has crashed (waitForQuorum says so with its log instead of counting it as stopped).
   */
  wanted = false;

  async start(): Promise<void> {
    if (this.running) return;
    this.wanted = true;
    const {setpriv} = this.ctx;
    const runtime = this.runtime;
    const jvm = [
      `-Xmx${this.ctx.heapMb}m`,
      '-Xms32m',
      '-XX:+UseSerialGC',
      '-XX:TieredStopAtLevel=1',
      '-Xss512k',
      '-Djava.net.preferIPv4Stack=true',
      `-Dlogback.configurationFile=${runtime.logback}`,
      `-Dzookeeper.DigestAuthenticationProvider.superDigest=${this.ctx.superDigest}`,
      ...(this.ctx.tls ? [...tlsJvmFlags(this.tlsFiles!.keyStore).split(' '), ...(this.ctx.tls.extra?.jvm ?? [])] : []),
      '-cp',
      runtime.classpath,
      'org.apache.zookeeper.server.quorum.QuorumPeerMain',
      this.cfgPath,
    ];
    const [cmd, args] = setpriv ? [setpriv, ['--pdeathsig', 'KILL', runtime.java, ...jvm]] : [runtime.java, jvm];
    const fd = openSync(this.logPath, 'a');
    const pidFile = join(this.ctx.pidDir, `server${this.id}`);
    try {
      const child = spawn(cmd, args, {stdio: ['ignore', fd, fd], cwd: this.dir});
      this.child = child;
      this.exitPromise = new Promise<void>((res) => {
        child.once('exit', () => {
          rmSync(pidFile, {force: true});
          res();
        });
        child.once('error', () => res());
      });
      await new Promise<void>((res, rej) => {
        child.once('spawn', () => res());
        child.once('error', rej);
      });
      writeFileSync(pidFile, `${child.pid}\n`);
    } finally {
      closeSync(fd);
    }
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    if (signal !== 'SIGSTOP' && signal !== 'SIGCONT') this.wanted = false;
    const pid = this.pid;
    if (pid !== undefined) process.kill(pid, signal);
  }

  exited(): Promise<void> {
    return this.exitPromise;
  }

  async stop(timeoutMs = 10_000): Promise<void> {
    if (!this.running) return;
    this.kill('SIGTERM');
    const t = setTimeout(() => this.kill('SIGKILL'), timeoutMs);
    await this.exitPromise;
    clearTimeout(t);
  }

  /** Synchronous last resort (process 'exit' hook). */
  killNow(): void {
    try {
      this.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
}

/**
 * A detached shell that outlives a hard-killed test process: once our pid is
 * gone it SIGKILLs every JVM listed in pidDir whose command line names this
 * ensemble's root (guards against pid reuse), then removes the root.
 */
function startWatchdog(root: string, pidDir: string, keep: boolean): {stop(): void} {
  const script = [
    'parent=$1; root=$2; piddir=$3; keep=$4',
    'while kill -0 "$parent" 2>/dev/null; do sleep 1; done',
    'for f in "$piddir"/*; do',
    '  [ -f "$f" ] || continue; p=$(cat "$f")',
    '  if tr "\\0" " " < "/proc/$p/cmdline" 2>/dev/null | grep -qF -- "$root"; then kill -9 "$p" 2>/dev/null; fi',
    'done',
    'sleep 1',
    '[ "$keep" = 1 ] || rm -rf -- "$root"',
  ].join('\n');
  const w = spawn('bash', ['-c', script, 'kzk-zk-watchdog', String(process.pid), root, pidDir, keep ? '1' : '0'], {
    detached: true,
    stdio: 'ignore',
  });
  w.unref();
  return {
    stop() {
      try {
        if (w.pid !== undefined) process.kill(w.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    },
  };
}

export async function startEnsemble(opts: StartOptions): Promise<Ensemble> {
  const runtime = opts.runtime ?? zkRuntime();
  const root = mkdtempSync(join(tmpdir(), 'kzk-zk-'));
  const superPassword = randomBytes(12).toString('base64url');
  const digest = superDigest('super', superPassword);
  const pidDir = join(root, 'pids');
  mkdirSync(pidDir);
  const keep = opts.keepDirs ?? process.env['KZK_KEEP_ZK_DIRS'] === '1';
  const watchdog = startWatchdog(root, pidDir, keep);
  const ctx = {
    runtime,
    superDigest: digest,
    tickTimeMs: opts.tickTimeMs ?? 500,
    heapMb: opts.heapMb ?? 128,
    setpriv: which('setpriv'),
    pidDir,
  };
  const ca = opts.tls ? makeCa({name: 'zk', namespace: 'it'}, new Date()) : undefined;
  const servers: ServerProc[] = [];

  const newServer = async (id: number, role: ServerRole): Promise<ServerProc> => {
    const [c, q, e, a, t] = (await freePorts(5)) as [number, number, number, number, number];
    const s = new ServerProc(id, c, q, e, a, role, join(root, `server${id}`), {
      ...ctx,
      ...(ca ? {tls: {ca, securePort: t, cfg: opts.tlsCfg, secretVolume: opts.tlsSecretVolume ?? false, ...(opts.tlsExtra ? {extra: opts.tlsExtra} : {})}} : {}),
    });
    servers.push(s);
    return s;
  };

  const observers = opts.observers ?? 0;
  for (let id = 1; id <= opts.size; id++) {
    await newServer(id, id > opts.size - observers ? 'observer' : 'participant');
  }
  const lines = servers.map((s) => s.serverLine());
  for (const s of servers) s.writeConfig(lines);

  const onExit = (): void => {
    for (const s of servers) s.killNow();
  };
  process.on('exit', onExit);

  const running = (): ServerProc[] => servers.filter((s) => s.running);
  const waitForQuorum = async (o: {timeoutMs?: number; intervalMs?: number} = {}): Promise<number> => {
    const t0 = performance.now();
    const deadline = t0 + (o.timeoutMs ?? 60_000);
    let last: string;
    for (;;) {
      const crashed = servers.find((s) => s.wanted && !s.running);
      if (crashed) throw new Error(`server ${crashed.id} exited on its own; log tail:\n${logTail(crashed.logPath)}`);
      const live = running();
      const st = await ensembleStatus(
        live.map((s) => s.endpoint),
        {timeoutMs: 1000},
      );
      const sum = summarize(st);
      if (sum.leaders.length === 1 && sum.notServing.length === 0 && sum.unreachable.length === 0) return performance.now() - t0;
      last = JSON.stringify(sum);
      if (performance.now() > deadline) throw new Error(`no quorum within ${o.timeoutMs ?? 60_000} ms: ${last} (logs under ${root})`);
      await sleep(o.intervalMs ?? 50);
    }
  };

  const t0 = performance.now();
  await Promise.all(servers.map((s) => s.start()));
  let timeToQuorumMs: number;
  try {
    await waitForQuorum({timeoutMs: opts.quorumTimeoutMs ?? 60_000, intervalMs: 50});
    timeToQuorumMs = performance.now() - t0;
  } catch (e) {
    onExit();
    process.off('exit', onExit);
    await Promise.all(servers.map((s) => s.exited()));
    watchdog.stop();
    if (!keep) rmSync(root, {recursive: true, force: true});
    throw e;
  }

  const ens: Ensemble = {
    runtime,
    root,
    servers,
    server(id) {
      const s = servers.find((x) => x.id === id);
      if (!s) throw new Error(`no server ${id}`);
      return s;
    },
    get endpoints() {
      return servers.map((s) => s.endpoint);
    },
    get connectString() {
      return servers.map((s) => `127.0.0.1:${s.clientPort}`).join(',');
    },
    superPassword,
    superDigest: digest,
    superAuth: [digestAuth('super', superPassword)],
    timeToQuorumMs,
    tls: ca ? {ca, client: clientCertificate(PLUGIN_USER, ca, new Date()), serverName: (id) => memberServerName('zk', 'it', `zk-${id - 1}`)} : undefined,
    async addServer(id, o = {}) {
      const role = o.role ?? 'participant';
      let s = servers.find((x) => x.id === id);
      if (s?.running) throw new Error(`server ${id} is running; stop it before re-adding`);
      const live = running();
      const committed = await readConfig(
        live.map((x) => x.endpoint),
        {connectTimeoutMs: 2000},
      );
      if (!s) s = await newServer(id, role);
      else if (!o.keepData) s.wipeData();
      s.role = role;
      const lines = committed.config.servers.filter((x) => x.id !== id).map((x) => formatServerLine(x));
      lines.push(s.serverLine(role));
      s.writeConfig(lines);
      await s.start();
      const deadline = performance.now() + (o.timeoutMs ?? 60_000);
      for (;;) {
        const [st] = await ensembleStatus([s.endpoint], {timeoutMs: 1000});
        if (st?.state === 'serving' && (st.srvr.mode === 'follower' || st.srvr.mode === 'observer')) return s;
        if (!s.running) throw new Error(`joiner ${id} exited; log tail:\n${logTail(s.logPath)}`);
        if (performance.now() > deadline) throw new Error(`joiner ${id} not serving; log tail:\n${logTail(s.logPath)}`);
        await sleep(100);
      }
    },
    waitForQuorum,
    async leader(o = {}) {
      const deadline = performance.now() + (o.timeoutMs ?? 30_000);
      for (;;) {
        const live = running();
        const st = await ensembleStatus(
          live.map((s) => s.endpoint),
          {timeoutMs: 1000},
        );
        const leaders = st.filter((m) => m.state === 'serving' && m.srvr.mode === 'leader');
        const only = leaders[0];
        if (leaders.length === 1 && only) return live[only.index] as ServerProc;
        if (performance.now() > deadline) throw new Error('no single leader');
        await sleep(50);
      }
    },
    async stopAll() {
      for (const s of servers) s.killNow();
      await Promise.all(servers.map((s) => s.exited()));
      process.off('exit', onExit);
      watchdog.stop();
      if (!keep) rmSync(root, {recursive: true, force: true});
    },
  };
  return ens;
}
