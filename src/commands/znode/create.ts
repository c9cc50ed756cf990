import {Args, Flags} from '@oclif/core';
import {ZkCommand} from '../../base.js';
import type {Runtime} from '../../cli/runtime.js';
import type {ZnodeCreateResult} from '../../ops/znode.js';
import {renderCreated} from '../../render/znode.js';
import {connectSpec, ensembleFlags, readDataFlags, withEnsemble} from './common.js';

export default class ZnodeCreate extends ZkCommand<ZnodeCreateResult> {
  static override summary = 'Create a znode and print its path.';
  static override description = `The data comes from DATA, from --file, or from stdin (binary-safe) when DATA is "-" or when DATA is omitted and stdin is not a terminal; otherwise the node is empty. Prints the created path (with the counter for --sequential). An --ephemeral node lives as long as this command's session, i.e. it is removed when the command exits.`;
  static override examples = [
    '<%= config.bin %> znode create /app/config \'{"debug":false}\'',
    '<%= config.bin %> znode create /app/blob - --ensemble zk --namespace prod < blob.bin',
    '<%= config.bin %> znode create /app/a/b/c --parents',
    '<%= config.bin %> znode create /queue/item- --sequential --file item.json',
    '<%= config.bin %> znode create /secured data --acl digest:app:BASE64SHA1:cdrwa --acl world:anyone:r',
  ];
  static override args = {
    path: Args.string({required: true, ignoreStdin: true, description: 'Absolute znode path (with --sequential, the prefix of the name).'}),
    data: Args.string({required: false, ignoreStdin: true, description: 'The data; "-" reads stdin.'}),
  };
  static override flags = {
    ephemeral: Flags.boolean({summary: "Ephemeral node: deleted when this command's session ends."}),
    sequential: Flags.boolean({summary: 'Append a monotonically increasing 10-digit counter to the name.'}),
    parents: Flags.boolean({char: 'p', summary: 'Create missing parent nodes (persistent, empty).'}),
    file: Flags.string({summary: 'Read the data from this file ("-" for stdin).'}),
    acl: Flags.string({summary: 'ACL entry scheme:id:perms (perms from cdrwa), repeatable; default world:anyone:cdrwa.', multiple: true, multipleNonGreedy: true}),
    ...ensembleFlags,
  };

  async execute(rt: Runtime): Promise<ZnodeCreateResult> {
    const {args, flags} = await this.parse(ZnodeCreate);
    const ops = await import('../../ops/znode.js');
    ops.checkCreate({path: args.path, sequential: flags.sequential});
    const acl = (flags.acl ?? []).map(ops.parseAcl);
    const spec = await connectSpec(flags, rt);
    const data = await readDataFlags(rt, {arg: args.data, file: flags.file});
    if (flags.ephemeral) rt.progress.warn(`${args.path} is ephemeral: ZooKeeper deletes it when this command's session closes`);
    return withEnsemble(rt, spec, (deps) => ops.createZnode({path: args.path, data, ephemeral: flags.ephemeral, sequential: flags.sequential, parents: flags.parents, acl}, deps));
  }

  override render(result: ZnodeCreateResult): string {
    return renderCreated(result);
  }
}
