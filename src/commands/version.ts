import {readFileSync} from 'node:fs';
import {dirname, join} from 'node:path';
import {fileURLToPath} from 'node:url';
import {ZkCommand} from '../base.js';
import type {Runtime} from '../cli/runtime.js';
import {DEFAULT_IMAGE, DEFAULT_ZOOKEEPER_VERSION} from '../manifests/options.js';

/**
 * Set by the bundler (scripts/build-bundle.ts, esbuild `define`) when the
 * single executable is built; not defined when running from the source tree.
 */
declare const KZK_BUILD: {commit: string; kubernetesClient: string} | undefined;

export interface VersionInfo {
  version: string;
  /** short git commit the executable was built from, "dev" from the source tree */
  commit: string;
  /** the image `create` uses without --image */
  defaultImage: string;
  /** the ZooKeeper version of that image (the tested one) */
  defaultZookeeperVersion: string;
  /** the Kubernetes client library and its version */
  kubernetesClient: string;
  /** the JavaScript runtime: "Bun 1.4.5" in the executables, "Node.js v24.…" from the source tree */
  runtime: string;
  platform: string;
  /** true for the bundle built by `npm run package` (inside the executable, or run by hand) */
  packaged: boolean;
  /** running as the self-contained executable (`bun build --compile`) */
  singleExecutable: boolean;
}

/** The runtime and whether it runs a compiled-in program (Bun's own module file system: /$bunfs/ or B:\~BUN\). */
export function runtimeOf(
  proc: {version: string; versions: Record<string, string | undefined>} = process,
  bun = (globalThis as {Bun?: {main: string}}).Bun,
): {runtime: string; singleExecutable: boolean} {
  const version = proc.versions['bun'];
  if (version === undefined) return {runtime: `Node.js ${proc.version}`, singleExecutable: false};
  return {runtime: `Bun ${version}`, singleExecutable: /^(\/\$bunfs\/|[A-Za-z]:[\\/]~BUN[\\/])/.test(bun?.main ?? '')};
}

const ARCH: Record<string, string> = {x64: 'amd64', ia32: '386'};

/** @kubernetes/client-node's version, read from its package.json (the bundle has it inlined instead). */
export function clientLibraryVersion(resolve: (specifier: string) => string = (s) => import.meta.resolve(s)): string {
  try {
    let dir = dirname(fileURLToPath(resolve('@kubernetes/client-node')));
    for (let i = 0; i < 4; i++, dir = dirname(dir)) {
      try {
        const pj = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {name?: string; version?: string};
        if (pj.name === '@kubernetes/client-node' && pj.version) return pj.version;
      } catch {
        // not here: one level up
      }
    }
  } catch {
    // not resolvable
  }
  return 'unknown';
}

export function versionInfo(version: string): VersionInfo {
  const build = typeof KZK_BUILD === 'undefined' ? undefined : KZK_BUILD;
  return {
    version,
    commit: build?.commit ?? 'dev',
    defaultImage: DEFAULT_IMAGE,
    defaultZookeeperVersion: DEFAULT_ZOOKEEPER_VERSION,
    kubernetesClient: `@kubernetes/client-node ${build?.kubernetesClient ?? clientLibraryVersion()}`,
    ...runtimeOf(),
    platform: `${process.platform}/${ARCH[process.arch] ?? process.arch}`,
    packaged: build !== undefined,
  };
}

export function renderVersion(v: VersionInfo): string {
  return [
    `kubectl-zk v${v.version} (commit ${v.commit})`,
    `default ZooKeeper:       ${v.defaultZookeeperVersion} (image ${v.defaultImage})`,
    `Kubernetes client:       ${v.kubernetesClient}`,
    `runtime:                 ${v.runtime} ${v.platform}${v.singleExecutable ? ' (single executable)' : v.packaged ? ' (bundle)' : ''}`,
    '',
  ].join('\n');
}

export default class Version extends ZkCommand<VersionInfo> {
  static override summary = 'Print the plugin version, its commit, the default ZooKeeper version and image, and the Kubernetes client library.';
  static override examples = ['<%= config.bin %> version', '<%= config.bin %> version -o json'];

  async execute(_rt: Runtime): Promise<VersionInfo> {
    await this.parse(Version);
    return versionInfo(this.config.version);
  }

  override render(result: VersionInfo): string {
    return renderVersion(result);
  }
}
