import {Args, Flags} from '@oclif/core';
import {ZkCommand} from '../../base.js';
import type {Runtime} from '../../cli/runtime.js';
import type {ZnodeDeleteResult} from '../../ops/znode.js';
import {connectSpec, ensembleFlags, withEnsemble} from './common.js';

export default class ZnodeDelete extends ZkCommand<ZnodeDeleteResult> {
  static override summary = 'Delete a znode (with --recursive, its subtree).';
  static override description = `Without --recursive a node with children fails with "Node not empty". --recursive deletes the subtree leaves first (never ZooKeeper's own /zookeeper nodes); when the node has children it asks on a terminal, and refuses without one unless --yes. --version makes a single delete conditional. Prints nothing; -o json|yaml prints {path, deleted}.`;
  static override examples = ['<%= config.bin %> znode delete /app/config', '<%= config.bin %> znode delete /app/config --version 4', '<%= config.bin %> znode delete /app --recursive --yes'];
  static override args = {
    path: Args.string({required: true, ignoreStdin: true, description: 'Absolute znode path.'}),
  };
  static override flags = {
    version: Flags.integer({summary: "Only delete when the node's dataVersion is this (-1: any).", exclusive: ['recursive']}),
    recursive: Flags.boolean({summary: 'Delete the node and all its descendants.'}),
    yes: Flags.boolean({char: 'y', summary: 'Do not ask for confirmation.'}),
    ...ensembleFlags,
  };

  async execute(rt: Runtime): Promise<ZnodeDeleteResult> {
    const {args, flags} = await this.parse(ZnodeDelete);
    const ops = await import('../../ops/znode.js');
    ops.checkDelete({path: args.path, version: flags.version, recursive: flags.recursive});
    const spec = await connectSpec(flags, rt);
    return withEnsemble(rt, spec, (deps) => ops.deleteZnode({path: args.path, version: flags.version, recursive: flags.recursive}, {...deps, confirm: (q) => rt.confirm(q)}));
  }

  override render(): string {
    return '';
  }
}
