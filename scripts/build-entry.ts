/**
 * Entry point of the single-file bundle that becomes the self-contained
 * executable (scripts/build-bundle.ts, scripts/package.ts). Unlike bin/kubectl-zk,
 * nothing is read or imported from the filesystem at start: oclif gets the
 * package.json (trimmed) and its command manifest inlined by esbuild `define`
 * (KZK_PJSON, KZK_MANIFEST, both made at build time by oclif itself), and the
 * command classes from the bundle. In the bundle, src/commands.ts is rewritten
 * so that each command's module is evaluated only when oclif asks for that
 * command: `--help` and `version` do not evaluate the others (nor what they
 * import).
 */
import {dirname} from 'node:path';
import {Config, Plugin, type Interfaces} from '@oclif/core';
import {COMMANDS} from '../src/commands.js';
import {main} from '../src/main.js';

declare const KZK_PJSON: Interfaces.PJSON;
declare const KZK_MANIFEST: Interfaces.Manifest;

// oclif's user agent ("kubectl-zk/0.1.0 linux-x64 node-v26.3.0", help's VERSION) would name the
// Node.js version Bun claims compatibility with: name the runtime that runs (oclif makes the
// Config in its own run(), so the one place to say it is Config's load)
const bun = process.versions['bun'];
if (bun) {
  const load = Config.prototype.load;
  Config.prototype.load = async function (this: Config) {
    await load.call(this);
    this.userAgent = `${this.name}/${this.version} ${this.platform}-${this.arch} bun-${bun}`;
  };
}

async function start(): Promise<void> {
  const root = dirname(process.execPath);
  const plugin = new Plugin({root, isRoot: true, pjson: KZK_PJSON});
  const internals = plugin as unknown as {commandCache: typeof COMMANDS; commandIDs: string[]; hasManifest: boolean; _manifest(): Promise<Interfaces.Manifest>};
  // what the explicit strategy would import from oclif.commands.target
  internals.commandCache = COMMANDS;
  // what oclif would read from <root>/oclif.manifest.json
  internals._manifest = async () => {
    internals.commandIDs = Object.keys(KZK_MANIFEST.commands);
    internals.hasManifest = true;
    return KZK_MANIFEST;
  };
  await plugin.load();
  await main(process.argv.slice(2), {root, pjson: KZK_PJSON, plugins: new Map([[plugin.name, plugin]])});
}

start().catch((err: unknown) => {
  process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
