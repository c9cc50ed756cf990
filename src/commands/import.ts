import {Args, Flags} from '@oclif/core';
import {lockFlags, ZkCommand} from '../base.js';
import type {Runtime} from '../cli/runtime.js';
import type {ImportResult} from '../ops/transfer.js';
import {renderImport} from '../render/transfer.js';
import {ensembleFlags} from './znode/common.js';

const {ensemble: _ensemble, 'as-super': _asSuper, ...connectFlags} = ensembleFlags;

export default class Import extends ZkCommand<ImportResult> {
  static override summary = 'Create the znodes of an export file (from kubectl zk export) in an ensemble.';
  static override description = `Reads the whole file first: a truncated or changed file (its end line's count or checksum disagree) is refused before anything is written. Then it checks that none of the znodes to import exists (any that does refuses the import, nothing written, unless --overwrite, which replaces their data and ACL) and that the target's parent exists. Then it creates them, parents before children, with their data and ACLs, many creates in flight on one session. Ephemeral znodes are skipped (they belong to sessions); container and TTL znodes come back as persistent ones. PATH imports only that subtree of the file; --to puts it somewhere else. The root / always exists: its data and ACL are set only with --overwrite. Writes as the target ensemble's super user (its own Secret NAME-auth) unless --no-as-super. stdin is copied to a temporary file first (the file is read twice).`;
  static override examples = [
    '<%= config.bin %> import zk2 < tree.jsonl',
    '<%= config.bin %> import zk2 -f app.jsonl --to /restored/app',
    '<%= config.bin %> import zk2 /app -f tree.jsonl --overwrite',
  ];
  static override args = {
    name: Args.string({required: true, ignoreStdin: true, description: 'Ensemble name.'}),
    path: Args.string({required: false, ignoreStdin: true, description: 'Only this subtree of the file (default: all of it).'}),
  };
  static override flags = {
    ...lockFlags,
    file: Flags.string({char: 'f', summary: 'Read this file instead of stdin ("-": stdin).'}),
    to: Flags.string({summary: "Import under this path instead (PATH, or the file's root, becomes TO)."}),
    overwrite: Flags.boolean({summary: 'Replace data and ACL of znodes that exist instead of refusing.'}),
    'as-super': Flags.boolean({summary: "Write as the ensemble's super user (default; --no-as-super to write with --auth only).", default: true, allowNo: true, helpGroup: 'ENSEMBLE'}),
    window: Flags.integer({summary: 'Requests in flight on the session.', default: 256, min: 1, max: 10_000}),
    ...connectFlags,
  };

  protected override lockTarget(args: Record<string, unknown>, _flags: Record<string, unknown>): string | undefined {
    return String(args.name);
  }

  async execute(rt: Runtime): Promise<ImportResult> {
    const {args, flags} = await this.parse(Import);
    const [ops, {checkPath}, common, input] = await Promise.all([import('../ops/transfer.js'), import('../ops/znode.js'), import('./znode/common.js'), import('../util/line-input.js')]);
    if (args.path !== undefined) checkPath(args.path);
    if (flags.to !== undefined) checkPath(flags.to);
    const spec = await common.connectSpec({...flags, ensemble: args.name}, rt);
    const source = await input.openLineSource(flags.file && flags.file !== '-' ? flags.file : undefined, rt.streams.stdin, rt.signal);
    try {
      const namespace = (await rt.kube()).namespace;
      const step = rt.streams.stderr.isTTY && rt.output === 'human' ? rt.progress.step(`importing into ${args.name}`) : undefined;
      return await common.withEnsemble(rt, spec, async (deps) => {
        try {
          const r = await ops.importTree({ensemble: args.name, namespace, path: args.path, to: flags.to, overwrite: flags.overwrite, window: flags.window}, source.lines, {
            ...deps,
            clock: rt.clock,
            onProgress: (n) => step?.update(`${n} znodes`),
          });
          step?.succeed(`imported ${r.created + r.overwritten} znodes`);
          return r;
        } catch (err) {
          step?.fail();
          throw err;
        }
      });
    } finally {
      await source.close();
    }
  }

  override render(result: ImportResult): string {
    return renderImport(result);
  }
}
