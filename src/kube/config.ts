import {existsSync} from 'node:fs';
import {homedir} from 'node:os';
import path from 'node:path';
import type {Cluster, Context, User} from '@kubernetes/client-node';
// the kubeconfig module alone, not client-node's index (see src/kube/client.ts)
import {KubeConfig} from '@kubernetes/client-node/dist/config.js';
import {CliError, UsageError, errorMessage} from '../errors.js';

/** The kubectl connection flags every command takes (kubectl does not parse them for plugins). */
export interface KubeFlags {
  kubeconfig?: string;
  context?: string;
  namespace?: string;
}

export interface ResolvedKubeConfig {
  kc: KubeConfig;
  context: string;
  namespace: string;
  server: string;
  /** Where the configuration came from, for messages. */
  source: string;
}

/** The kubeconfig files kubectl would read, in order: --kubeconfig, else $KUBECONFIG (a path list), else ~/.kube/config. */
export function kubeconfigFiles(flags: KubeFlags, env: NodeJS.ProcessEnv, home = homedir()): {files: string[]; explicit: boolean} {
  if (flags.kubeconfig) return {files: [flags.kubeconfig], explicit: true};
  const list = env.KUBECONFIG;
  if (list && list.trim() !== '') {
    // kubectl skips empty entries and files that do not exist; duplicates count once.
    const files = [...new Set(list.split(path.delimiter).filter((f) => f.trim() !== ''))];
    return {files, explicit: false};
  }
  return {files: [path.join(home, '.kube', 'config')], explicit: false};
}

function loadOne(file: string): KubeConfig {
  const kc = new KubeConfig();
  try {
    kc.loadFromFile(file);
  } catch (err) {
    throw new CliError(`cannot read kubeconfig ${file}: ${errorMessage(err)}`, {hint: 'fix the file or point --kubeconfig elsewhere'});
  }
  return kc;
}

/**
 * Merges kubeconfig files as kubectl does: the first file that defines a cluster,
 * user or context by a name wins, and the first file that sets current-context wins.
 * (client-node's loadFromDefault throws on duplicate names and lets the last file's
 * current-context win.)
 */
export function mergeKubeconfigs(configs: KubeConfig[]): KubeConfig {
  const clusters = new Map<string, Cluster>();
  const users = new Map<string, User>();
  const contexts = new Map<string, Context>();
  let currentContext = '';
  for (const kc of configs) {
    for (const c of kc.getClusters()) if (!clusters.has(c.name)) clusters.set(c.name, c);
    for (const u of kc.getUsers()) if (!users.has(u.name)) users.set(u.name, u);
    for (const c of kc.getContexts()) if (!contexts.has(c.name)) contexts.set(c.name, c);
    if (!currentContext && kc.getCurrentContext()) currentContext = kc.getCurrentContext();
  }
  const merged = new KubeConfig();
  merged.loadFromOptions({
    clusters: [...clusters.values()],
    users: [...users.values()],
    contexts: [...contexts.values()],
    currentContext,
  });
  return merged;
}

/**
 * Loads the kubeconfig the way kubectl does and resolves context and namespace.
 * `requireCluster: false` (for --dry-run) tolerates a missing kubeconfig and falls back to "default".
 */
export function resolveKubeConfig(flags: KubeFlags, env: NodeJS.ProcessEnv = process.env, opts: {requireCluster?: boolean; home?: string} = {}): ResolvedKubeConfig {
  const requireCluster = opts.requireCluster ?? true;
  const {files, explicit} = kubeconfigFiles(flags, env, opts.home);
  if (explicit && !existsSync(files[0]!)) {
    throw new UsageError(`kubeconfig file ${files[0]} does not exist`, 'check --kubeconfig');
  }
  const present = files.filter((f) => existsSync(f));
  let kc: KubeConfig;
  let source: string;
  if (present.length > 0) {
    kc = mergeKubeconfigs(present.map(loadOne));
    source = present.join(path.delimiter);
  } else if (env.KUBERNETES_SERVICE_HOST && env.KUBERNETES_SERVICE_PORT) {
    kc = new KubeConfig();
    kc.loadFromCluster();
    source = 'in-cluster service account';
  } else {
    if (requireCluster) {
      throw new CliError('no kubeconfig found', {hint: `looked in ${files.join(', ')}; set KUBECONFIG or pass --kubeconfig`});
    }
    return {kc: new KubeConfig(), context: '', namespace: flags.namespace || 'default', server: '', source: 'none'};
  }

  if (flags.context) {
    if (!kc.getContextObject(flags.context)) {
      throw new UsageError(
        `context "${flags.context}" not found in kubeconfig`,
        `available: ${
          kc
            .getContexts()
            .map((c) => c.name)
            .join(', ') || 'none'
        }`,
      );
    }
    kc.setCurrentContext(flags.context);
  }
  const context = kc.getCurrentContext();
  const ctx = context ? kc.getContextObject(context) : null;
  if (requireCluster) {
    if (!context || !ctx) throw new CliError('no current context in kubeconfig', {hint: 'pass --context, or run: kubectl config use-context NAME'});
    if (!kc.getCluster(ctx.cluster)) throw new CliError(`context "${context}" names cluster "${ctx.cluster}", which is not in kubeconfig`);
  }
  const cluster = ctx ? kc.getCluster(ctx.cluster) : null;
  return {
    kc,
    context: context ?? '',
    namespace: flags.namespace || ctx?.namespace || 'default',
    server: cluster?.server ?? '',
    source,
  };
}
