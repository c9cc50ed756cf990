import {Args} from '@oclif/core';
import {ZkCommand} from '../../base.js';
import type {Runtime} from '../../cli/runtime.js';
import type {ZnodeStatResult} from '../../ops/znode.js';
import {renderStat} from '../../render/znode.js';
import {connectSpec, ensembleFlags, withEnsemble} from './common.js';

export default class ZnodeStat extends ZkCommand<ZnodeStatResult> {
  static override summary = "Print a znode's Stat, as zkCli does.";
  static override description = `cZxid, ctime, mZxid, mtime, pZxid, cversion, dataVersion, aclVersion, ephemeralOwner, dataLength and numChildren; times in UTC. -o json|yaml prints {path, stat} with zxids and ephemeralOwner as "0x…" strings and times as ISO 8601.`;
  static override examples = ['<%= config.bin %> znode stat /app/config', '<%= config.bin %> znode stat /app/config --output json'];
  static override args = {
    path: Args.string({required: true, ignoreStdin: true, description: 'Absolute znode path.'}),
  };
  static override flags = {...ensembleFlags};

  async execute(rt: Runtime): Promise<ZnodeStatResult> {
    const {args, flags} = await this.parse(ZnodeStat);
    const ops = await import('../../ops/znode.js');
    ops.checkPath(args.path);
    const spec = await connectSpec(flags, rt);
    return withEnsemble(rt, spec, (deps) => ops.statZnode({path: args.path}, deps));
  }

  override render(result: ZnodeStatResult): string {
    return renderStat(result.stat);
  }
}
