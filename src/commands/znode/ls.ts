import {Args, Flags} from '@oclif/core';
import {ZkCommand} from '../../base.js';
import type {Runtime} from '../../cli/runtime.js';
import type {ZnodeLsResult} from '../../ops/znode.js';
import {renderLs} from '../../render/znode.js';
import {connectSpec, ensembleFlags, withEnsemble} from './common.js';

export default class ZnodeLs extends ZkCommand<ZnodeLsResult> {
  static override summary = "List a znode's children.";
  static override description = `Prints the child names, sorted, one per line. With --recursive prints the path and every descendant as full paths, parents before children, level by level (zkCli ls -R order). -o json|yaml prints the same list as an array.`;
  static override examples = ['<%= config.bin %> znode ls /', '<%= config.bin %> znode ls /app --recursive', '<%= config.bin %> znode ls /app --output json'];
  static override args = {
    path: Args.string({required: true, ignoreStdin: true, description: 'Absolute znode path.'}),
  };
  static override flags = {
    recursive: Flags.boolean({char: 'R', summary: 'The whole subtree, as full paths.'}),
    ...ensembleFlags,
  };

  async execute(rt: Runtime): Promise<ZnodeLsResult> {
    const {args, flags} = await this.parse(ZnodeLs);
    const ops = await import('../../ops/znode.js');
    ops.checkPath(args.path);
    const spec = await connectSpec(flags, rt);
    return withEnsemble(rt, spec, (deps) => ops.lsZnode({path: args.path, recursive: flags.recursive}, deps));
  }

  override render(result: ZnodeLsResult): string {
    return renderLs(result);
  }
}
