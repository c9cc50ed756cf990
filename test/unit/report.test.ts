import assert from 'node:assert/strict';
import {execFileSync} from 'node:child_process';
import {mkdtempSync, readFileSync, writeFileSync, rmSync, existsSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {UsageError} from '../../src/errors.js';
import type {Kube, KubeObject, StatefulSetObject} from '../../src/kube/types.js';
import {loadAssets} from '../../src/manifests/assets.js';
import {ensembleLabels} from '../../src/manifests/labels.js';
import {validateEnsembleOptions} from '../../src/manifests/options.js';
import {renderEnsemble} from '../../src/manifests/render.js';
import {writeReport} from '../../src/ops/report.js';
import {describePod, nodesText} from '../../src/ops/report/describe.js';
import {gatherReport, type ReportDeps} from '../../src/ops/report/gather.js';
import {REDACTED, redactObject, scrub, secretStrings} from '../../src/ops/report/redact.js';
import {liveFlags, renderedFor} from '../../src/ops/report/rendered.js';
import {superDigest} from '../../src/zk/reconfig.js';
import {splitName, tarGz} from '../../src/util/tar.js';
import {FakeKube, fakePod} from '../support/fake-kube.js';

const assets = loadAssets();
const PASSWORD = 'Zq8-very-secret-password';

function extract(bytes: Buffer): {dir: string; files: string[]} {
  const dir = mkdtempSync(join(tmpdir(), 'kzk-tar-'));
  writeFileSync(join(dir, 'a.tar.gz'), bytes);
  execFileSync('tar', ['-xzf', 'a.tar.gz'], {cwd: dir});
  const files = execFileSync('tar', ['-tzf', 'a.tar.gz'], {cwd: dir, encoding: 'utf8'}).trim().split('\n');
  return {dir, files};
}

describe('report: tar.gz writer', () => {
  it('GNU tar extracts every file byte for byte, long paths included', () => {
    const long = `${'d'.repeat(60)}/${'e'.repeat(60)}/${'f'.repeat(90)}.txt`;
    const bin = Buffer.from([0, 1, 2, 255, 254]);
    const {dir, files} = extract(
      tarGz(
        [
          {name: 'r/a.txt', data: 'hello\n'},
          {name: `r/${long}`, data: 'x'.repeat(1000)},
          {name: 'r/bin', data: bin},
          {name: 'r/empty', data: ''},
        ],
        new Date(0),
      ),
    );
    try {
      assert.deepEqual(files.sort(), ['r/a.txt', `r/${long}`, 'r/bin', 'r/empty'].sort());
      assert.equal(readFileSync(join(dir, 'r/a.txt'), 'utf8'), 'hello\n');
      assert.equal(readFileSync(join(dir, 'r', long), 'utf8'), 'x'.repeat(1000));
      assert.deepEqual(readFileSync(join(dir, 'r/bin')), bin);
      assert.equal(readFileSync(join(dir, 'r/empty'), 'utf8'), '');
    } finally {
      rmSync(dir, {recursive: true, force: true});
    }
  });

  it('refuses paths that escape, repeat, or cannot fit ustar', () => {
    assert.throws(() => tarGz([{name: 'r/../x', data: ''}], new Date(0)), /bad archive path/);
    assert.throws(() => tarGz([{name: '/abs', data: ''}], new Date(0)), /bad archive path/);
    assert.throws(
      () =>
        tarGz(
          [
            {name: 'a', data: ''},
            {name: 'a', data: ''},
          ],
          new Date(0),
        ),
      /duplicate/,
    );
    assert.throws(() => splitName('x'.repeat(300)), /too long/);
    assert.deepEqual(splitName('short'), {prefix: '', name: 'short'});
  });
});

describe('report: redaction', () => {
  const digest = superDigest('super', PASSWORD);
  const secret: KubeObject = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {name: 'zk-auth', managedFields: [{manager: 'x'}], annotations: {'kubectl.kubernetes.io/last-applied-configuration': `{"stringData":{"password":"${PASSWORD}"}}`}},
    data: {username: Buffer.from('super').toString('base64'), password: Buffer.from(PASSWORD).toString('base64'), digest: Buffer.from(digest).toString('base64')},
  };

  it('a Secret keeps its keys, loses its values, managedFields and last-applied copy', () => {
    const r = redactObject(secret);
    assert.deepEqual(r['data'], {username: REDACTED, password: REDACTED, digest: REDACTED});
    assert.equal(r.metadata['managedFields'], undefined);
    assert.equal(r.metadata.annotations?.['kubectl.kubernetes.io/last-applied-configuration'], REDACTED);
    assert.ok(!JSON.stringify(r).includes(PASSWORD));
    assert.equal(redactObject({apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: 'c'}, data: {a: 'b'}})['data'] !== undefined, true);
  });

  it('scrubs the password, the digest, the digest hash alone and their base64 forms; names stay', () => {
    const strings = secretStrings([secret]);
    const hash = digest.slice('super:'.length);
    const text = `a ${PASSWORD} b -Dsuper=${digest} c ${hash} d ${Buffer.from(PASSWORD).toString('base64')} user super`;
    const out = scrub(text, strings);
    for (const s of [PASSWORD, hash, Buffer.from(PASSWORD).toString('base64')]) assert.ok(!out.text.includes(s), s);
    assert.ok(out.text.includes('user super'));
    assert.equal(out.replaced, 4);
    assert.deepEqual(scrub('nothing here', strings), {text: 'nothing here', replaced: 0});
  });
});

describe('report: rendered manifests from the live settings', () => {
  it("reads create's flags back from what create rendered (round trip)", () => {
    const flags = {
      name: 'zk',
      namespace: 'prod',
      replicas: 5,
      image: 'zookeeper:3.8.7',
      imagePullPolicy: 'Never',
      storage: '2Gi',
      storageClass: 'fast',
      cpu: '250m',
      memory: '1Gi',
      heap: '400m',
      clusterDomain: 'example.org',
      tickTime: 3000,
      initLimit: 12,
      syncLimit: 4,
      allowClientsFrom: ['namespace=kafka'],
    };
    const {options} = validateEnsembleOptions(flags);
    const objects = renderEnsemble(options, {superPassword: PASSWORD}, assets);
    const sts = objects.find((o) => o.kind === 'StatefulSet') as StatefulSetObject;
    const cm = objects.find((o) => o.kind === 'ConfigMap')!;
    const policy = objects.find((o) => o.kind === 'NetworkPolicy')!;
    const live = {sts, config: cm['data'] as Record<string, string>, policy};
    const back = validateEnsembleOptions(liveFlags('zk', 'prod', live)).options;
    assert.deepEqual(back, options);
    const rendered = renderedFor('zk', 'prod', live, assets).objects;
    assert.deepEqual(
      rendered.map((o) => o.kind),
      objects.map((o) => o.kind),
    );
    assert.deepEqual(
      rendered.find((o) => o.kind === 'StatefulSet'),
      sts,
    );
    assert.ok(!JSON.stringify(rendered).includes(PASSWORD), 'the real password is never rendered into a report');
  });

  it('an ephemeral ensemble reads back as ephemeral', () => {
    const {options} = validateEnsembleOptions({name: 'dev', namespace: 'd', replicas: 1, ephemeral: true});
    const objects = renderEnsemble(options, {superPassword: PASSWORD}, assets);
    const live = {sts: objects.find((o) => o.kind === 'StatefulSet') as StatefulSetObject, config: objects.find((o) => o.kind === 'ConfigMap')!['data'] as Record<string, string>};
    assert.deepEqual(validateEnsembleOptions(liveFlags('dev', 'd', live)).options, options);
  });
});

describe('report: descriptions', () => {
  it("a pod: node, conditions, each container's state and last state, volumes, its own events only", () => {
    const pod = fakePod('ns', 'zk-1', {}, {waiting: 'CrashLoopBackOff', message: 'back-off 10s'}) as never;
    const text = describePod(pod, [
      {involvedObject: {kind: 'Pod', name: 'zk-1'}, reason: 'BackOff', message: 'Back-off restarting', type: 'Warning', count: 3, lastTimestamp: new Date(0)} as never,
      {involvedObject: {kind: 'Pod', name: 'zk-2'}, reason: 'Other', message: 'not mine'} as never,
    ]);
    assert.match(text, /^Node: +node-1$/m);
    assert.match(text, /restarts 3/);
    assert.match(text, /state: +Waiting: CrashLoopBackOff \(back-off 10s\)/);
    assert.match(text, /last state: Terminated: Error, exit code 1/);
    assert.match(text, /BackOff: Back-off restarting \(x3\)/);
    assert.ok(!text.includes('not mine'));
  });

  it('nodes: conditions, taints, cordon, zone and the members on each', () => {
    const text = nodesText(
      [
        {
          metadata: {name: 'n1', labels: {'topology.kubernetes.io/zone': 'zone-a'}},
          spec: {unschedulable: true, taints: [{key: 'node.kubernetes.io/unreachable', effect: 'NoExecute'}]},
          status: {conditions: [{type: 'Ready', status: 'Unknown', reason: 'NodeStatusUnknown'}]},
        } as never,
      ],
      new Map([['n1', ['zk-0']]]),
    );
    assert.match(text, /^n1 \(cordoned\)$/m);
    assert.match(text, /zone: zone-a; .*members: zk-0/);
    assert.match(text, /Ready=Unknown NodeStatusUnknown/);
    assert.match(text, /taint node.kubernetes.io\/unreachable:NoExecute/);
  });
});

function seed(kube: FakeKube, restarted = false): void {
  const {options} = validateEnsembleOptions({name: 'zk', namespace: 'ns', replicas: 3});
  const objects = renderEnsemble(options, {superPassword: PASSWORD}, assets).map((o) => {
    if (o.kind !== 'Secret') return o;
    // as the API server keeps it: base64 data, no stringData
    const values = o['stringData'] as Record<string, string>;
    return {...o, stringData: undefined, data: Object.fromEntries(Object.entries(values).map(([k, v]) => [k, Buffer.from(v).toString('base64')]))};
  });
  kube.seed(...objects);
  for (let i = 0; i < 3; i++) {
    const pod = fakePod('ns', `zk-${i}`, ensembleLabels('zk', options.image), 'ready');
    if (restarted && i === 1) (pod['status'] as {containerStatuses: {restartCount: number}[]}).containerStatuses[0]!.restartCount = 2;
    kube.seed(pod);
  }
}

function reportDeps(kube: FakeKube): ReportDeps {
  return {
    kube,
    clock: {now: () => Date.UTC(2026, 0, 2, 3, 4, 5)},
    endpoint: async () => ({host: '127.0.0.1', port: 1}),
    adminEndpoint: async () => ({host: '127.0.0.1', port: 1}),
    status: async () => {
      throw new Error('no members answer');
    },
    assets,
    plugin: {version: {version: '0.1.0'}, argv: ['zk'], context: 'fake', server: kube.server},
    timeoutMs: 500,
  };
}

describe('report: gathering against a fake API server', () => {
  it('files for every part; logs (and previous logs only after a restart) scrubbed; failures listed, not fatal', async () => {
    const kube = new FakeKube('ns');
    seed(kube, true);
    const asked: string[] = [];
    (kube as {logs: Kube['logs']}).logs = async (_ns, pod, opts) => {
      asked.push(`${pod}${opts?.previous ? ' previous' : ''} tail=${opts?.tailLines}`);
      return `started with -Dzookeeper.DigestAuthenticationProvider.superDigest=${superDigest('super', PASSWORD)} password ${PASSWORD}\n`;
    };
    kube.fail('list', 'Node', 403);
    const r = await gatherReport({name: 'zk', namespace: 'ns', tailLines: 50}, reportDeps(kube));
    assert.equal(r.root, 'kzk-report-zk-20260102T030405Z');
    const names = r.files.map((f) => f.name.slice(r.root.length + 1));
    for (const f of [
      'plugin.json',
      'events.txt',
      'errors.txt',
      'manifests/live/secret-zk-auth.yaml',
      'manifests/live/statefulset-zk.yaml',
      'manifests/live/pod-zk-0.yaml',
      'manifests/rendered/statefulset-zk.yaml',
      'manifests/rendered/flags.json',
      'pods/zk-0/describe.txt',
      'pods/zk-0/logs/zookeeper.log',
      'pods/zk-1/logs/zookeeper.previous.log',
    ]) {
      assert.ok(names.includes(f), `${f} in ${names.join(', ')}`);
    }
    assert.ok(!names.includes('pods/zk-0/logs/zookeeper.previous.log'), 'no previous container, no previous log asked');
    assert.deepEqual(asked.sort(), ['zk-0 tail=50', 'zk-1 previous tail=50', 'zk-1 tail=50', 'zk-2 tail=50']);
    const all = r.files.map((f) => String(f.data)).join('\n');
    for (const s of secretStrings(kube.all('Secret'))) assert.ok(!all.includes(s), `secret string leaked: ${s.slice(0, 4)}…`);
    assert.ok(r.redactions >= 8, `redactions ${r.redactions}`);
    assert.ok(
      r.errors.some((e) => /^list nodes: /.test(e)),
      r.errors.join('\n'),
    );
    assert.ok(r.errors.some((e) => /^srvr from zk-0: /.test(e)));
    assert.ok(r.errors.some((e) => /^status: no members answer/.test(e)));
    const errorsFile = String(r.files.find((f) => f.name.endsWith('/errors.txt'))!.data);
    assert.ok(errorsFile.includes('list nodes'));
  });

  it('an ensemble that does not exist: one error, nothing gathered', async () => {
    const kube = new FakeKube('ns');
    await assert.rejects(gatherReport({name: 'nope', namespace: 'ns', tailLines: 10}, reportDeps(kube)), /ensemble "nope" not found in namespace "ns"/);
    assert.deepEqual(kube.calls, ['get StatefulSet/nope']);
  });

  it('an existing path is refused before the cluster is asked anything; --force replaces it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kzk-report-'));
    try {
      const file = join(dir, 'r.tar.gz');
      writeFileSync(file, 'keep me');
      const kube = new FakeKube('ns');
      seed(kube);
      await assert.rejects(writeReport({name: 'zk', namespace: 'ns', tailLines: 10, file, force: false}, reportDeps(kube)), (e: unknown) => e instanceof UsageError && /exists/.test(e.message));
      assert.deepEqual(kube.calls, []);
      assert.equal(readFileSync(file, 'utf8'), 'keep me');
      const r = await writeReport({name: 'zk', namespace: 'ns', tailLines: 10, file, force: true}, reportDeps(kube));
      assert.equal(r.file, file);
      assert.ok(!existsSync(`${file}.partial`));
      const {dir: x, files} = extract(readFileSync(file));
      rmSync(x, {recursive: true, force: true});
      assert.equal(files.length, r.files.length);
      assert.ok(files.every((f) => f.startsWith('kzk-report-zk-')));
    } finally {
      rmSync(dir, {recursive: true, force: true});
    }
  });
});
