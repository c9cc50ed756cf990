import {Args} from '@oclif/core';
import {ZkCommand} from '../../base.js';
import type {Runtime} from '../../cli/runtime.js';
import type {ZnodeGetResult} from '../../ops/znode.js';
import {renderGetBytes} from '../../render/znode.js';
import {connectSpec, ensembleFlags, withEnsemble} from './common.js';

export default class ZnodeGet extends ZkCommand<ZnodeGetResult> {
  static override summary = "Print a znode's data, byte for byte.";
  static override description = `Writes the znode's data to stdout exactly as stored (binary-safe, no newline added). With -o json|yaml prints {path, data, encoding, stat}: data as text when it is valid UTF-8 (encoding "utf8"), else base64 (encoding "base64"); zxids as "0x…" strings.`;
  static override examples = [
    '<%= config.bin %> znode get /app/config',
    '<%= config.bin %> znode get /app/blob --ensemble zk --namespace prod > blob.bin',
    '<%= config.bin %> znode get /app/config --output json',
    'KUBECTL_ZK_AUTH=app:s3cret <%= config.bin %> znode get /secured',
    '<%= config.bin %> znode get /secured --auth-file ./app.auth',
  ];
  static override args = {
    path: Args.string({required: true, ignoreStdin: true, description: 'Absolute znode path.'}),
  };
  static override flags = {...ensembleFlags};

  async execute(rt: Runtime): Promise<ZnodeGetResult> {
    const {args, flags} = await this.parse(ZnodeGet);
    const ops = await import('../../ops/znode.js');
    ops.checkPath(args.path);
    const spec = await connectSpec(flags, rt);
    return withEnsemble(rt, spec, (deps) => ops.getZnode({path: args.path}, deps));
  }

  protected override async emit(result: ZnodeGetResult): Promise<void> {
    if (this.rt.output === 'json' || this.rt.output === 'yaml') return super.emit(result);
    this.rt.streams.stdout.write(renderGetBytes(result));
  }
}
