import {createHash} from 'node:crypto';
import {readFile} from 'node:fs/promises';
import {Flags} from '@oclif/core';
import type {Runtime} from '../../cli/runtime.js';
import type {ZnodeDeps} from '../../ops/znode.js';
import {UsageError} from '../../errors.js';
import {parseDuration} from '../../util/duration.js';
import type {AuthInfo} from '../../zk/wire.js';

/** Flags every `kubectl zk znode …` command takes: which ensemble, and who we are to it. */
export const ensembleFlags = {
  ensemble: Flags.string({summary: 'The ensemble (default: the only one kubectl-zk manages in the namespace).', helpGroup: 'ENSEMBLE'}),
  auth: Flags.string({
    summary: 'Authenticate as user:password (digest scheme, like zkCli addauth); repeatable. Visible in the process list: prefer --auth-file or $KUBECTL_ZK_AUTH.',
    multiple: true,
    multipleNonGreedy: true,
    helpGroup: 'ENSEMBLE',
  }),
  'auth-file': Flags.string({summary: 'Read user:password credentials from this file, one per line (# comments).', helpGroup: 'ENSEMBLE'}),
  'as-super': Flags.boolean({summary: "Authenticate as the ensemble's super user (password read from its Secret NAME-auth).", helpGroup: 'ENSEMBLE'}),
  'connect-timeout': Flags.string({summary: 'How long to wait for a ZooKeeper session, e.g. 15s.', default: '15s', helpGroup: 'ENSEMBLE'}),
};

export interface EnsembleFlags {
  ensemble?: string;
  auth?: string[];
  'auth-file'?: string;
  'as-super'?: boolean;
  'connect-timeout': string;
}

export interface ConnectSpec {
  ensemble?: string;
  auth: AuthInfo[];
  asSuper: boolean;
  connectTimeoutMs: number;
}

/** The environment variable that carries credentials, one user:password per line. */
export const AUTH_ENV = 'KUBECTL_ZK_AUTH';

/**
 * Checks the connection flags (usage errors, exit 2) before anything is read
 * or contacted. Credentials come from $KUBECTL_ZK_AUTH, --auth-file and
 * --auth, in that order; only --auth puts them on the command line.
 */
export async function connectSpec(flags: EnsembleFlags, rt: Pick<Runtime, 'env' | 'progress'>): Promise<ConnectSpec> {
  const {parseAuth, parseAuthLines} = await import('../../ops/znode.js');
  const connectTimeoutMs = parseDuration(flags['connect-timeout'], '--connect-timeout');
  const auth = [...parseAuthLines(rt.env[AUTH_ENV] ?? '', `$${AUTH_ENV}`)];
  if (flags['auth-file']) {
    let text: string;
    try {
      text = await readFile(flags['auth-file'], 'utf8');
    } catch (e) {
      throw new UsageError(`cannot read --auth-file ${flags['auth-file']}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    }
    auth.push(...parseAuthLines(text, `--auth-file ${flags['auth-file']}`));
  }
  if (flags.auth && flags.auth.length > 0) {
    auth.push(...flags.auth.map((v) => parseAuth(v)));
    rt.progress.warn(`--auth puts the password in the process list of this machine; prefer --auth-file FILE or $${AUTH_ENV}`);
  }
  return {ensemble: flags.ensemble, auth, asSuper: Boolean(flags['as-super']), connectTimeoutMs: connectTimeoutMs || 15_000};
}

/**
 * Resolves the ensemble, builds `connect` and `once` over one port-forward
 * per member pod, runs the op and closes the forwarders (the op closes its
 * client).
 */
export async function withEnsemble<T>(rt: Runtime, spec: ConnectSpec, run: (deps: ZnodeDeps) => Promise<T>): Promise<T> {
  const [ops, {MemberForwarders}, {connectZk}, {once}, {openTreeReader}] = await Promise.all([
    import('../../ops/znode.js'),
    import('../../ops/members.js'),
    import('../../zk/client.js'),
    import('../../zk/once.js'),
    import('../../zk/reader.js'),
  ]);
  const kube = await rt.kube();
  kube.connectAhead?.(); // the port-forward's TLS handshake overlaps the ensemble lookup
  const target = await ops.resolveTarget(kube, kube.namespace, spec.ensemble);
  const {namespace, ensemble} = target;
  const auth = spec.asSuper ? [...spec.auth, await ops.superAuth(kube, namespace, ensemble)] : spec.auth;
  const forwarders = new MemberForwarders(kube);
  try {
    const how = {auth, connectTimeoutMs: spec.connectTimeoutMs, signal: rt.signal};
    const connect = ops.forwardedConnector({kube, forwarders, dial: connectZk, debug: rt.debug}, target, how);
    const juteMaxBuffer = () => ops.ensembleJuteMaxBuffer(kube, namespace, ensemble);
    return await run({
      connect,
      once: ops.forwardedOnce({kube, forwarders, once, debug: rt.debug}, target, how),
      reader: ops.forwardedReader({kube, forwarders, open: openTreeReader, debug: rt.debug}, target, how),
      signal: rt.signal,
      juteMaxBuffer,
    });
  } finally {
    await forwarders.close();
  }
}

/** create/set: DATA argument, --file, or stdin — read (binary-safe) before connecting. */
export async function readDataFlags(rt: Runtime, o: {arg?: string; file?: string}): Promise<Buffer | undefined> {
  const {readData, selectDataSource} = await import('../../ops/znode.js');
  const src = selectDataSource({arg: o.arg, file: o.file, stdinIsTTY: Boolean(rt.streams.stdin.isTTY)});
  const data = await readData(src, {stdin: rt.streams.stdin, readFile: (p) => readFile(p), signal: rt.signal});
  if (rt.verbose && data) {
    rt.debug(`data: ${data.length} bytes from ${src.kind} (sha256 ${createHash('sha256').update(data).digest('hex')})`);
  }
  return data; // its size is checked against the servers' jute.maxbuffer before sending (checkRequestSize)
}
