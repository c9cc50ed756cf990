import {Flags} from '@oclif/core';
import {ZkCommand} from '../base.js';
import type {OutputFormat, Runtime} from '../cli/runtime.js';
import type {ListResult} from '../ops/list.js';
import {renderList} from '../render/list.js';

export default class List extends ZkCommand<ListResult> {
  static override summary = 'List the ZooKeeper ensembles kubectl zk manages.';
  static override examples = ['<%= config.bin %> list', '<%= config.bin %> list --all-namespaces', '<%= config.bin %> list -o json'];
  static override aliases = ['ls'];
  static override outputs: OutputFormat[] = ['json', 'yaml', 'wide'];
  static override flags = {
    'all-namespaces': Flags.boolean({char: 'A', summary: 'List ensembles in every namespace.'}),
  };

  async execute(rt: Runtime): Promise<ListResult> {
    const {flags} = await this.parse(List);
    const kube = await rt.kube();
    const {listEnsembles} = await import('../ops/list.js');
    const result = await listEnsembles({namespace: kube.namespace, allNamespaces: Boolean(flags['all-namespaces'])}, {kube, clock: rt.clock});
    if (result.ensembles.length === 0 && rt.output !== 'json' && rt.output !== 'yaml') {
      rt.streams.stderr.write(result.allNamespaces ? 'No ensembles found.\n' : `No ensembles found in namespace "${result.namespace}".\n`);
    }
    return result;
  }

  override render(result: ListResult, rt: Runtime): string {
    return renderList(result, rt.output === 'wide');
  }
}
