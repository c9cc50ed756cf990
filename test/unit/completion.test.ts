import assert from 'node:assert/strict';
import {Config, Plugin} from '@oclif/core';
import {readPackageJson, REPO, trimmedPackageJson} from '../../scripts/build-bundle.js';
import {COMMANDS} from '../../src/commands.js';
import {commandMeta, Directive, formatCompletion, planCompletion, type CommandMeta, type Plan, type TopicMeta} from '../../src/completion/plan.js';
import {answer, type CompletionSources} from '../../src/completion/sources.js';
import type {KubeObject} from '../../src/kube/types.js';
import {FakeKube} from '../support/fake-kube.js';
import {refusingCli, type Cli} from '../support/cli.js';

/** The real commands as oclif sees them at run time (aliases included), without dist/. */
async function realCommands(): Promise<{commands: CommandMeta[]; topics: TopicMeta[]}> {
  const pjson = trimmedPackageJson(readPackageJson()) as ConstructorParameters<typeof Plugin>[0]['pjson'];
  const plugin = new Plugin({root: REPO, isRoot: true, pjson, ignoreManifest: true});
  (plugin as unknown as {commandCache: unknown}).commandCache = COMMANDS;
  await plugin.load();
  const config = await Config.load({root: REPO, pjson, plugins: new Map([[plugin.name, plugin]])});
  return {
    commands: config.commands.map((c) => commandMeta(c as Parameters<typeof commandMeta>[0])),
    topics: config.topics.map((t) => ({name: t.name, description: t.description})),
  };
}

const values = (p: Plan) => (p.kind === 'values' ? p.candidates.map((c) => c.value) : assert.fail(`expected values, got ${JSON.stringify(p)}`));

function sts(ns: string, name: string, replicas: number, ready: number, managed = true): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: {
      name,
      namespace: ns,
      labels: managed ? {'app.kubernetes.io/name': 'zookeeper', 'app.kubernetes.io/instance': name, 'app.kubernetes.io/managed-by': 'kubectl-zk'} : {app: 'other'},
    },
    spec: {replicas},
    status: {readyReplicas: ready},
  };
}

function sources(kube: FakeKube, contexts = ['dev', 'prod']): CompletionSources {
  return {
    async kube() {
      return kube;
    },
    async contexts() {
      return contexts;
    },
  };
}

describe('completion: what to offer (planCompletion over the real commands)', () => {
  let commands: CommandMeta[];
  let topics: TopicMeta[];
  before(async () => ({commands, topics} = await realCommands()));
  const plan = (...args: string[]) => planCompletion(args, commands, topics);

  it('commands and topics at the top, filtered by what is typed; hidden ones never', () => {
    const top = values(plan(''));
    for (const c of ['create', 'status', 'scale', 'teardown', 'list', 'version', 'znode', 'failover-test']) assert.ok(top.includes(c), c);
    assert.ok(!top.includes('__complete'));
    assert.deepEqual(values(plan('st')), ['status']);
    assert.deepEqual(values(plan('zn')), ['znode']);
    const p = plan('');
    assert.equal(p.kind === 'values' && p.directive, Directive.noFileComp);
    assert.match(p.kind === 'values' ? (p.candidates.find((c) => c.value === 'create')?.description ?? '') : '', /Create a ZooKeeper ensemble/);
  });

  it('the commands of a topic', () => {
    assert.deepEqual(values(plan('znode', '')), ['create', 'delete', 'get', 'ls', 'set', 'stat']);
    assert.deepEqual(values(plan('znode', 'g')), ['get']);
  });

  it('an ensemble NAME from the cluster, except for create (a new name)', () => {
    assert.deepEqual(plan('status', ''), {kind: 'dynamic', source: 'ensembles', prefix: '', typed: '', kube: {}});
    assert.deepEqual(plan('teardown', 'z'), {kind: 'dynamic', source: 'ensembles', prefix: '', typed: 'z', kube: {}});
    assert.deepEqual(values(plan('create', '')), []);
    // the second positional of scale is not a name
    assert.deepEqual(values(plan('scale', 'zk', '')), []);
  });

  it('the kubectl flags typed so far choose the cluster and namespace', () => {
    assert.deepEqual(plan('status', '-n', 'prod', '--context=ctx', '--kubeconfig', '/k', ''), {
      kind: 'dynamic',
      source: 'ensembles',
      prefix: '',
      typed: '',
      kube: {namespace: 'prod', context: 'ctx', kubeconfig: '/k'},
    });
    const short = plan('-nprod', 'teardown', '');
    assert.deepEqual(short.kind === 'dynamic' && short.kube, {namespace: 'prod'});
    // boolean flags take no value: the next word is the NAME
    assert.equal(plan('status', '-A', '').kind, 'dynamic');
  });

  it('flags of the command, without those already given (unless repeatable)', () => {
    const flags = values(plan('create', 'zk', '--'));
    for (const f of ['--replicas', '--image', '--namespace', '--dry-run', '--output']) assert.ok(flags.includes(f), f);
    assert.deepEqual(values(plan('create', 'zk', '--st')), ['--storage', '--storage-class']);
    assert.ok(!values(plan('create', 'zk', '--replicas', '5', '--')).includes('--replicas'));
    assert.ok(values(plan('znode', 'get', '/a', '--auth', 'u:p', '--')).includes('--auth'));
    assert.deepEqual(values(plan('--k')), ['--kubeconfig']);
  });

  it('flag values: options, -o formats of the command, dynamic sources, files', () => {
    assert.deepEqual(values(plan('create', 'zk', '--image-pull-policy', '')), ['Always', 'IfNotPresent', 'Never']);
    assert.deepEqual(values(plan('create', 'zk', '--image-pull-policy=I')), ['--image-pull-policy=IfNotPresent']);
    assert.deepEqual(values(plan('status', '-o', '')), ['json', 'yaml', 'wide']);
    assert.deepEqual(values(plan('create', 'zk', '--output', '')), ['json', 'yaml']);
    assert.deepEqual(plan('status', '--namespace', 'k'), {kind: 'dynamic', source: 'namespaces', prefix: '', typed: 'k', kube: {}});
    assert.deepEqual(plan('status', '--namespace=k'), {kind: 'dynamic', source: 'namespaces', prefix: '--namespace=', typed: 'k', kube: {}});
    assert.equal((plan('list', '--context', '') as {source?: string}).source, 'contexts');
    assert.equal((plan('create', 'zk', '--storage-class', '') as {source?: string}).source, 'storageClasses');
    assert.equal((plan('znode', 'ls', '/', '--ensemble', '') as {source?: string}).source, 'ensembles');
    assert.deepEqual(plan('status', '--kubeconfig', ''), {kind: 'files'});
    assert.deepEqual(values(plan('create', 'zk', '--replicas', '')), []);
  });

  it('an unknown command offers nothing; after `--` words are arguments', () => {
    assert.deepEqual(values(plan('frobnicate', '')), []);
    assert.deepEqual(plan('status', '--', '--o'), {kind: 'dynamic', source: 'ensembles', prefix: '', typed: '--o', kube: {}});
  });
});

describe('completion: answers in cobra format', () => {
  it('candidates one per line with tab-separated one-line descriptions, then :directive', () => {
    assert.equal(formatCompletion([{value: 'a', description: 'first\n  line'}, {value: 'b'}], 4), 'a\tfirst line\nb\n:4\n');
    assert.equal(formatCompletion([], 0), ':0\n');
  });

  it('ensembles from the API (managed StatefulSets in the namespace) with their readiness', async () => {
    const kube = new FakeKube('prod').seed(sts('prod', 'zk', 3, 3), sts('prod', 'zeta', 5, 4), sts('prod', 'other', 1, 1, false), sts('dev', 'zdev', 3, 3));
    const text = await answer({kind: 'dynamic', source: 'ensembles', prefix: '', typed: 'z', kube: {}}, sources(kube));
    assert.equal(text, 'zeta\t4/5 ready, namespace prod\nzk\t3/3 ready, namespace prod\n:4\n');
    assert.deepEqual(kube.calls, ['list StatefulSet']);
  });

  it('namespaces, storage classes, contexts; a prefix such as --namespace= is kept', async () => {
    const kube = new FakeKube().seed(
      {apiVersion: 'v1', kind: 'Namespace', metadata: {name: 'kube-system'}},
      {apiVersion: 'v1', kind: 'Namespace', metadata: {name: 'prod'}},
      {apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: {name: 'fast'}},
    );
    assert.equal(await answer({kind: 'dynamic', source: 'namespaces', prefix: '--namespace=', typed: 'p', kube: {}}, sources(kube)), '--namespace=prod\n:4\n');
    assert.equal(await answer({kind: 'dynamic', source: 'storageClasses', prefix: '', typed: '', kube: {}}, sources(kube)), 'fast\n:4\n');
    assert.equal(await answer({kind: 'dynamic', source: 'contexts', prefix: '', typed: 'p', kube: {}}, sources(kube)), 'prod\n:4\n');
  });

  it('an unreachable or forbidding API server: the error directive and no candidates', async () => {
    assert.equal(await answer({kind: 'dynamic', source: 'ensembles', prefix: '', typed: '', kube: {}}, sources(new FakeKube().unreachable())), ':1\n');
    assert.equal(await answer({kind: 'dynamic', source: 'namespaces', prefix: '', typed: '', kube: {}}, sources(new FakeKube().fail('list', 'Namespace', 403))), ':1\n');
  });

  it('files: the default directive, so the shell completes file names', async () => {
    assert.equal(await answer({kind: 'files'}, sources(new FakeKube())), ':0\n');
  });
});

describe('completion: kubectl-zk __complete through the built executable', function () {
  this.timeout(60_000);
  let cli: Cli;
  before(async () => (cli = await refusingCli()));

  it('static candidates without contacting the cluster; `--` keeps a typed --help from showing help', () => {
    const r = cli.run(['__complete', '--', 'status', '--help', '--out']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '--output\tOutput format: json|yaml (and wide where there is a table).\n:4\n');
    const top = cli.run(['__complete', '--', 'ver']);
    assert.equal(top.stdout, 'version\tPrint the plugin version, its commit, the default ZooKeeper version and image, and the Kubernetes client library.\n:4\n');
  });

  it('an unreachable API server: :1 on stdout, nothing on stderr, exit 0', () => {
    const r = cli.run(['__complete', '--', 'status', '']);
    assert.equal(r.code, 0);
    assert.equal(r.stdout, ':1\n');
    assert.equal(r.stderr, '');
  });

  it('is hidden from --help', () => {
    assert.doesNotMatch(cli.run(['--help']).stdout, /__complete/);
  });
});
