import {Args, Flags} from '@oclif/core';
import {UsageError} from '../../errors.js';
import {ZkCommand} from '../../base.js';
import type {Runtime} from '../../cli/runtime.js';
import type {ZnodeSetResult} from '../../ops/znode.js';
import {connectSpec, ensembleFlags, readDataFlags, withEnsemble} from './common.js';

export default class ZnodeSet extends ZkCommand<ZnodeSetResult> {
  static override summary = "Replace a znode's data.";
  static override description = `The data comes from DATA, from --file, or from stdin (binary-safe) when DATA is "-" or when DATA is omitted and stdin is not a terminal. --version makes the write conditional: it fails with "version No is not valid" unless the node's dataVersion is N. Prints nothing; -o json|yaml prints {path, stat} with the new stat.`;
  static override examples = [
    '<%= config.bin %> znode set /app/config \'{"debug":true}\'',
    '<%= config.bin %> znode set /app/config --file config.json --version 3',
    '<%= config.bin %> znode set /app/blob - --ensemble zk < blob.bin',
  ];
  static override args = {
    path: Args.string({required: true, ignoreStdin: true, description: 'Absolute znode path.'}),
    data: Args.string({required: false, ignoreStdin: true, description: 'The data; "-" reads stdin.'}),
  };
  static override flags = {
    version: Flags.integer({summary: "Only write when the node's dataVersion is this (-1: any)."}),
    file: Flags.string({summary: 'Read the data from this file ("-" for stdin).'}),
    ...ensembleFlags,
  };

  async execute(rt: Runtime): Promise<ZnodeSetResult> {
    const {args, flags} = await this.parse(ZnodeSet);
    const ops = await import('../../ops/znode.js');
    ops.checkPath(args.path);
    const version = ops.checkVersion(flags.version);
    const spec = await connectSpec(flags, rt);
    const data = await readDataFlags(rt, {arg: args.data, file: flags.file});
    if (data === undefined) throw new UsageError('no data to set', "give DATA ('' for empty), --file F, or pipe it on stdin");
    return withEnsemble(rt, spec, (deps) => ops.setZnode({path: args.path, data, version}, deps));
  }

  override render(): string {
    return '';
  }
}
