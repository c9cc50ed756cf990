import {Args, Flags} from '@oclif/core';
import {ZkCommand} from '../base.js';
import type {Runtime} from '../cli/runtime.js';
import type {ExportResult} from '../ops/transfer.js';
import {renderExport} from '../render/transfer.js';
import {ensembleFlags} from './znode/common.js';

const {ensemble: _ensemble, 'as-super': _asSuper, ...connectFlags} = ensembleFlags;

export default class Export extends ZkCommand<ExportResult> {
  static override summary = 'Write a subtree as JSON lines (a logical copy that works on 3.8 and 3.9).';
  static override description = `One header line, one line per znode (path, data as base64, ACL, the stat fields worth keeping; ephemeral znodes flagged and left out of the checksum), one end line with the count and a checksum over path, data and ACL, parents before children. ZooKeeper's own /zookeeper subtree is left out. Reads go over 4 sessions on one member with many requests in flight (getData and getChildren batched in multi-reads) and are written as they arrive. It reads as the ensemble's super user (password from the Secret NAME-auth) so that ACL-protected znodes are exported too; --no-as-super reads with --auth/--auth-file/$KUBECTL_ZK_AUTH only (a znode they may not read fails the export). To stdout, or with -f to a file that appears only when complete (FILE.partial until then); the summary goes to stderr when the data goes to stdout.`;
  static override examples = ['<%= config.bin %> export zk > tree.jsonl', '<%= config.bin %> export zk /app -f app.jsonl', '<%= config.bin %> export zk --namespace prod -f prod.jsonl --force'];
  static override args = {
    name: Args.string({required: true, ignoreStdin: true, description: 'Ensemble name.'}),
    path: Args.string({required: false, ignoreStdin: true, description: 'The subtree to export (default /).'}),
  };
  static override flags = {
    file: Flags.string({char: 'f', summary: 'Write to this file instead of stdout ("-": stdout).'}),
    force: Flags.boolean({summary: 'Replace the file -f names when it exists.'}),
    'as-super': Flags.boolean({summary: "Read as the ensemble's super user (default; --no-as-super to read with --auth only).", default: true, allowNo: true, helpGroup: 'ENSEMBLE'}),
    window: Flags.integer({summary: 'Znodes read at once (over the 4 sessions).', default: 512, min: 1, max: 10_000}),
    ...connectFlags,
  };

  private toStdout = true;

  async execute(rt: Runtime): Promise<ExportResult> {
    const {args, flags} = await this.parse(Export);
    const [ops, {checkPath}, common, atomic] = await Promise.all([import('../ops/transfer.js'), import('../ops/znode.js'), import('./znode/common.js'), import('../util/atomic-file.js')]);
    const root = args.path ?? '/';
    checkPath(root);
    const spec = await common.connectSpec({...flags, ensemble: args.name}, rt);
    const file = flags.file && flags.file !== '-' ? flags.file : undefined;
    this.toStdout = !file;
    if (file) await atomic.checkTarget(file, flags.force);
    const namespace = (await rt.kube()).namespace;
    const step = rt.streams.stderr.isTTY && rt.output === 'human' ? rt.progress.step(`exporting ${root} from ${args.name}`) : undefined;
    return common.withEnsemble(rt, spec, async (deps) => {
      const out = file ? await atomic.openAtomic(file, {force: flags.force}) : undefined;
      try {
        const result = await ops.exportTree({ensemble: args.name, namespace, root, window: flags.window}, out ? out.stream : rt.streams.stdout, {
          ...deps,
          clock: rt.clock,
          output: file ?? '-',
          onProgress: (n) => step?.update(`${n} znodes`),
        });
        await out?.commit();
        step?.succeed(`exported ${result.znodes} znodes`);
        return result;
      } catch (err) {
        step?.fail();
        await out?.abort();
        throw err;
      }
    });
  }

  protected override async emit(result: ExportResult): Promise<void> {
    if (!this.toStdout) return super.emit(result);
    // stdout carries the data: the summary (or its JSON) goes to stderr
    const err = this.rt.streams.stderr;
    if (this.rt.output === 'json' || this.rt.output === 'yaml') err.write(await this.serialize(result, this.rt.output));
    else err.write(renderExport(result));
  }

  override render(result: ExportResult): string {
    return renderExport(result);
  }
}
