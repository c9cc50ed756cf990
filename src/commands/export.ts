import {Args, Flags} from '@oclif/core';
import {ZkCommand} from '../base.js';
import type {Runtime} from '../cli/runtime.js';
import type {ExportResult} from '../ops/transfer.js';
import {renderExport} from '../render/transfer.js';
import {ensembleFlags} from './znode/common.js';
import {UsageError} from '../errors.js';
import type {ExportMethod, ExportSnapshot} from '../ops/transfer.js';

/** The member snapshot export reads by default (opened only when the method and the root call for it). */
async function snapshotSource(rt: Runtime, namespace: string, ensemble: string): Promise<{open: () => Promise<ExportSnapshot>; close: () => Promise<void>}> {
  const [{forwardedMemberDeps}, {openExportSnapshot}] = await Promise.all([import('../ops/backup.js'), import('../ops/transfer-snapshot.js')]);
  let members: Awaited<ReturnType<typeof forwardedMemberDeps>> | undefined;
  return {
    open: async () => {
      members = await forwardedMemberDeps(await rt.kube(), namespace, ensemble);
      return openExportSnapshot(ensemble, {...members, clock: rt.clock, sleep: rt.sleep, signal: rt.signal});
    },
    close: async () => members?.close(),
  };
}

const {ensemble: _ensemble, 'as-super': _asSuper, ...connectFlags} = ensembleFlags;

export default class Export extends ZkCommand<ExportResult> {
  static override summary = 'Write a subtree as JSON lines (a logical copy that works on 3.8 and 3.9).';
  static override description = `One header line, one line per znode (path, data as base64, ACL, the stat fields worth keeping; ephemeral znodes flagged and left out of the checksum), one end line with the count and a checksum over path, data and ACL, parents before children. ZooKeeper's own /zookeeper subtree is left out. The whole tree (PATH /) is read by default from the snapshot stream of the member with the highest zxid (ZooKeeper 3.9's AdminServer snapshot command, as the super user: every znode with its data, ACL and stat in one transfer; the header records its last_zxid); a subtree, a 3.8 ensemble, a member that refuses the snapshot, or --method reads go over 4 sessions on one member with many requests in flight (getData and getChildren batched in multi-reads). Either way the lines are written as they arrive, and neither is a point-in-time copy of the whole tree: each znode is whole, the tree is the state somewhere between the start and the end (docs/backup.md). It reads as the ensemble's super user (password from the Secret NAME-auth) so that ACL-protected znodes are exported too; --no-as-super reads with --auth/--auth-file/$KUBECTL_ZK_AUTH only (a znode they may not read fails the export). To stdout, or with -f to a file that appears only when complete (FILE.partial until then); the summary goes to stderr when the data goes to stdout.`;
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
    method: Flags.string({
      summary: "auto: the whole tree from a member's snapshot when it has the snapshot command (3.9), else reads; snapshot; reads.",
      options: ['auto', 'snapshot', 'reads'],
      default: 'auto',
    }),
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
    const method = flags.method as ExportMethod;
    if (method === 'snapshot' && !spec.asSuper) throw new UsageError('--method snapshot reads as the super user (the snapshot command needs ALL on /): not with --no-as-super');
    const snapshot = spec.asSuper && method !== 'reads' ? await snapshotSource(rt, namespace, args.name) : undefined;
    return common.withEnsemble(rt, spec, async (deps) => {
      const out = file ? await atomic.openAtomic(file, {force: flags.force}) : undefined;
      try {
        const result = await ops.exportTree({ensemble: args.name, namespace, root, window: flags.window, method}, out ? out.stream : rt.streams.stdout, {
          ...deps,
          snapshot: snapshot?.open,
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
      } finally {
        await snapshot?.close();
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
